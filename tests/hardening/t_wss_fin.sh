#!/usr/bin/env bash
# t_wss_fin.sh - issue 10: no Fulfill is lost when the next hop writes its
# Fulfills and closes TCP at once, without close_notify, over wss://.
#
# fin_hop.py (next to this script) is the hostile next hop: it collects N
# Prepares, writes N Fulfills (one TLS record each, TCP_CORK so the last
# one and the FIN share a segment) and shuts the socket without
# close_notify. `ilpctl send` sends the N Prepares all at once (window N)
# through ilpd; every Fulfill the hop wrote must reach it as a Fulfill.
#   1. outbound: ilpd dials the hop (a [peer] with url = wss://localhost:P)
#      and reads its Fulfills as TLS client;
#   2. inbound: ilpd's listener is wss:// ([btp] tls = on), the hop dials
#      in as a child and ilpd reads its Fulfills as TLS server (the sender
#      is on wss:// too).
# Before the fix ilpd lost every Fulfill that came with the FIN (sender:
# fulfilled=0 rejected=N T01=N). Needs an ilpd built with TLS (either
# backend), python3 and openssl. Only 127.0.0.1; every wait bounded.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

N=100
pki=$HD_WORK/pki

# bad_logs MSG FILE...: a failure, with the tail of each log
bad_logs() {
	local m=$1 f
	shift
	bad "$m"
	for f in "$@"; do echo "  --- $(basename "$f")"; tail -n 15 "$f" 2>/dev/null | sed 's/^/    /'; done
}

printf '[node]\naddress = test.x\n[peer p]\nrelation = parent\nurl = wss://h/\ntoken = t\n' > "$HD_WORK/probe.ini"
if "$ILPD" --check-config "$HD_WORK/probe.ini" 2>&1 | grep -q "built without TLS"; then
	bad "this ilpd was built without TLS: t_wss_fin needs a TLS build (preset host or host-mbedtls)"
	finish
fi
command -v python3 >/dev/null || { bad "python3 is missing"; finish; }
bash "$here/../tls/make-certs.sh" "$pki" >/dev/null 2>&1 || { bad "tests/tls/make-certs.sh failed"; finish; }

ini_common() {  # FILE ADDRESS BTP_PORT ADMIN_PORT BTP_EXTRA
	cat > "$1" <<EOF
[node]
address = $2
[btp]
listen = 127.0.0.1:$3
reconnect_min_ms = 50
reconnect_max_ms = 200
ping_interval_ms = 60000
$5
[admin]
listen = 127.0.0.1:$4
[log]
level = debug
[peer alice]
relation = child
token = alice-token
[ledger]
state_file = $1.state
EOF
}

# check NAME SEND_LOG HOP_LOG: every Fulfill the hop wrote reached the sender
check() {
	local name=$1 slog=$2 hlog=$3 wrote got line
	wrote=$(sed -n 's/^prepares=[0-9]* fulfills=\([0-9]*\)$/\1/p' "$hlog")
	line=$(grep '^sent=' "$slog" | tail -1)
	got=$(echo "$line" | sed -n 's/.*fulfilled=\([0-9]*\).*/\1/p')
	if [ "${wrote:-x}" = "$N" ] && [ "${got:-y}" = "$wrote" ]; then
		ok "$name: the hop wrote $wrote Fulfills and closed without close_notify; the sender got $got ($line)"
	else
		bad_logs "$name: the hop wrote ${wrote:-?} Fulfills, the sender got ${got:-?} Fulfills ($line)" \
			"$slog" "$hlog"
	fi
}

# alive NAME: ilpd NAME survived the hop's close, without sanitizer reports
alive() {
	if kill -0 "${HD_PID[$1]:-0}" 2>/dev/null &&
		! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$HD_WORK/$1.log"; then
		ok "$1 is still running after the hop's close, no sanitizer report"
	else
		bad_logs "$1 died or reported a sanitizer error" "$HD_WORK/$1.log"
	fi
}

