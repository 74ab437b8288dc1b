#!/usr/bin/env bash
# Issue 10 point 4: one peer must not take the whole pending table.
# "flood" sends as many amount-0 Prepares as the board's pending table holds
# to "hole", a sink that never answers them within the test (it holds each
# Fulfill 60 s; ilpd expires them after 29 s). flood gets its share
# (max_in_flight, default a quarter of the table) and T05 past it; alice
# keeps paying bob meanwhile. Then a reload (SIGHUP) changes flood's
# max_in_flight in place. Numbers come from the running board (/metrics,
# /health), not from this script.
. "$(dirname "$0")/lib.sh"
btp=$(hd_port 1) adm=$(hd_port 2)
write_ini() {  # [flood's max_in_flight line]
	cat > "$HD_WORK/ilpd.ini" <<INI
[node]
address = test.ilpd
[btp]
listen = 127.0.0.1:$btp
[admin]
listen = 127.0.0.1:$adm
[peer flood]
relation = child
token = flood-share-token
$1
[peer hole]
relation = child
token = hole-share-token
[peer alice]
relation = child
token = alice-share-token
[peer bob]
relation = child
token = bob-share-token
[ledger]
state_file = $HD_WORK/ilpd.state
INI
}
write_ini ""
hd_start ilpd "$ILPD" -c "$HD_WORK/ilpd.ini"
hd_wait_port "$adm" || die "ilpd did not start: $(cat "$HD_WORK/ilpd.log")"
url="ws://127.0.0.1:$btp"
hd_start hole "$ILPCTL" sink --url "$url" --token hole-share-token --hold-ms 60000
hd_start bob "$ILPCTL" sink --url "$url" --token bob-share-token
hd_wait_for "$HD_WORK/hole.log" "sink address=" || die "hole's sink did not connect"
hd_wait_for "$HD_WORK/bob.log" "sink address=" || die "bob's sink did not connect"

table=$(curl -s --max-time 5 "http://127.0.0.1:$adm/metrics" | grep '^ilpd_pool_capacity{pool="pending"}' | awk '{print $2}')
peerfield() {  # NAME FIELD: a number from /health's entry for peer NAME
	hd_health "$adm" | grep -o "\"name\":\"$1\"[^}]*" | grep -o "\"$2\":[0-9]*" | grep -o '[0-9]*$'
}
share=$(peerfield flood maxInFlight)
echo "pending table $table, flood's max_in_flight ${share:-?}"
[ -n "$table" ] && [ "$table" -gt 0 ] || die "no pending capacity in /metrics"
[ -n "$share" ] && [ "$share" -lt "$table" ] && ok "default max_in_flight $share is a share of the table ($table)" \
	|| bad "flood's max_in_flight '${share}' is not below the table ($table)"

# The flood: one Prepare per slot of the table, all at once, amount 0.
"$ILPCTL" send --url "$url" --token flood-share-token --to test.ilpd.hole --amount 0 \
	--count "$table" --window "$table" --timeout-ms 5000 > "$HD_WORK/flood.log" 2>&1
echo "flood: $(tail -1 "$HD_WORK/flood.log")"
held=$(hd_metric "$adm" ilpd_pending_packets)
echo "pending after the flood: $held"
[ "$held" = "$share" ] && ok "flood holds exactly its share ($share slots)" \
	|| bad "flood holds $held slots, its share is $share"
refused=$(grep -o 'T05=[0-9]*' "$HD_WORK/flood.log" | grep -o '[0-9]*$')
[ "${refused:-0}" = "$((table - share))" ] && ok "the rest of the flood got T05 ($refused)" \
	|| bad "flood got T05=${refused:-0}, want $((table - share))"
[ "$(hd_metric "$adm" ilpd_in_flight_refused_total)" = "${refused:-x}" ] \
	&& ok "ilpd_in_flight_refused_total counts them" || bad "ilpd_in_flight_refused_total $(hd_metric "$adm" ilpd_in_flight_refused_total)"
[ "$(peerfield flood inFlightRefused)" = "${refused:-x}" ] && ok "/health inFlightRefused for flood" \
	|| bad "/health inFlightRefused $(peerfield flood inFlightRefused)"
[ "$(peerfield flood inFlightFrom)" = "${share:-x}" ] && ok "/health inFlightFrom for flood" \
	|| bad "/health inFlightFrom $(peerfield flood inFlightFrom)"

# Another peer keeps working while flood's packets are held.
"$ILPCTL" send --url "$url" --token alice-share-token --to test.ilpd.bob --amount 5 \
	--count 200 --window 20 --timeout-ms 20000 > "$HD_WORK/alice.log" 2>&1
rc=$?
echo "alice: $(tail -1 "$HD_WORK/alice.log")"
[ "$rc" -eq 0 ] && grep -q "fulfilled=200 rejected=0" "$HD_WORK/alice.log" \
	&& ok "alice's 200 packets to bob are all fulfilled during the flood" \
	|| bad "alice was refused during the flood: $(tail -1 "$HD_WORK/alice.log")"
[ "$(hd_metric "$adm" 'ilpd_pool_failures_total{pool="pending"}')" = 0 ] \
	&& ok "the pending table never filled (no T03)" || bad "the pending table filled"

# Reload: flood's share changes in place (no reconnect), lower than it holds.
write_ini "max_in_flight = 7"
kill -HUP "${HD_PID[ilpd]}"
for _ in $(seq 1 100); do [ "$(peerfield flood maxInFlight)" = 7 ] && break; sleep 0.05; done
[ "$(peerfield flood maxInFlight)" = 7 ] && ok "reload sets max_in_flight = 7 in place" \
	|| bad "after reload maxInFlight $(peerfield flood maxInFlight): $(tail -3 "$HD_WORK/ilpd.log")"
"$ILPCTL" send --url "$url" --token flood-share-token --to test.ilpd.hole --amount 0 \
	--count 1 --timeout-ms 2000 > "$HD_WORK/flood2.log" 2>&1
grep -q "T05=1" "$HD_WORK/flood2.log" && ok "flood, over its new share, gets T05 at once" \
	|| bad "flood after reload: $(tail -1 "$HD_WORK/flood2.log")"
finish
