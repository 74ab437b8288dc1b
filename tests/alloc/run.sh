#!/usr/bin/env bash
# No heap use after start-up, proven on the running daemon.
#
#   tests/alloc/run.sh [--tls] ILPD_PATH ILPCTL_PATH [PACKETS]
#
# 1. Builds alloc_count.so (an LD_PRELOAD malloc-counting interposer, see
#    alloc_count.c) and selftest.c with $CC (default cc) into a temp dir,
#    and checks the interposer itself: one malloc after the mark reports 1,
#    a free after it reports 1, no mark reports armed=0.
# 2. Runs ilpd under the interposer with a temp config (children alice and
#    bob on free ports), `ilpctl sink` as bob, and `ilpctl send` as alice
#    PACKETS (default 100000) packets with 100 in flight; then SIGTERM to
#    ilpd. ilpd calls the weak hook ilpd_alloc_mark() once initialised;
#    the report must say armed=1 allocs_after_mark=0 frees_after_mark=0
#    exited=1, and send must report >= PACKETS fulfilled. While armed it
#    also drives 1000 rejects (F02), GET /health and /metrics, and a
#    SIGHUP (config re-check), so those paths are covered too. The durable
#    ledger is on (durability = sync, a temp state_file): the commits and
#    syncs of the run, and a half-ring snapshot (1100 more packets one at a
#    time), happen while armed.
#    Without --tls, ilpd also delivers locally to a business-logic server
#    (tests/apps/bls.py, [local] handler_url, notify_transit = true, issue
#    14): while armed, Prepares to test.alloc.* are POSTed to it (accepts,
#    rejects, garbage replies, slow ones past their expiry, the server
#    down), and the forwarded ones are sent as isTransit notifications.
# 3. --tls (issue 5; an ilpd built with TLS, either backend): the same over
#    TLS: alice -wss-> ilpd -wss-> a second ilpd "up" -wss-> bob, with a
#    test PKI from tests/tls/make-certs.sh; the TLS server and client paths
#    (handshakes happen after the mark), and a client refused for its
#    wrong CA while armed; both ilpds must report no heap use.
# Prints "N passed, N failed" last; exit status non-zero on any failure.
# Env: CC, ILPD_ALLOC_TIMEOUT (seconds for the send, default 120),
#      KEEP=1 keeps the temp dir (logs, config, report).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
pids=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-alloc.XXXXXX")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "tests/alloc: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# shellcheck source=../lib/report.sh
. "$here/../lib/report.sh"

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}

tls=0
if [ "${1:-}" = --tls ]; then
	tls=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--tls] ILPD_PATH ILPCTL_PATH [PACKETS]" >&2; exit 2; }
ilpd=$(abspath "$1")
ilpctl=$(abspath "$2")
packets=${3:-100000}
send_timeout=${ILPD_ALLOC_TIMEOUT:-120}
[ -x "$ilpd" ] || die "ilpd not found or not executable: $ilpd"
[ -x "$ilpctl" ] || die "ilpctl not found or not executable: $ilpctl"
if grep -q -a -e __asan_init -e __tsan_init -e __msan_init "$ilpd"; then
	die "$ilpd is a sanitizer build (it replaces malloc itself): use a plain build (preset host)"
fi

# --- 1. the interposer and its self-test --------------------------------
cc=${CC:-cc}
cflags="-std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wconversion
	-Wsign-conversion -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual
	-Werror"
# shellcheck disable=SC2086
$cc $cflags -fPIC -shared -o "$tmp/alloc_count.so" "$here/alloc_count.c" -ldl ||
	die "cannot build alloc_count.so with $cc"
# shellcheck disable=SC2086
$cc $cflags -o "$tmp/selftest" "$here/selftest.c" ||
	die "cannot build selftest with $cc"

# field NAME FILE: the value of NAME=... on the report's first line
field() {
	head -n 1 "$2" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"
}

