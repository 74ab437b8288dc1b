#!/usr/bin/env bash
# Local delivery to a business-logic server (issue 14, docs/applications.md
# "HTTP business-logic server"), end to end with real servers.
#
#   tests/apps/deliver.sh ILPD_PATH ILPCTL_PATH
#
# Builds nothing. For each server - tests/apps/bls.js (node, standard
# library) and tests/apps/bls.py (python3 http.server, HTTP/1.1 keep-alive)
# - starts an ilpd (test.a) with [local] handler_url pointing to it
# (max_requests = 2, queue = 2, notify_transit = true), and sends with
# `ilpctl send --preimage data` (condition = SHA-256(SHA-256(data))) as
# child alice to test.a.MODE, where MODE tells the server what to answer;
# checks every case's code or fulfillment (ilpctl checks each Fulfill
# against its condition):
#   accept, echo, big (32,767 bytes of data): fulfilled; 30 echoes of 30 KB
#   with 4 in flight: fulfilled through the queue (its ring wraps);
#   reject-REASON: T04 R00 F00 F03 F06 F99 T00 T00 F99 by the mapping;
#   garbage, wrongtypes, huge, toolong, err500, close: T00 and the event
#   local.bad_reply; slow (beyond the expiry): R00;
#   a condition that is not SHA-256(SHA-256(data)): F05 without a request;
#   10 slow at once with max_requests 2 and queue 2: 6 x T03 at once, 4 x R00;
#   notify_transit: Prepares forwarded to child bob (an ilpctl sink) are
#   fulfilled and the server gets them as isTransit notifications;
#   every request the server saw followed the contract; the /metrics lines;
#   a reload without handler_url: F02, and with it again and max_requests 4:
#   delivered, 4 requests + 2 queued; the server stopped: T01.
# A server that never answers isTransit (bls.py TRANSIT_MS) with
# max_requests 2: 4 forwarded at once send 1 notification (one slot stays
# free), deliveries right after are fulfilled, the notification is
# abandoned after 1 s; a reload to max_requests 3 logs local.handler again
# (a reload that leaves [local] alone does not).
# Then end to end through two ilpds: sender -> ilpd A -> ilpd B -> B's local
# server (node), with ilpctl and with a JS sender (ilp-plugin-btp, pinned in
# tests/interop: installed with its `npm ci`; tests/apps/js_send.js).
# Every wait is bounded; ports are below 32768; only our own PIDs are
# stopped. Prints "N passed, N failed" last; non-zero exit on any failure.
# Env: KEEP=1 keeps the temp dir.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
pids=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-apps.XXXXXX")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "tests/apps: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# shellcheck source=../lib/report.sh
. "$here/../lib/report.sh"
# shellcheck source=../lib/npm-ci.sh
. "$here/../lib/npm-ci.sh"

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}

[ $# -eq 2 ] || { echo "usage: $0 ILPD_PATH ILPCTL_PATH" >&2; exit 2; }
ilpd=$(abspath "$1")
ilpctl=$(abspath "$2")
[ -x "$ilpd" ] || die "ilpd not found or not executable: $ilpd"
[ -x "$ilpctl" ] || die "ilpctl not found or not executable: $ilpctl"
command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
case $("$ilpctl" --help 2>&1) in
*--preimage*) ;;
*) die "$ilpctl has no send --preimage (too old)" ;;
esac

# N distinct free loopback ports in 20000..32000 (held while picked).
free_ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1]); out = []; held = []
for _ in range(2000):
    if len(out) == n:
        break
    p = random.randint(20000, 32000)
    if p in out:
        continue
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', p))
        held.append(s); out.append(p)
    except OSError:
        s.close()
print(' '.join(map(str, out)))
EOF
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

http_get() {   # PORT PATH: the body of GET PATH (HTTP/1.0, 5 s at most)
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
		timeout 5 cat <&3 | tr -d '\r' | sed '1,/^$/d'
	) 2>/dev/null
}

