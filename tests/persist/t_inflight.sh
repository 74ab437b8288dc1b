#!/usr/bin/env bash
# Issue 11: packets in flight at a crash. Holds are not balance changes:
# after a kill -9 while the next hop holds Fulfills, the restarted ilpd
# holds nothing, the books are those of the last commit (the held packets
# changed nothing), the sender got its answer from its own side (its link
# dropped: every held packet "unanswered", none fulfilled), and a Fulfill
# that arrives later for a request ilpd no longer knows is dropped and
# counted in ilpd_late_responses_total, changing no balance.
#
#   tests/persist/t_inflight.sh BUILD_DIR [sync|interval]
#
# alice (ilpctl send) -> ilpd -> bob (ilpctl sink, then --hold-ms 20000);
# the late Fulfills come from tests/persist/late.py authenticated as bob.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: tests/persist/t_inflight.sh BUILD_DIR [sync|interval]}" && pwd) || exit 1
mode=${2:-sync}
export ILPD=$build/firmware/ilpd ILPCTL=$build/tools/ilpctl/ilpctl
# shellcheck source=lib.sh
. "$here/lib.sh"
for b in "$ILPD" "$ILPCTL"; do [ -x "$b" ] || die "$b is missing (build first)"; done
command -v curl >/dev/null || die "curl is missing"

btp=$(hd_port 6) adm=$(hd_port 7)
conf=$HD_WORK/ilpd.ini
cat > "$conf" <<INI
[node]
address = test.ilpd
[btp]
listen = 127.0.0.1:$btp
[admin]
listen = 127.0.0.1:$adm
[log]
level = info
[ledger]
durability = $mode
$([ "$mode" = interval ] && echo "sync_interval_ms = 100")
state_file = $HD_WORK/ledger.state
[peer alice]
relation = child
token = alice-token
[peer bob]
relation = child
token = bob-token
INI
url=ws://127.0.0.1:$btp
start_ilpd() {
	hd_start ilpd "$ILPD" -c "$conf"
	hd_wait_port "$adm" || die "ilpd did not start: $(tail -n 5 "$HD_WORK/ilpd.log")"
}
start_ilpd

# 1. 4 packets of 5 fulfilled: the committed books are alice 20, bob -20.
hd_start bob "$ILPCTL" sink --url "$url" --token bob-token --username bob
hd_wait_for "$HD_WORK/bob.log" "^sink address=" || die "bob's sink did not connect"
timeout 30 "$ILPCTL" send --url "$url" --token alice-token --username alice --to test.ilpd.bob \
	--count 4 --window 4 --amount 5 > "$HD_WORK/warm.log" 2>&1
grep -q "fulfilled=4 " "$HD_WORK/warm.log" && ok "4 packets fulfilled before the crash" ||
	bad "warm-up: $(tail -n 1 "$HD_WORK/warm.log")"
hd_stop bob TERM
[ "$mode" = interval ] && sleep 0.3   # one sync interval: the 4 are durable

# 2. bob holds every Fulfill 20 s; 10 packets of 1000 go out and are held.
hd_start bob "$ILPCTL" sink --url "$url" --token bob-token --username bob --hold-ms 20000
hd_wait_for "$HD_WORK/bob.log" "^sink address=" || die "bob's holding sink did not connect"
hd_start send "$ILPCTL" send --url "$url" --token alice-token --username alice --to test.ilpd.bob \
	--count 10 --window 10 --amount 1000 --timeout-ms 30000
held=0
for _ in $(seq 1 200); do
	h=$(hd_health "$adm")
	[ "$(ps_hfield "$h" bob pendingOut)" = 10000 ] && { held=1; break; }
	sleep 0.05
done
[ "$held" = 1 ] && ok "10 x 1000 in flight, held by bob (pendingOut 10000, alice pendingIn $(ps_hfield "$h" alice pendingIn))" ||
	die "the packets did not reach bob: $(hd_health "$adm" | head -c 600)"
sleep 0.2   # a commit or two pass while they are held

# 3. kill -9 while held
hd_stop ilpd KILL
ps_wait_exit send 15 || die "the sender did not exit after the kill"
ps_wait_exit bob 15 || die "the sink did not exit after the kill"
sum=$(grep '^sent=' "$HD_WORK/send.log" | tail -n 1)
case " $sum " in
*" fulfilled=0 "*unanswered=10*) ok "the sender got no Fulfill, its link dropped with all 10 unanswered: $sum" ;;
*) bad "the sender's summary: want fulfilled=0 unanswered=10, got: ${sum:-none}" ;;
esac
grep -q "sink fulfilled=0 " "$HD_WORK/bob.log" && ok "bob never sent a held Fulfill" ||
	bad "bob: $(grep 'sink fulfilled' "$HD_WORK/bob.log")"