selftest() {   # MODE EXPECT_ALLOCS EXPECT_FREES EXPECT_ARMED
	local r=$tmp/selftest-$1.report
	rm -f "$r"
	LD_PRELOAD=$tmp/alloc_count.so ILPD_ALLOC_REPORT=$r "$tmp/selftest" "$1"
	local rc=$? a f m
	a=$(field allocs_after_mark "$r")
	f=$(field frees_after_mark "$r")
	m=$(field armed "$r")
	if [ $rc -eq 0 ] && [ "$a" = "$2" ] && [ "$f" = "$3" ] && [ "$m" = "$4" ]; then
		ok "interposer self-test '$1': armed=$m allocs_after_mark=$a frees_after_mark=$f"
	else
		bad "interposer self-test '$1': rc=$rc report: $(head -n 1 "$r" 2>/dev/null)" \
			"(want armed=$4 allocs_after_mark=$2 frees_after_mark=$3)"
	fi
}
selftest malloc 1 0 1
selftest free 1 1 1
selftest nomark 0 0 0
if "$tmp/selftest" malloc; then
	ok "self-test runs without the interposer (weak hook is NULL)"
else
	bad "self-test without the interposer failed"
fi

# --- 2. ilpd through PACKETS forwarded packets --------------------------
free_ports() {   # N: prints N distinct free loopback ports
	if command -v node >/dev/null 2>&1; then
		node -e '
			const net = require("net"); const n = +process.argv[1]; const s = [];
			let left = n;
			for (let i = 0; i < n; i++) {
				const srv = net.createServer(); s.push(srv);
				srv.listen(0, "127.0.0.1", () => { if (--left === 0) {
					console.log(s.map(x => x.address().port).join(" "));
					s.forEach(x => x.close()); } });
			}' "$1"
	else
		local i
		for ((i = 0; i < $1; i++)); do echo $((20000 + RANDOM % 30000 + i)); done | xargs
	fi
}

