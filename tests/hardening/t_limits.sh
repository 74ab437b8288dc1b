#!/usr/bin/env bash
# Per-peer rate and throughput limits (issue 12), end to end: alice may send
# 5 Prepares per second (burst 5), bob 1000 units per second; carol sinks.
# A burst of 20 from alice: 5 tokens (one for ilpctl's IL-DCP request), the
# rest get T05 at once; after a second the bucket is full again. bob's
# 20 x 100: 10 pass, the rest get T04. /health and /metrics count them.
. "$(dirname "$0")/lib.sh"
P=$(hd_port 0) PA=$(hd_port 1)
cat > "$HD_WORK/n.ini" <<INI
[node]
address = test.lim
[btp]
listen = 127.0.0.1:$P
[admin]
listen = 127.0.0.1:$PA
[peer alice]
relation = child
token = alice-secret-token-1
rate_limit = 5
rate_limit_burst = 5
[peer bob]
relation = child
token = bob-secret-token-2
throughput_in = 1000
[peer carol]
relation = child
token = carol-secret-token-3
[ledger]
durability = off
INI
hd_start n "$ILPD" -c "$HD_WORK/n.ini"
hd_wait_port "$PA" || die "ilpd did not start: $(tail -3 "$HD_WORK/n.log")"
hd_start carol "$ILPCTL" sink --url "ws://127.0.0.1:$P/" --token carol-secret-token-3 --timeout-ms 60000
hd_wait_for "$HD_WORK/n.log" 'peer.up peer=carol' || die "carol did not come up"
send() {  # token count amount -> ilpctl's summary line
	timeout 30 "$ILPCTL" send --url "ws://127.0.0.1:$P/" --token "$1" --to test.lim.carol.x \
		--count "$2" --window 1 --amount "$3" --expiry-ms 30000 --timeout-ms 20000 2>&1 | tail -1
}
peerfield() {  # peer field
	hd_health "$PA" | python3 -c 'import json,sys; print([p for p in json.load(sys.stdin)["peers"] if p["name"]==sys.argv[1]][0][sys.argv[2]])' "$1" "$2"
}
out=$(send alice-secret-token-1 20 1)
ful=$(echo "$out" | sed -n 's/.*fulfilled=\([0-9]*\).*/\1/p')
t05=$(echo "$out" | sed -n 's/.*T05=\([0-9]*\).*/\1/p')
# ilpctl's IL-DCP request takes a token too (every Prepare does, as in
# ilp-connector); the burst takes well under a second: 4, maybe 5 or 6
if [ "${ful:-0}" -ge 4 ] && [ "${ful:-0}" -le 7 ] && [ $((ful + ${t05:-0})) -eq 20 ]; then
	ok "rate_limit 5/s, burst 5: $out"
else bad "rate_limit: $out"; fi
[ "$(peerfield alice rateLimited)" = "${t05:-x}" ] && ok "/health rateLimited = $t05" \
	|| bad "/health rateLimited $(peerfield alice rateLimited), want $t05"
m=$(hd_metric "$PA" 'ilpd_peer_limited_total{peer="alice",limit="rate"}')
[ "$m" = "${t05:-x}" ] && ok "/metrics ilpd_peer_limited_total{peer=\"alice\",limit=\"rate\"} = $m" \
	|| bad "/metrics rate limited: $m, want $t05"
sleep 1.2
out=$(send alice-secret-token-1 4 1)
if echo "$out" | grep -q "fulfilled=4 "; then ok "after a second the bucket is full again: $out"
else bad "after a second: $out"; fi
out=$(send bob-secret-token-2 20 100)
ful=$(echo "$out" | sed -n 's/.*fulfilled=\([0-9]*\).*/\1/p')
t04=$(echo "$out" | sed -n 's/.*T04=\([0-9]*\).*/\1/p')
if [ "${ful:-0}" -ge 10 ] && [ "${ful:-0}" -le 12 ] && [ $((ful + ${t04:-0})) -eq 20 ]; then
	ok "throughput_in 1000/s: $out"
else bad "throughput_in: $out"; fi
[ "$(peerfield bob throughputLimited)" = "${t04:-x}" ] && ok "/health throughputLimited = $t04" \
	|| bad "/health throughputLimited $(peerfield bob throughputLimited), want $t04"
finish