SLOW_MS=4000

# start_server KIND PORT: node or python bls on PORT; sets server_pid.
start_server() {
	local log=$tmp/bls-$1-$2.log
	if [ "$1" = node ]; then
		node "$here/bls.js" "$2" "$SLOW_MS" >"$log" 2>&1 &
	else
		python3 "$here/bls.py" "$2" "$SLOW_MS" >"$log" 2>&1 &
	fi
	server_pid=$!
	pids+=("$server_pid")
	wait_port "$2" 10 "$server_pid" || { cat "$log"; die "bls ($1) did not listen on $2 within 10 s"; }
}

stop_pid() {   # PID: SIGTERM, then SIGKILL after 5 s
	local p=$1
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# start_ilpd NAME: ilpd -c $tmp/NAME.ini; waits for the BTP port $2.
start_ilpd() {
	"$ilpd" -c "$tmp/$1.ini" >"$tmp/$1.log" 2>&1 &
	ilpd_pid=$!
	pids+=("$ilpd_pid")
	if ! wait_port "$2" 10 "$ilpd_pid"; then
		tail -n 20 "$tmp/$1.log" | sed "s/^/  $1: /"
		die "ilpd $1 did not listen on 127.0.0.1:$2 within 10 s"
	fi
}

# send NAME WANT TO [ilpctl send options...]: one ilpctl send run as alice
# on $btp; WANT is a list of words the summary line must hold, e.g.
# "fulfilled=2 rejected=0" or "rejected=2 T04=2".
send() {
	local name=$1 want=$2 to=$3 summary w missing=''
	shift 3
	timeout 60 "$ilpctl" send --url "ws://127.0.0.1:$btp" --token alice-token --username alice \
		--to "$to" "$@" >"$tmp/send.log" 2>&1
	summary=$(grep '^sent=' "$tmp/send.log" | tail -n 1)
	for w in $want; do
		case " $summary " in
		*" $w "*) ;;
		*) missing="$missing $w" ;;
		esac
	done
	if [ -z "$missing" ] && [ -n "$summary" ]; then
		ok "$name: $summary"
	else
		tail -n 3 "$tmp/send.log" | sed 's/^/  send: /'
		bad "$name: want '$want', got: ${summary:-no summary line}"
	fi
}

reload_ilpd() {   # NAME PID: SIGHUP and wait (10 s at most) for config.reloaded
	local n end
	n=$(grep -c 'event=config.reloaded' "$tmp/$1.log")
	kill -HUP "$2"
	end=$((SECONDS + 10))
	while [ "$(grep -c 'event=config.reloaded' "$tmp/$1.log")" -le "$n" ]; do
		if [ $SECONDS -ge $end ]; then
			grep 'event=config.reload' "$tmp/$1.log" | tail -n 2 | sed 's/^/  ilpd: /'
			bad "$1: no config.reloaded within 10 s of SIGHUP"
			return 1
		fi
		sleep 0.05
	done
}

metric() {   # ADMIN_PORT NAME: its value on /metrics (empty if absent)
	http_get "$1" /metrics | awk -v n="$2" '$1 == n { print $2 }'
}

stat_field() {   # SERVER_PORT FIELD: a number from the server's /stats
	http_get "$1" /stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2" 2>/dev/null
}

ini_common() {   # NAME ADDRESS BTP ADMIN
	cat >"$tmp/$1.ini" <<EOF
; tests/apps/deliver.sh ($1)
[node]
address = $2
asset_code = XRP
asset_scale = 9

[btp]
listen = 127.0.0.1:$3

[admin]
listen = 127.0.0.1:$4

[log]
level = info

[ledger]
durability = off
EOF
}