wait_port() {   # PORT SECONDS PID: until something accepts on 127.0.0.1:PORT
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		kill -0 "$3" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

read -r btp_port admin_port up_btp up_admin <<<"$(free_ports 4)"
[ -n "${up_admin:-}" ] || die "could not pick free ports"

ini() {   # NAME ADDRESS BTP_PORT ADMIN_PORT [BTP_EXTRA]: the common part
	cat >"$tmp/$1.ini" <<EOF
; tests/alloc ($1)
[node]
address = $2
asset_code = XRP
asset_scale = 9

[btp]
listen = 127.0.0.1:$3
${5:-}

[admin]
listen = 127.0.0.1:$4

[log]
level = info

[ledger]
durability = sync
state_file = $tmp/$1.state
EOF
}

start_ilpd() {   # NAME PORT: ilpd -c $tmp/NAME.ini under the interposer
	LD_PRELOAD=$tmp/alloc_count.so ILPD_ALLOC_REPORT=$tmp/$1.alloc-report \
		"$ilpd" -c "$tmp/$1.ini" >"$tmp/$1.log" 2>&1 &
	eval "${1}_pid=\$!"
	pids+=("$!")
	if ! wait_port "$2" 10 "$!"; then
		sed "s/^/  $1: /" "$tmp/$1.log" | tail -n 20
		die "$1 did not listen on 127.0.0.1:$2 within 10 s"
	fi
}

ilpd_pid='' up_pid=''
if [ "$tls" = 1 ]; then
	# alice -wss-> ilpd -wss-> up -wss-> bob: ilpd's TLS server (alice)
	# and client (up), up's TLS server (ilpd, bob); both ilpds counted.
	bash "$here/../tls/make-certs.sh" "$tmp/pki" >/dev/null || die "tests/tls/make-certs.sh failed"
	tls_keys="
[tls]
ca_file = $tmp/pki/ca.pem
cert_file = $tmp/pki/server.pem
key_file = $tmp/pki/server.key"
	ini up test.up "$up_btp" "$up_admin" "tls = on"
	cat >>"$tmp/up.ini" <<EOF
$tls_keys

[peer down]
relation = peer
token = down-token

[peer bob]
relation = child
token = bob-token
EOF
	ini ilpd test.alloc "$btp_port" "$admin_port" "tls = on"
	cat >>"$tmp/ilpd.ini" <<EOF
$tls_keys

[peer alice]
relation = child
token = alice-token

[peer up]
relation = peer
url = wss://localhost:$up_btp/
token = down-token

[routes]
test.up = up
EOF
	start_ilpd up "$up_btp"
	start_ilpd ilpd "$btp_port"
	send_url=wss://localhost:$btp_port/
	sink_url=wss://localhost:$up_btp/
	tls_args=(--ca "$tmp/pki/ca.pem")
	to=test.up.bob
	end=$((SECONDS + 10))
	until grep -q 'event=peer.up peer=up ' "$tmp/ilpd.log"; do
		if [ $SECONDS -ge $end ]; then
			grep 'tls_failed' "$tmp/ilpd.log" | tail -n 3 | sed 's/^/  ilpd: /'
			die "ilpd did not connect to up over wss:// within 10 s"
		fi
		sleep 0.05
	done
	ok "ilpd connected to up over wss:// (TLS client and server)"
else
	# The business-logic server for local delivery (tests/apps/bls.py).
	bls_port=$(python3 -c 'import random, socket
for _ in range(1000):
    p = random.randint(20000, 32000); s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        s.close()')
	[ -n "$bls_port" ] || die "could not pick a port for tests/apps/bls.py"
	python3 "$here/../apps/bls.py" "$bls_port" 3000 >"$tmp/bls.log" 2>&1 &
	bls_pid=$!
	pids+=("$bls_pid")
	wait_port "$bls_port" 10 "$bls_pid" || die "tests/apps/bls.py did not listen on $bls_port"
	local_ini="
[local]
handler_url = http://127.0.0.1:$bls_port
notify_transit = true
"
	ini ilpd test.alloc "$btp_port" "$admin_port"
	cat >>"$tmp/ilpd.ini" <<EOF

[peer alice]
relation = child
token = alice-token

[peer bob]
relation = child
token = bob-token
EOF
	printf '%s' "$local_ini" >>"$tmp/ilpd.ini"
	start_ilpd ilpd "$btp_port"
	send_url=ws://127.0.0.1:$btp_port
	sink_url=$send_url
	tls_args=()
	to=test.alloc.bob
fi

timeout $((send_timeout + 30)) "$ilpctl" sink --url "$sink_url" "${tls_args[@]}" \
	--token bob-token --username bob >"$tmp/sink.log" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
end=$((SECONDS + 10))
until grep -q '^sink address=' "$tmp/sink.log"; do   # authenticated, IL-DCP done
	if [ $SECONDS -ge $end ] || ! kill -0 "$sink_pid" 2>/dev/null; then
		tail -n 5 "$tmp/sink.log" | sed 's/^/  sink: /'
		die "ilpctl sink did not connect to $sink_url within 10 s"
	fi
	sleep 0.05
done

timeout "$send_timeout" "$ilpctl" send --url "$send_url" "${tls_args[@]}" --token alice-token \
	--username alice --to "$to" --count "$packets" --window 100 \
	--amount 1 >"$tmp/send.log" 2>&1
send_rc=$?
summary=$(grep '^sent=' "$tmp/send.log" | tail -n 1)
fulfilled=$(printf '%s\n' "$summary" | tr ' ' '\n' | sed -n 's/^fulfilled=//p')
if [ "$send_rc" -eq 0 ] && [ -n "$fulfilled" ] && [ "$fulfilled" -ge "$packets" ]; then
	ok "ilpctl send ($send_url): $summary"
else
	tail -n 5 "$tmp/send.log" | sed 's/^/  send: /'
	bad "ilpctl send (rc $send_rc) did not get $packets packets fulfilled: ${summary:-no summary line}"
fi

# More paths while armed: rejects (no route), the admin endpoints, a reload.
timeout 30 "$ilpctl" send --url "$send_url" "${tls_args[@]}" --token alice-token --username alice \
	--to test.nowhere.bob --count 1000 --window 100 --amount 1 >"$tmp/send-f02.log" 2>&1
summary=$(grep '^sent=' "$tmp/send-f02.log" | tail -n 1)
case " $summary " in
*" rejected=1000 "*F02=1000*) ok "1000 packets with no route rejected: $summary" ;;
*) bad "1000 packets with no route: want rejected=1000 F02=1000, got: ${summary:-no summary line}" ;;
esac
if [ "$tls" = 1 ]; then
	# a refused handshake while armed: a client that does not trust ilpd
	timeout 15 "$ilpctl" send --url "$send_url" --ca "$tmp/pki/other-ca.pem" --token alice-token \
		--username alice --to "$to" --count 1 --window 1 --amount 1 >"$tmp/send-badca.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'TLS: unknown CA' "$tmp/send-badca.log"; then
		ok "a client with the wrong CA is refused (TLS: unknown CA)"
	else
		bad "a client with the wrong CA: want an error and 'TLS: unknown CA', got rc $rc: $(tail -n 1 "$tmp/send-badca.log")"
	fi
