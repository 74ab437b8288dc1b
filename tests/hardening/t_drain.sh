#!/usr/bin/env bash
# Issue 10 point 3: two colluding accounts must not drain the connector.
# alice (max_balance 1000) sends 1000 to bob and disconnects before bob
# answers; bob (a sink holding each Fulfill 2 s) fulfills. The Fulfill
# cannot be delivered, but it proves the payment: ilpd pays bob and charges
# alice, so her credit limit binds and the next rounds get T04. ilpd's books
# must equal what both sides can account for: bob's Fulfills sent times
# 1000, owed to bob and owed by alice.
. "$(dirname "$0")/lib.sh"
btp=$(hd_port 1) adm=$(hd_port 2)
cat > "$HD_WORK/ilpd.ini" <<INI
[node]
address = test.ilpd
[btp]
listen = 127.0.0.1:$btp
[admin]
listen = 127.0.0.1:$adm
[peer alice]
relation = child
token = alice-drain-token
max_balance = 1000
[peer bob]
relation = child
token = bob-drain-token
[ledger]
state_file = $HD_WORK/ilpd.state
INI
hd_start ilpd "$ILPD" -c "$HD_WORK/ilpd.ini"
hd_wait_port "$adm" || die "ilpd did not start: $(cat "$HD_WORK/ilpd.log")"
hd_start bob "$ILPCTL" sink --url "ws://127.0.0.1:$btp" --token bob-drain-token --hold-ms 2000
hd_wait_for "$HD_WORK/bob.log" "sink address=" || die "bob's sink did not connect"

for round in 1 2 3; do
	before=$(hd_metric "$adm" ilpd_undeliverable_total)
	# alice gives up after 600 ms and closes her link: she never reads bob's answer
	"$ILPCTL" send --url "ws://127.0.0.1:$btp" --token alice-drain-token --to test.ilpd.bob \
		--count 1 --amount 1000 --timeout-ms 600 > "$HD_WORK/alice.$round.log" 2>&1
	if grep -q "unanswered=1\|unanswered" "$HD_WORK/alice.$round.log"; then
		# forwarded: wait (bounded) until bob's held Fulfill reached ilpd
		for _ in $(seq 1 100); do
			[ "$(hd_metric "$adm" ilpd_undeliverable_total)" -gt "$before" ] && break
			sleep 0.05
		done
	fi
	echo "round $round: $(tail -1 "$HD_WORK/alice.$round.log")"
done
grep -q "unanswered" "$HD_WORK/alice.1.log" && ok "round 1 forwarded, alice left before the answer" \
	|| bad "round 1 was not left unanswered: $(cat "$HD_WORK/alice.1.log")"
for round in 2 3; do
	grep -q "T04=1" "$HD_WORK/alice.$round.log" && ok "round $round: alice's limit binds (T04)" \
		|| bad "round $round not refused with T04: $(tail -1 "$HD_WORK/alice.$round.log")"
done

h=$(hd_health "$adm")
bal() { echo "$h" | grep -o "\"name\":\"$1\"[^}]*" | grep -o '"balance":"[-0-9]*"' | grep -o '[-0-9]*'; }
a=$(bal alice) b=$(bal bob)
charged=$(hd_metric "$adm" ilpd_charged_undelivered_total)
hd_stop bob TERM
paid=$(grep -o 'sink fulfilled=[0-9]*' "$HD_WORK/bob.log" | grep -o '[0-9]*$')
echo "alice balance=$a bob balance=$b charged_undelivered=$charged bob fulfilled=${paid:-?}"
[ "$a" = 1000 ] && ok "alice is charged 1000 (her max_balance)" || bad "alice balance $a, want 1000"
[ "$b" = -1000 ] && ok "bob is owed 1000" || bad "bob balance $b, want -1000"
[ -n "$a" ] && [ -n "$b" ] && [ $((a + b)) -eq 0 ] && ok "every balance change has its counterpart (alice + bob = 0)" \
	|| bad "alice + bob = $((${a:-0} + ${b:-0})), the connector absorbed the difference"
[ "${paid:-x}" = 1 ] && [ "$b" = "$((-1000 * paid))" ] && [ "$a" = "$((1000 * paid))" ] \
	&& ok "ilpd's books equal bob's Fulfills sent (1 x 1000)" \
	|| bad "bob sent ${paid:-?} Fulfills, books alice=$a bob=$b"
[ "$charged" = 1 ] && ok "ilpd_charged_undelivered_total 1" || bad "ilpd_charged_undelivered_total $charged"
grep -q "packet.undeliverable.*charged=yes" "$HD_WORK/ilpd.log" && ok "the log says the source was charged" \
	|| bad "no packet.undeliverable charged=yes in the log"
finish