# wait_exit NAME: until the started process NAME exits (30 s)
wait_exit() {
	local p=${HD_PID[$1]:-} _
	[ -n "$p" ] || return 0
	for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	hd_stop "$1" KILL
}

# --- 1. outbound: ilpd dials the hop over wss:// --------------------------
hop=$(hd_port 1) btp=$(hd_port 2) adm=$(hd_port 3)
hd_start hop1 python3 "$here/fin_hop.py" serve "$hop" "$pki/chain.pem" "$pki/server.key" hop-token "$N"
hd_wait_for "$HD_WORK/hop1.log" '^listening' || bad_logs "outbound: the hop did not listen" "$HD_WORK/hop1.log"
ini_common "$HD_WORK/a.ini" test.a "$btp" "$adm" ""
cat >> "$HD_WORK/a.ini" <<EOF
[tls]
ca_file = $pki/ca.pem
[peer hop]
relation = peer
url = wss://localhost:$hop/
token = hop-token
# fin_hop.py speaks no CCP: a route control Prepare would take one of its
# N places (it counts every Prepare)
send_routes = false
receive_routes = false
[routes]
test.hop = hop
EOF
hd_start ilpd_a "$ILPD" -c "$HD_WORK/a.ini"
if hd_wait_port "$btp" && hd_wait_for "$HD_WORK/hop1.log" '^auth ok'; then
	timeout 60 "$ILPCTL" send --url "ws://127.0.0.1:$btp" --token alice-token --to test.hop.x \
		--count "$N" --window "$N" --timeout-ms 20000 > "$HD_WORK/send1.log" 2>&1
	wait_exit hop1
	check "outbound wss:// next hop (ilpd as TLS client)" "$HD_WORK/send1.log" "$HD_WORK/hop1.log"
	if grep -q 'without close_notify (truncated)' "$HD_WORK/ilpd_a.log"; then
		ok "outbound: the link's close reason says the stream was truncated"
	else
		bad_logs "outbound: no 'truncated' close reason in ilpd's log" "$HD_WORK/ilpd_a.log"
	fi
	alive ilpd_a
else
	bad_logs "outbound: ilpd did not connect to the hop" "$HD_WORK/ilpd_a.log" "$HD_WORK/hop1.log"
fi
hd_stop ilpd_a
hd_stop hop1

# --- 2. inbound: the hop dials ilpd's wss:// listener ---------------------
btp=$(hd_port 4) adm=$(hd_port 5)
ini_common "$HD_WORK/b.ini" test.b "$btp" "$adm" "tls = on"
cat >> "$HD_WORK/b.ini" <<EOF
[tls]
ca_file = $pki/ca.pem
cert_file = $pki/chain.pem
key_file = $pki/server.key
[peer hop]
relation = child
token = hop-token
EOF
hd_start ilpd_b "$ILPD" -c "$HD_WORK/b.ini"
if hd_wait_port "$btp"; then
	hd_start hop2 python3 "$here/fin_hop.py" dial "$btp" "$pki/ca.pem" hop-token "$N"
	if hd_wait_for "$HD_WORK/hop2.log" '^auth ok'; then
		timeout 60 "$ILPCTL" send --url "wss://localhost:$btp" --ca "$pki/ca.pem" \
			--token alice-token --to test.b.hop.x --count "$N" --window "$N" \
			--timeout-ms 20000 > "$HD_WORK/send2.log" 2>&1
		wait_exit hop2
		check "inbound wss:// peer (ilpd as TLS server)" "$HD_WORK/send2.log" "$HD_WORK/hop2.log"
		alive ilpd_b
	else
		bad_logs "inbound: the hop did not authenticate" "$HD_WORK/hop2.log" "$HD_WORK/ilpd_b.log"
	fi
else
	bad_logs "inbound: ilpd did not listen" "$HD_WORK/ilpd_b.log"
fi
hd_stop ilpd_b
hd_stop hop2

finish
