#!/usr/bin/env bash
# The IL-DCP client (issue 12), ilpd under ilpd. Node B has `address = auto`
# and a parent, node A (test.la), where it is the child "pi".
#  - before A runs, B has no address: /health says "address": null,
#    "addressSource": "waiting for parent", and B's child gets T01
#  - once the link is up B takes test.la.pi (and A's asset, USD/2) from A;
#    its child carol is reachable at test.la.pi.carol from A's side, and
#    test.la.pi.nobody gets F02 from B (own address space)
#  - A restarted as test.lb: B reconnects, is told test.lb.pi, refuses it
#    (ildcp.address_refused) and keeps test.la.pi, and does not use the
#    parent's link while it disagrees (T01 both ways, nothing forwarded);
#    A back as test.la: ildcp.conflict_cleared, packets flow again
#  - node C configured as test.wrong under A: ildcp.address_mismatch
#    warning, C keeps its configured address
. "$(dirname "$0")/lib.sh"
PA=$(hd_port 0) PAA=$(hd_port 1) PB=$(hd_port 2) PBA=$(hd_port 3) PC=$(hd_port 4) PCA=$(hd_port 5)
a_ini() {  # ADDRESS
	cat > "$HD_WORK/a.ini" <<INI
[node]
address = $1
asset_code = USD
asset_scale = 2
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
[peer cc]
relation = child
token = cc-secret-token-4
[ledger]
durability = off
INI
}
a_ini test.la
cat > "$HD_WORK/b.ini" <<INI
[node]
address = auto
[btp]
listen = 127.0.0.1:$PB
reconnect_min_ms = 100
reconnect_max_ms = 500
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
cat > "$HD_WORK/c.ini" <<INI
[node]
address = test.wrong
[btp]
listen = 127.0.0.1:$PC
[admin]
listen = 127.0.0.1:$PCA
[peer up]
relation = parent
url = ws://127.0.0.1:$PA/
token = cc-secret-token-4
[ledger]
durability = off
INI
jget() {  # JSON KEY -> the raw value
	python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"
}
send() {  # url token to -> ilpctl's summary line
	timeout 30 "$ILPCTL" send --url "$1" --token "$2" --to "$3" --count 3 --window 1 \
		--amount 1 --expiry-ms 30000 --timeout-ms 20000 2>&1 | tail -1
}

hd_start b "$ILPD" -c "$HD_WORK/b.ini"
hd_wait_port "$PBA" || die "B did not start: $(tail -3 "$HD_WORK/b.log")"
h=$(hd_health "$PBA")
if [ "$(jget "$h" address)" = null ] && [ "$(jget "$h" addressSource)" = "waiting for parent" ]; then
	ok "no parent yet: /health address null, addressSource 'waiting for parent'"
else bad "no parent yet: /health $h"; fi
out=$(send "ws://127.0.0.1:$PB/" carol-secret-token-3 test.la.x)
if echo "$out" | grep -q "T01=3"; then ok "no address yet: B's child gets T01 ($out)"
else bad "no address yet: B's child got $out"; fi

hd_start a "$ILPD" -c "$HD_WORK/a.ini"
hd_wait_port "$PAA" || die "A did not start: $(tail -3 "$HD_WORK/a.log")"
hd_wait_for "$HD_WORK/b.log" 'event=ildcp.address ' || bad "B did not log ildcp.address: $(grep ildcp "$HD_WORK/b.log")"
h=$(hd_health "$PBA")
if [ "$(jget "$h" address)" = test.la.pi ] && [ "$(jget "$h" addressSource)" = ildcp ]; then
	ok "B took test.la.pi from A (IL-DCP)"
else bad "B's /health after IL-DCP: $h"; fi
if grep -q 'event=ildcp.address peer=up address=test.la.pi asset_code=USD asset_scale=2' "$HD_WORK/b.log"; then
	ok "B took A's asset USD/2"
else bad "asset: $(grep 'ildcp.address' "$HD_WORK/b.log")"; fi

hd_start carol "$ILPCTL" sink --url "ws://127.0.0.1:$PB/" --token carol-secret-token-3 --timeout-ms 60000
# the second peer.up of carol (the first was ilpctl send's, before A ran)
for _ in $(seq 1 200); do
	[ "$(grep -c 'peer.up peer=carol' "$HD_WORK/b.log")" -ge 2 ] && break
	sleep 0.05