fi
http_get() {   # PATH: prints the status line of GET PATH on the admin port
	(
		exec 3<>"/dev/tcp/127.0.0.1/$admin_port" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
		timeout 5 cat <&3 | head -n 1 | tr -d '\r'
	) 2>/dev/null
}
for p in /health /metrics /health /metrics /nope; do
	st=$(http_get "$p")
	echo "  GET $p: ${st:-no answer}"
done
# The admin API while armed (firmware/httpd.c, admin_send.c): request
# framing, JSON, base64, sends from the local account answered
# asynchronously (the sink rejects SHA-256(SHA-256(data)) with F06; no
# route is F02), and its refusals (400, 404, 405, 411, 413).
admin_post() {   # PATH BODY [curl options]: the HTTP status
	local p=$1 b=$2
	shift 2
	curl -s --max-time 10 -o "$tmp/admin.out" -w '%{http_code}' -H 'Expect:' "$@" \
		--data-binary "$b" "http://127.0.0.1:$admin_port$p"
}
n_f06=0 n_f02=0
for _ in $(seq 1 40); do
	st=$(admin_post /admin/ilp/send "{\"destination\":\"$to\",\"amount\":\"1\",\"data\":\"aGVsbG8=\"}")
	[ "$st" = 200 ] && grep -q '"code":"F06"' "$tmp/admin.out" && n_f06=$((n_f06 + 1))
	st=$(admin_post /admin/ilp/send '{"destination":"test.nowhere.x","amount":"1","data":""}')
	[ "$st" = 200 ] && grep -q '"code":"F02"' "$tmp/admin.out" && n_f02=$((n_f02 + 1))
done
if [ "$n_f06" = 40 ] && [ "$n_f02" = 40 ]; then
	ok "POST /admin/ilp/send while armed: 40 x F06 from the sink, 40 x F02"
else
	bad "POST /admin/ilp/send while armed: F06 $n_f06/40, F02 $n_f02/40 (last: $(cat "$tmp/admin.out"))"
fi
codes=""
codes="$codes $(admin_post /admin/ilp/send '{"destination":')"
codes="$codes $(admin_post /admin/ilp/send '{"destination":"a.b","amount":"x","data":""}')"
codes="$codes $(admin_post /admin/nothing '{}')"
codes="$codes $(admin_post /health '{}')"
codes="$codes $(admin_post /admin/ilp/send '{}' -H 'Transfer-Encoding: chunked')"
codes="$codes $(head -c 70000 /dev/zero | tr '\0' ' ' | curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
	-H 'Expect:' --data-binary @- "http://127.0.0.1:$admin_port/admin/ilp/send")"
if [ "$codes" = " 400 400 404 405 411 413" ]; then ok "admin API refusals while armed:$codes"
else bad "admin API refusals while armed: want 400 400 404 405 411 413, got$codes"; fi
# One commit per packet (window 1): 1100 more commits of 2 records each,
# so the journal passes half its ring (2048 records) while armed and a
# half-ring snapshot is taken whatever the group sizes above were.
timeout 60 "$ilpctl" send --url "$send_url" "${tls_args[@]}" --token alice-token --username alice \
	--to "$to" --count 1100 --window 1 --amount 1 >"$tmp/send-w1.log" 2>&1
summary=$(grep '^sent=' "$tmp/send-w1.log" | tail -n 1)
case " $summary " in
*" fulfilled=1100 "*) ok "1100 packets one at a time (a commit each): $summary" ;;
*) bad "1100 packets one at a time: ${summary:-no summary line}" ;;
esac
# The durable ledger worked while armed: commits synced, a half-ring
# snapshot taken (start-up's is the first).
persist_metric() {   # NAME: its value from GET /metrics (empty if absent)
	(
		exec 3<>"/dev/tcp/127.0.0.1/$admin_port" || exit 1
		printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		timeout 5 cat <&3 | tr -d '\r' | awk -v n="$1" '$1 == n { print $2 }'
	) 2>/dev/null
}
syncs=$(persist_metric ilpd_persist_syncs_total)
snaps=$(persist_metric ilpd_persist_snapshots_total)
if [ "${syncs:-0}" -ge 1100 ] && [ "${snaps:-0}" -ge 2 ] && [ -s "$tmp/ilpd.state" ]; then
	ok "persistence on while armed: $syncs syncs, $snaps snapshots, state file $(stat -c %s "$tmp/ilpd.state") bytes"
