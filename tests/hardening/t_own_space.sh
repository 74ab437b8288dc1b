#!/usr/bin/env bash
# A connector's own address space never leaves it (issue 12's routing bug):
# node B (test.la.pi) is a child of node A (test.la) with `default = up`.
# A Prepare to test.la.pi.nobody (no such child of B) must be rejected by B
# at once with F02 triggered by B, not sent up to A (which routes test.la.pi
# back to B: before the fix it looped until R02, 28 hops). The other way, a
# Prepare from B's child to test.la.nobody goes up to A, which rejects it
# (F02): it does not come back down.
. "$(dirname "$0")/lib.sh"
PA=$(hd_port 0) PAA=$(hd_port 1) PB=$(hd_port 2) PBA=$(hd_port 3)
cat > "$HD_WORK/a.ini" <<INI
[node]
address = test.la
[btp]
listen = 127.0.0.1:$PA
[admin]
listen = 127.0.0.1:$PAA
[peer pi]
relation = child
token = pi-secret-token-1
[peer alice]
relation = child
token = alice-secret-token-2
[ledger]
state_file = $HD_WORK/a.state
INI
cat > "$HD_WORK/b.ini" <<INI
[node]
address = test.la.pi
[btp]
listen = 127.0.0.1:$PB
[admin]
listen = 127.0.0.1:$PBA
[peer up]
relation = parent
url = ws://127.0.0.1:$PA/
token = pi-secret-token-1
[peer carol]
relation = child
token = carol-secret-token-3
[routes]
default = up
[ledger]
state_file = $HD_WORK/b.state
INI
hd_start a "$ILPD" -c "$HD_WORK/a.ini"
hd_start b "$ILPD" -c "$HD_WORK/b.ini"
hd_wait_port "$PAA" && hd_wait_port "$PBA" || die "nodes did not start (ports $PA $PAA $PB $PBA): $(tail -3 "$HD_WORK/a.log" "$HD_WORK/b.log"; ls -la "$HD_WORK"; ps -o pid,stat,etime,args -p "${HD_PID[a]},${HD_PID[b]}")"
hd_wait_for "$HD_WORK/a.log" 'peer.up peer=pi' || die "B did not come up under A"

send() {  # url token to -> ilpctl's summary line
	timeout 30 "$ILPCTL" send --url "$1" --token "$2" --to "$3" --count 5 --window 1 \
		--amount 1 --expiry-ms 30000 --timeout-ms 20000 2>&1 | tail -1
}
fa0=$(hd_metric "$PAA" 'ilpd_packets_total{result="forwarded"}')
fb0=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
t0=$EPOCHREALTIME
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.la.pi.nobody)
dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
fa=$(hd_metric "$PAA" 'ilpd_packets_total{result="forwarded"}')
fb=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
if echo "$out" | grep -q "rejected=5 " && echo "$out" | grep -q "F02=5"; then ok "A's child -> test.la.pi.nobody: 5 x F02 in ${dt}s ($out)"
else bad "A's child -> test.la.pi.nobody: $out (${dt}s)"; fi
if [ $((fa - fa0)) -eq 5 ] && [ $((fb - fb0)) -eq 0 ]; then ok "A forwarded each once to B, B forwarded none"
else bad "forwarded: A $((fa - fa0)), B $((fb - fb0)) (want 5 and 0)"; fi
hd_start carol "$ILPCTL" sink --url "ws://127.0.0.1:$PB/" --token carol-secret-token-3 --timeout-ms 60000
hd_wait_for "$HD_WORK/b.log" 'peer.up peer=carol' || bad "carol did not come up"
fa0=$fa fb0=$fb
out=$(send "ws://127.0.0.1:$PB/" carol-secret-token-3 test.la.pi.nobody)
fb=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
if echo "$out" | grep -q "F02=5" && [ $((fb - fb0)) -eq 0 ]; then ok "B's child -> test.la.pi.nobody: F02 from B, nothing forwarded"
else bad "B's child -> test.la.pi.nobody: $out, B forwarded $((fb - fb0))"; fi
fa0=$(hd_metric "$PAA" 'ilpd_packets_total{result="forwarded"}')
out=$(send "ws://127.0.0.1:$PB/" carol-secret-token-3 test.la.nobody)
fa=$(hd_metric "$PAA" 'ilpd_packets_total{result="forwarded"}')
fb2=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
if echo "$out" | grep -q "F02=5" && [ $((fb2 - fb)) -eq 5 ] && [ $((fa - fa0)) -eq 0 ]; then
	ok "B's child -> test.la.nobody: up to A once, F02 from A"
else bad "B's child -> test.la.nobody: $out, A forwarded $((fa - fa0)), B $((fb2 - fb))"; fi
finish