done
[ "$(grep -c 'peer.up peer=carol' "$HD_WORK/b.log")" -ge 2 ] || bad "carol's sink did not come up"
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.la.pi.carol.x)
if echo "$out" | grep -q "fulfilled=3 "; then ok "A's child -> test.la.pi.carol: fulfilled through B ($out)"
else bad "A's child -> test.la.pi.carol: $out"; fi
fb0=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.la.pi.nobody)
fb=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
if echo "$out" | grep -q "F02=3" && [ "$fb" = "$fb0" ]; then ok "test.la.pi.nobody: F02 from B, nothing forwarded"
else bad "test.la.pi.nobody: $out, B forwarded $((fb - fb0))"; fi

# C: configured address that differs from the parent's answer
hd_start c "$ILPD" -c "$HD_WORK/c.ini"
if hd_wait_for "$HD_WORK/c.log" 'event=ildcp.address_mismatch peer=up configured=test.wrong assigned=test.la.cc'; then
	ok "configured address differing from the parent's: warning"
else bad "C: $(grep -E 'ildcp|peer.up' "$HD_WORK/c.log")"; fi
h=$(hd_health "$PCA")
if [ "$(jget "$h" address)" = test.wrong ] && [ "$(jget "$h" addressSource)" = config ]; then
	ok "C keeps its configured address"
else bad "C's /health: $h"; fi

# A comes back as test.lb: B is told test.lb.pi and refuses it
hd_stop a
a_ini test.lb
hd_start a2 "$ILPD" -c "$HD_WORK/a.ini"
if hd_wait_for "$HD_WORK/b.log" 'event=ildcp.address_refused peer=up in_use=test.la.pi assigned=test.lb.pi'; then
	ok "a different address after a reconnect is refused (warning)"
else bad "no refusal: $(grep -E 'ildcp|peer\.' "$HD_WORK/b.log" | tail -5)"; fi
h=$(hd_health "$PBA")
if [ "$(jget "$h" address)" = test.la.pi ]; then ok "B keeps test.la.pi"
else bad "B's /health after the refusal: $h"; fi
case "$(jget "$h" addressSource)" in
*"refused"*) ok "B's /health says the parent's answer was refused" ;;
*) bad "addressSource after the refusal: $h" ;;
esac
# While the parent disagrees its link is not used (review: packets went up
# at the wrong scale, and test.lb.pi.x looped between A and B until R02).
fb0=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.lb.pi.x)
fb=$(hd_metric "$PBA" 'ilpd_packets_total{result="forwarded"}')
if echo "$out" | grep -q "T01=3" && [ "${fb:-x}" = "${fb0:-y}" ]; then
	ok "from the disagreeing parent: T01 from B at once, nothing forwarded ($out)"
else bad "from the disagreeing parent: $out (B forwarded $fb0 -> $fb)"; fi
hd_stop carol
out=$(send "ws://127.0.0.1:$PB/" carol-secret-token-3 test.lb.x)
if echo "$out" | grep -q "T01=3"; then ok "to the disagreeing parent: T01 ($out)"
else bad "to the disagreeing parent: $out"; fi
# A comes back as test.la: the same answer as before, the link is used again
hd_stop a2
a_ini test.la
hd_start a3 "$ILPD" -c "$HD_WORK/a.ini"
if hd_wait_for "$HD_WORK/b.log" 'event=ildcp.conflict_cleared peer=up address=test.la.pi'; then
	ok "the parent answers as before: ildcp.conflict_cleared"
else bad "no conflict_cleared: $(grep -E 'ildcp' "$HD_WORK/b.log" | tail -3)"; fi
hd_start carol2 "$ILPCTL" sink --url "ws://127.0.0.1:$PB/" --token carol-secret-token-3 --timeout-ms 60000
sleep 1
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.la.pi.carol.x)
if echo "$out" | grep -q "fulfilled=3"; then ok "after the parent agrees again: fulfilled through B ($out)"
else bad "after conflict_cleared: $out"; fi
finish