# ---- one ilpd, each server ---------------------------------------------------
one_server() {   # KIND
	local kind=$1 sport btp admin reason code v
	read -r sport btp admin <<<"$(free_ports 3)"
	[ -n "${admin:-}" ] || die "could not pick free ports"
	start_server "$kind" "$sport"
	ini_common "a-$kind" test.a "$btp" "$admin"
	cat >>"$tmp/a-$kind.ini" <<EOF

[local]
handler_url = http://127.0.0.1:$sport
max_requests = 2
queue = 2
timeout_margin_ms = 500
notify_transit = true

[peer alice]
relation = child
token = alice-token

[peer bob]
relation = child
token = bob-token
EOF
	start_ilpd "a-$kind" "$btp"
	local apid=$ilpd_pid
	echo "---- $kind server (bls on $sport, ilpd BTP $btp, admin $admin)"

	send "$kind accept" "fulfilled=2 rejected=0" test.a.accept --preimage data --count 2
	send "$kind echo (1000 bytes of data)" "fulfilled=2 rejected=0" test.a.echo --preimage data \
		--count 2 --data-size 1000
	send "$kind big (32,767 bytes back)" "fulfilled=1 rejected=0" test.a.big --preimage data
	# 4 in flight against max_requests 2 + queue 2: two wait at any time,
	# 30 KB each, so the queue's ring (2 x 48 KiB) wraps around.
	send "$kind echo 30 KB x 30 through the queue" "fulfilled=30 rejected=0" test.a.echo \
		--preimage data --count 30 --window 4 --data-size 30000
	send "$kind destination = the node's address" "fulfilled=1 rejected=0" test.a --preimage data
	for reason in insufficient_funds:T04 expired:R00 invalid_request:F00 invalid_amount:F03 \
		unexpected_payment:F06 application_error:F99 internal_error:T00 timeout:T00 \
		something_else:F99; do
		code=${reason#*:}
		reason=${reason%%:*}
		send "$kind reject $reason -> $code" "rejected=2 $code=2" "test.a.reject-$reason" \
			--preimage data --count 2
	done
	for v in garbage wrongtypes huge toolong err500 close; do
		send "$kind $v -> T00" "rejected=2 T00=2" "test.a.$v" --preimage data --count 2
	done
	if grep -q 'event=local.bad_reply' "$tmp/a-$kind.log"; then
		ok "$kind: local.bad_reply logged: $(grep -m 1 'event=local.bad_reply' "$tmp/a-$kind.log" | cut -d' ' -f3-)"
	else
		bad "$kind: no local.bad_reply event in the log"
	fi
	send "$kind slow (beyond the expiry) -> R00" "rejected=1 R00=1" test.a.slow --preimage data \
		--expiry-ms 3000
	send "$kind wrong condition -> F05" "rejected=2 F05=2" test.a.accept --count 2
	send "$kind 10 slow at once, 2 requests + 2 queued -> 6 T03, 4 R00" "rejected=10 R00=4 T03=6" \
		test.a.slow --preimage data --count 10 --window 10 --expiry-ms 3000

	# notify_transit: packets forwarded to child bob
	: >"$tmp/sink.log"
	timeout 60 "$ilpctl" sink --url "ws://127.0.0.1:$btp" --token bob-token --username bob \
		>"$tmp/sink.log" 2>&1 &
	local sink_pid=$!
	pids+=("$sink_pid")
	local end=$((SECONDS + 10))
	until grep -q '^sink address=' "$tmp/sink.log"; do
		if [ $SECONDS -ge $end ] || ! kill -0 "$sink_pid" 2>/dev/null; then
			bad "$kind: ilpctl sink did not connect within 10 s"
			break
		fi
		sleep 0.05
	done
	local t0
	t0=$(stat_field "$sport" transit)
	# One at a time: a notification still in flight when the next packet
	# is forwarded may take the last free request slot (max_requests = 2),
	# and one that finds none is dropped by design.
	# Each waits for its notification (up to 5 s) before the next goes.
	local w
	for v in 1 2 3 4 5; do
		send "$kind forwarded to bob #$v (notify_transit)" "fulfilled=1 rejected=0" test.a.bob
		end=$((SECONDS + 5))
		w=$(stat_field "$sport" transit)
		while [ "$((${w:-0} - ${t0:-0}))" -lt "$v" ] && [ $SECONDS -lt $end ]; do
			sleep 0.1
			w=$(stat_field "$sport" transit)
		done
	done
	end=$((SECONDS + 5))
	v=$(stat_field "$sport" transit)
	while [ "$((${v:-0} - ${t0:-0}))" -lt 5 ] && [ $SECONDS -lt $end ]; do
		sleep 0.1
		v=$(stat_field "$sport" transit)
	done
	if [ "$((${v:-0} - ${t0:-0}))" -eq 5 ]; then
		ok "$kind: the server got 5 isTransit notifications"
	else
		bad "$kind: isTransit notifications: want 5, got $((${v:-0} - ${t0:-0}))"
	fi
	# 20 at once: every one is either sent or dropped (counted), and
	# forwarding never waits for them.
	local ts0 td0 ts1 td1
	ts0=$(metric "$admin" ilpd_local_transit_sent_total)
	td0=$(metric "$admin" ilpd_local_transit_dropped_total)
	send "$kind 20 forwarded at once (notify_transit)" "fulfilled=20 rejected=0" test.a.bob \
		--count 20 --window 20
	ts1=$(metric "$admin" ilpd_local_transit_sent_total)
	td1=$(metric "$admin" ilpd_local_transit_dropped_total)
	if [ -n "$ts1" ] && [ -n "$td1" ] && [ $((ts1 - ts0 + td1 - td0)) -eq 20 ]; then
		ok "$kind: 20 forwarded: $((ts1 - ts0)) notifications sent, $((td1 - td0)) dropped (no free slot)"
	else
		bad "$kind: 20 forwarded: transit sent ${ts0:-?}->${ts1:-?}, dropped ${td0:-?}->${td1:-?}"
	fi
	stop_pid "$sink_pid"

	local reqs conns
	reqs=$(stat_field "$sport" requests)
	conns=$(stat_field "$sport" connections)
	if [ -n "$reqs" ] && [ -n "$conns" ] && [ "$((conns * 2))" -le "$reqs" ]; then
		ok "$kind: keep-alive: $reqs requests on $conns connections"
	else
		bad "$kind: keep-alive: ${reqs:-?} requests on ${conns:-?} connections (want at most half)"
	fi
	v=$(stat_field "$sport" bad)
	if [ "$v" = 0 ]; then
		ok "$kind: every request followed the contract ($(stat_field "$sport" requests) requests)"
	else
		bad "$kind: $v requests broke the contract (field $(stat_field "$sport" badWhy))"
	fi
	v=$(metric "$admin" ilpd_local_http_requests_total)
	if [ -n "$v" ] && [ "$v" -ge 69 ]; then
		ok "$kind: /metrics ilpd_local_http_requests_total $v," \
			"queued $(metric "$admin" ilpd_local_http_queued_total)," \
			"queue_full $(metric "$admin" ilpd_local_http_queue_full_total)," \
			"transit_sent $(metric "$admin" ilpd_local_transit_sent_total)"
	else
		bad "$kind: /metrics ilpd_local_http_requests_total: ${v:-absent}"
	fi

	# A reload that removes handler_url: no local delivery (F02, as without
	# a handler); one that brings it back with other limits: delivered again.
	cp "$tmp/a-$kind.ini" "$tmp/a-$kind.ini.orig"
	sed -i '/^handler_url/d' "$tmp/a-$kind.ini"
	reload_ilpd "a-$kind" "$apid"
	send "$kind reload without handler_url -> F02" "rejected=1 F02=1" test.a.accept --preimage data
	sed 's/^max_requests = 2/max_requests = 4/' "$tmp/a-$kind.ini.orig" >"$tmp/a-$kind.ini"
	reload_ilpd "a-$kind" "$apid"
	send "$kind reload with handler_url again (max_requests 4) -> delivered" \
		"fulfilled=4 rejected=0" test.a.echo --preimage data --count 4 --window 4
	send "$kind 10 slow at once, now 4 requests + 2 queued -> 4 T03, 6 R00" \
		"rejected=10 R00=6 T03=4" test.a.slow --preimage data --count 10 --window 10 --expiry-ms 3000

	stop_pid "$server_pid"
	send "$kind server down -> T01" "rejected=2 T01=2" test.a.accept --preimage data --count 2
	if kill -0 "$apid" 2>/dev/null; then
		ok "$kind: ilpd still running"
	else
		bad "$kind: ilpd died"
		tail -n 20 "$tmp/a-$kind.log" | sed 's/^/  ilpd: /'
	fi
	stop_pid "$apid"
}

one_server node
one_server python

# ---- a server that never answers isTransit: deliveries keep their slots ------
# max_requests = 2: at most one notification may be in flight (one slot
# always stays free for deliveries) and it is abandoned after 1 s, so a
# delivery right after 4 forwarded packets is answered well within 3 s.
slow_transit() {
	local sport btp admin apid sink_pid end t0 v
	read -r sport btp admin <<<"$(free_ports 3)"
	[ -n "${admin:-}" ] || die "could not pick free ports"
	echo "---- a server that never answers isTransit (bls on $sport, ilpd BTP $btp)"
	python3 "$here/bls.py" "$sport" "$SLOW_MS" 30000 >"$tmp/bls-transit.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	wait_port "$sport" 10 "$server_pid" || die "bls (slow transit) did not listen on $sport"
	ini_common t test.a "$btp" "$admin"
	cat >>"$tmp/t.ini" <<EOF

[local]
handler_url = http://127.0.0.1:$sport
max_requests = 2
queue = 2
notify_transit = true

[peer alice]
relation = child
token = alice-token

[peer bob]
relation = child
token = bob-token
EOF
	start_ilpd t "$btp"
	apid=$ilpd_pid
	timeout 60 "$ilpctl" sink --url "ws://127.0.0.1:$btp" --token bob-token --username bob \
		>"$tmp/sink-t.log" 2>&1 &
	sink_pid=$!
	pids+=("$sink_pid")
	end=$((SECONDS + 10))
	until grep -q '^sink address=' "$tmp/sink-t.log"; do
		if [ $SECONDS -ge $end ] || ! kill -0 "$sink_pid" 2>/dev/null; then
			bad "slow transit: ilpctl sink did not connect within 10 s"
			break
		fi
		sleep 0.05
	done
	t0=$(date +%s%N)
	send "slow transit: 4 forwarded at once" "fulfilled=4 rejected=0" test.a.bob \
		--count 4 --window 4
	send "slow transit: 2 deliveries right after (3 s expiry) -> fulfilled" \
		"fulfilled=2 rejected=0" test.a.accept --preimage data --count 2 --window 2 \
		--expiry-ms 3000
	v=$(metric "$admin" ilpd_local_transit_sent_total)
	if [ "${v:-0}" -eq 1 ]; then
		ok "slow transit: 1 notification sent (the others dropped: one slot stays free)"
	else
		bad "slow transit: ilpd_local_transit_sent_total ${v:-absent}, want 1"
	fi
	# abandoned after 1 s (DL_TRANSIT_MAX_MS), not held for the expiry
	v=$(metric "$admin" ilpd_local_transit_failed_total)
	while [ "${v:-0}" -lt 1 ] && [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ]; do
		sleep 0.05
		v=$(metric "$admin" ilpd_local_transit_failed_total)
	done
	if [ "${v:-0}" -ge 1 ]; then
		ok "slow transit: the unanswered notification was abandoned within 10 s (the packets expire after 30 s)"
	else
		bad "slow transit: no transit failure within 10 s (ilpd_local_transit_failed_total ${v:-absent})"
	fi
	# A reload that changes [local] logs local.handler again; one that
	# changes nothing there does not.
	v=$(grep -c 'event=local.handler ' "$tmp/t.log")
	sed -i 's/^max_requests = 2/max_requests = 3/' "$tmp/t.ini"
	reload_ilpd t "$apid"
	if [ "$(grep -c 'event=local.handler ' "$tmp/t.log")" -eq $((v + 1)) ] &&
		grep 'event=local.handler ' "$tmp/t.log" | tail -n 1 | grep -q ' max_requests=3 '; then
		ok "reload max_requests 2 -> 3: local.handler logged again"
	else
		grep 'event=local.handler' "$tmp/t.log" | sed 's/^/  ilpd: /'
		bad "reload max_requests 2 -> 3: no new local.handler line with max_requests=3"
	fi
	v=$(grep -c 'event=local.handler ' "$tmp/t.log")
	reload_ilpd t "$apid"
	if [ "$(grep -c 'event=local.handler ' "$tmp/t.log")" -eq "$v" ]; then
		ok "reload without a [local] change: no local.handler line"
	else
		bad "reload without a [local] change logged local.handler"
	fi
	stop_pid "$sink_pid"
	stop_pid "$apid"
	stop_pid "$server_pid"
}
slow_transit

# ---- two hops: sender -> ilpd A -> ilpd B -> B's server -------------------
echo "---- two ilpds"
read -r sport abtp aadm bbtp badm <<<"$(free_ports 5)"
[ -n "${badm:-}" ] || die "could not pick free ports"
start_server node "$sport"
ini_common b test.b "$bbtp" "$badm"
cat >>"$tmp/b.ini" <<EOF

[local]
handler_url = http://127.0.0.1:$sport/

[peer a]
relation = peer
token = ab-token
EOF
ini_common a test.a "$abtp" "$aadm"
cat >>"$tmp/a.ini" <<EOF

[peer alice]
relation = child
token = alice-token

[peer b]
relation = peer
url = ws://127.0.0.1:$bbtp/
token = ab-token

[routes]
test.b = b
EOF
start_ilpd b "$bbtp"
b_pid=$ilpd_pid
start_ilpd a "$abtp"
a_pid=$ilpd_pid
end=$((SECONDS + 10))
until grep -q 'event=peer.up peer=b ' "$tmp/a.log"; do
	[ $SECONDS -lt $end ] || die "ilpd a did not connect to b within 10 s"
	sleep 0.05
done
btp=$abtp
send "two hops: accept" "fulfilled=3 rejected=0" test.b.accept --preimage data --count 3
send "two hops: echo 5000 bytes" "fulfilled=2 rejected=0" test.b.echo --preimage data --count 2 \
	--data-size 5000
send "two hops: reject insufficient_funds -> T04" "rejected=1 T04=1" \
	test.b.reject-insufficient_funds --preimage data
ilpd_npm_ci "$here/../interop" tests/apps/deliver.sh 18
NODE_PATH=$here/../interop/node_modules timeout 120 node "$here/js_send.js" "$abtp" alice \
	alice-token test.b >"$tmp/js.log" 2>&1
js_rc=$?
grep -E '^(PASS|FAIL): ' "$tmp/js.log"
js_sum=$(tail -n 1 "$tmp/js.log")
if [ "$js_rc" -eq 0 ] && case $js_sum in *' 0 failed') true ;; *) false ;; esac; then
	ok "two hops: the JS sender (ilp-plugin-btp): $js_sum"
else
	tail -n 5 "$tmp/js.log" | sed 's/^/  js: /'
	bad "two hops: the JS sender failed (rc $js_rc): $js_sum"
fi
for p in "$a_pid" "$b_pid"; do
	if kill -0 "$p" 2>/dev/null; then
		stop_pid "$p"
	else
		bad "two hops: an ilpd died (pid $p)"
	fi
done
stop_pid "$server_pid"
finish