rc=$(ps_dump "$conf" "$HD_WORK/dump.json")
a=$(ps_jbal "$HD_WORK/dump.json" alice) b=$(ps_jbal "$HD_WORK/dump.json" bob)
[ "$rc" = 0 ] && [ "$a" = 20 ] && [ "$b" = -20 ] &&
	ok "--dump-state after the crash: alice 20, bob -20 (held packets changed nothing)" ||
	bad "--dump-state rc $rc: alice=$a bob=$b, want 20/-20: $(head -c 300 "$HD_WORK/dump.json") $(head -c 200 "$HD_WORK/dump.json.err")"

# 4. restart: nothing held
start_ilpd
h=$(hd_health "$adm")
pend=""
for p in alice bob; do
	pend="$pend $p:$(ps_hfield "$h" $p pendingIn)/$(ps_hfield "$h" $p pendingOut)/$(ps_hfield "$h" $p inFlight)"
done
[ "$pend" = " alice:0/0/0 bob:0/0/0" ] && ok "after the restart nothing is held (pendingIn/pendingOut/inFlight:$pend)" ||
	bad "after the restart:$pend, want all 0"
[ "$(hd_metric "$adm" ilpd_pending_packets)" = 0 ] && ok "ilpd_pending_packets 0" ||
	bad "ilpd_pending_packets $(hd_metric "$adm" ilpd_pending_packets)"
[ "$(ps_hbal "$h" alice)" = 20 ] && [ "$(ps_hbal "$h" bob)" = -20 ] && ok "recovered books alice 20, bob -20" ||
	bad "recovered books alice=$(ps_hbal "$h" alice) bob=$(ps_hbal "$h" bob)"
[ "$(ps_persist "$h" recovered)" = true ] && ok "/health persistence.recovered true" ||
	bad "/health persistence: $(echo "$h" | grep -o '"persistence":{[^}]*}')"

# 5. late Fulfills: bob answers requests of the dead ilpd (and one never sent)
late0=$(hd_metric "$adm" ilpd_late_responses_total)
timeout 20 python3 "$here/late.py" "$btp" bob bob-token 0x00010000 0x00010001 0x00020005 0x7fff0003 \
	> "$HD_WORK/late.log" 2>&1
grep -q "sent 4 responses" "$HD_WORK/late.log" || bad "late.py: $(cat "$HD_WORK/late.log")"
late1=$late0
for _ in $(seq 1 100); do
	late1=$(hd_metric "$adm" ilpd_late_responses_total)
	[ $((late1 - late0)) -ge 4 ] && break
	sleep 0.05
done
[ $((late1 - late0)) = 4 ] && ok "4 late Fulfills dropped and counted (ilpd_late_responses_total $late0 -> $late1)" ||
	bad "ilpd_late_responses_total $late0 -> $late1, want +4"
h=$(hd_health "$adm")
[ "$(ps_hbal "$h" alice)" = 20 ] && [ "$(ps_hbal "$h" bob)" = -20 ] && ok "late Fulfills changed no balance" ||
	bad "after the late Fulfills alice=$(ps_hbal "$h" alice) bob=$(ps_hbal "$h" bob)"
grep -q "event=packet.late\|late" "$HD_WORK/ilpd.log" && echo "  (ilpd logged: $(grep -m1 late "$HD_WORK/ilpd.log"))"

# 6. the link still works, and the state stays consistent through a clean stop
hd_start bob "$ILPCTL" sink --url "$url" --token bob-token --username bob
hd_wait_for "$HD_WORK/bob.log" "^sink address=" || die "bob's sink did not reconnect"
timeout 30 "$ILPCTL" send --url "$url" --token alice-token --username alice --to test.ilpd.bob \
	--count 2 --amount 5 > "$HD_WORK/after.log" 2>&1
grep -q "fulfilled=2 " "$HD_WORK/after.log" && ok "after the restart packets are fulfilled again" ||
	bad "after the restart: $(tail -n 1 "$HD_WORK/after.log")"
hd_stop bob TERM
hd_stop ilpd TERM
rc=$(ps_dump "$conf" "$HD_WORK/dump.json")
a=$(ps_jbal "$HD_WORK/dump.json" alice) b=$(ps_jbal "$HD_WORK/dump.json" bob)
[ "$rc" = 0 ] && [ "$a" = 30 ] && [ "$b" = -30 ] && ok "after a clean stop: alice 30, bob -30" ||
	bad "after a clean stop: rc $rc alice=$a bob=$b, want 30/-30"
if san=$(ps_sanitizer "$HD_WORK"/*.log "$HD_WORK"/*.err); then
	bad "sanitizer report: $san"
fi
finish