else
	bad "persistence not active: ilpd_persist_syncs_total=${syncs:-absent}, state file $(ls -l "$tmp/ilpd.state" 2>&1)"
fi
# Local delivery while armed (not with --tls): the HTTP client, the
# /handle-packet body and reply, the queue, the Rejects of every kind.
local_send() {   # NAME WANT TO [ilpctl send options]
	local name=$1 want=$2 to=$3 summary
	shift 3
	timeout 60 "$ilpctl" send --url "$send_url" --token alice-token --username alice \
		--to "$to" "$@" >"$tmp/send-local.log" 2>&1
	summary=$(grep '^sent=' "$tmp/send-local.log" | tail -n 1)
	case " $summary " in
	*" $want "*) ok "local delivery, $name: $summary" ;;
	*) bad "local delivery, $name: want $want, got: ${summary:-no summary line}" ;;
	esac
}
if [ "$tls" = 0 ]; then
	local_send accept fulfilled=2000 test.alloc.accept --preimage data --count 2000 --window 20
	local_send "echo 4 KB" fulfilled=200 test.alloc.echo --preimage data --count 200 --window 20 \
		--data-size 4096
	local_send "reject insufficient_funds" T04=200 test.alloc.reject-insufficient_funds \
		--preimage data --count 200 --window 20
	local_send "garbage reply" T00=100 test.alloc.garbage --preimage data --count 100 --window 10
	local_send "500 reply" T00=100 test.alloc.err500 --preimage data --count 100 --window 10
	local_send "wrong condition" F05=100 test.alloc.accept --count 100 --window 10
	local_send "slow, timed out or queued past the expiry" R00=40 test.alloc.slow --preimage data \
		--count 40 --window 40 --expiry-ms 2500
	ts=$(persist_metric ilpd_local_transit_sent_total)
	td=$(persist_metric ilpd_local_transit_dropped_total)
	if [ "${ts:-0}" -ge 1 ]; then
		ok "isTransit notifications while armed: $ts sent, ${td:-?} dropped (no free slot)"
	else
		bad "no isTransit notification sent: ilpd_local_transit_sent_total=${ts:-absent}"
	fi
	kill -TERM "$bls_pid" 2>/dev/null
	wait "$bls_pid" 2>/dev/null
	local_send "server down" T01=50 test.alloc.accept --preimage data --count 50 --window 5
fi
kill -HUP "$ilpd_pid" 2>/dev/null   # reload check (validates the file again)
sleep 0.3

kill -TERM "$sink_pid" 2>/dev/null

stop_and_check() {   # NAME PID: SIGTERM, exit status, the allocation report
	local name=$1 pid=$2 rc='' report=$tmp/$1.alloc-report
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			rc=$?
			break
		fi
		sleep 0.1
	done
	if [ -z "$rc" ]; then
		bad "$name did not exit within 10 s of SIGTERM"
	elif [ "$rc" -eq 0 ]; then
		ok "$name exited cleanly on SIGTERM"
	else
		bad "$name exited with status $rc on SIGTERM"
	fi
	if [ ! -s "$report" ]; then
		bad "$name: no allocation report: ilpd never called ilpd_alloc_mark() and did not exit through exit()"
		return
	fi
	local armed allocs frees exited line
	armed=$(field armed "$report")
	allocs=$(field allocs_after_mark "$report")
	frees=$(field frees_after_mark "$report")
	exited=$(field exited "$report")
	line=$(head -n 1 "$report")
	if [ "$armed" != 1 ]; then
		bad "$name never called ilpd_alloc_mark(): $line"
	elif [ "$exited" != 1 ]; then
		bad "$name did not reach exit() (killed by a signal?): $line"
	elif [ "$allocs" = 0 ] && [ "$frees" = 0 ]; then
		ok "$name: no heap use after initialisation: $line"
	else
		bad "$name: heap used after initialisation: $line"
		sed -n '2,$p' "$report" | sed 's/^/  /'
		echo "  (addr2line -f -e OBJECT OFFSET names each site; ILPD_ALLOC_ABORT=1 aborts at the first)"
	fi
}
stop_and_check ilpd "$ilpd_pid"
if [ "$tls" = 1 ]; then
	stop_and_check up "$up_pid"
fi

finish
