#!/usr/bin/env bash
# Issue 11, test 3: the kill -9 loop. The real ilpd, real sockets, a real
# state file; ilpd is killed with SIGKILL at random moments under load and
# restarted, and after every restart its recovered books must equal what
# its peers were told.
#
#   tests/persist/run.sh BUILD_DIR [--kills N] [--seed S] [--mode sync|interval]
#                        [--window W] [--connector]
#
# Topology: ilpctl send (child alice, --amount 7, W in flight, default 20)
# -> ilpd -> ilpctl sink (child bob). With --connector: alice -> ilpd ->
# ilp-connector 23.0.2 (peer "js", ilpd dials it; tests/interop/connector.js,
# started once and never killed) -> ilpctl sink (ilp-connector's child bob).
# Each round: start ilpd on the same state_file, start the sink and the
# sender, sleep 0-400 ms (seeded, --seed), kill -9 ilpd by PID, read how
# many Fulfills the sender received (its summary line) and the sink sent,
# then read the recovered books with `ilpd --dump-state` (ilpd stopped) and
# check, with A_prev the balance recovered after the previous round and F
# the Fulfills alice received in this round:
#   sync      A_prev + 7F <= alice <= A_prev + 7F + 7W, and alice ==
#             A_prev + 7F exactly in at least 95% of the rounds. After kill
#             -9 every written record survives (the page cache outlives the
#             process), so ilpd writes a release marker (with the boot id)
#             when a group's sync is done, just before the group's output
#             goes, and a restart in the same boot drops the groups after
#             the last marker (persist.unreleased_dropped, docs/ilpd.8
#             DURABLE LEDGER): exact. Only a kill in the microseconds
#             between a marker's write and the send (or during the sync of
#             a snapshot of the ledger as it is) charges alice for at most
#             one group she did not see: such rounds are counted and
#             printed, with the exact ones. Never less than A_prev + 7F: a
#             Fulfill alice received is never lost. (Power loss, where
#             markers are not trusted, is what test_crashstate explores.)
#   interval  alice >= A_prev + 7F - 7 x (Fulfills in sync_interval_ms at the
#             round's measured rate, +50%) and alice <= A_prev + 7F + 7W.
#   both      alice + bob (or js) = 0; alice = 7 x alice's fulfilled count;
#             bob's balance >= -(7 x all Fulfills the sink sent); the dump
#             exits 0; after the restart /health says persistence.recovered
#             true and mode MODE, and /metrics' ilpd_peer_balance{peer="alice"}
#             equals the dump (a broken ledger would not start at all).
#   connector after each restart, once the link is up: ilp-connector's own
#             books for ilpd minus ilpd's books for js grows per round by
#             between 0 and 7W (Fulfills ilp-connector relayed that ilpd had
#             not made durable when it died: alice never got them).
# Finally ilpd stops with SIGTERM (exit 0) and the dump still matches.
# Default: 100 kills (CI, < 4 min); --kills 1000 for the long campaign.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: tests/persist/run.sh BUILD_DIR [--kills N] [--seed S] [--mode sync|interval] [--window W] [--connector]}
shift
kills=100 seed=${ILPD_PERSIST_SEED:-$$} mode=sync window=20 connector=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kills) kills=${2:?}; shift ;;
	--seed) seed=${2:?}; shift ;;
	--mode) mode=${2:?}; shift ;;
	--window) window=${2:?}; shift ;;
	--connector) connector=1 ;;
	*) echo "persist: unknown option $1"; echo "0 passed, 1 failed"; exit 2 ;;
	esac
	shift
done
case "$mode" in sync | interval) ;; *) echo "persist: --mode sync|interval"; exit 2 ;; esac
build=$(cd "$build" && pwd) || exit 1
export ILPD=$build/firmware/ilpd ILPCTL=$build/tools/ilpctl/ilpctl
# shellcheck source=lib.sh
. "$here/lib.sh"
for b in "$ILPD" "$ILPCTL"; do [ -x "$b" ] || die "$b is missing (build first)"; done
command -v curl >/dev/null || die "curl is missing"

amt=7
interval_ms=200
RANDOM=$seed
btp=$(hd_port 1) adm=$(hd_port 2)
state=$HD_WORK/ledger.state
conf=$HD_WORK/ilpd.ini
big=1000000000000000
far=bob
echo "persist: mode=$mode kills=$kills seed=$seed window=$window connector=$connector build=$build"

if [ "$connector" = 1 ]; then
	command -v node >/dev/null || die "node is missing (the --connector variant runs ilp-connector)"
	[ -d "$here/../interop/node_modules/ilp-connector" ] ||
		die "tests/interop/node_modules has no ilp-connector (npm ci in tests/interop)"
	js_peer=$(hd_port 3) js_bob=$(hd_port 4) js_adm=$(hd_port 5)
	far=js
	cat > "$HD_WORK/connector.json" <<JSON
{"env":"test","ilpAddress":"test.js","backend":"one-to-one","spread":0,"store":"memory",
 "initialConnectTimeout":500,"adminApi":true,"adminApiHost":"127.0.0.1","adminApiPort":$js_adm,
 "accounts":{
  "ilpd":{"relation":"peer","plugin":"ilp-plugin-btp","assetCode":"XRP","assetScale":9,
   "options":{"listener":{"port":$js_peer,"secret":"ilpd-secret","wsOpts":{"host":"127.0.0.1","port":$js_peer}}},
   "balance":{"minimum":"-$big","maximum":"$big"},
   "rateLimit":{"refillPeriod":1000,"refillCount":1000000000,"capacity":1000000000}},
  "bob":{"relation":"child","plugin":"ilp-plugin-btp","assetCode":"XRP","assetScale":9,
   "options":{"listener":{"port":$js_bob,"secret":"bob-token","wsOpts":{"host":"127.0.0.1","port":$js_bob}}},
   "balance":{"minimum":"-$big","maximum":"$big"},
   "rateLimit":{"refillPeriod":1000,"refillCount":1000000000,"capacity":1000000000}}},
 "routes":[{"targetPrefix":"test.ilpd","peerId":"ilpd"}]}
JSON
	hd_start connector node "$here/../interop/connector.js" "$HD_WORK/connector.json"
	for _ in $(seq 1 400); do grep -q '^READY ' "$HD_WORK/connector.log" && break; sleep 0.05; done
	grep -q '^READY ' "$HD_WORK/connector.log" || die "ilp-connector did not start: $(tail -5 "$HD_WORK/connector.log")"
	hd_wait_port "$js_bob" || die "ilp-connector's bob listener did not open"
	# bob stays connected to ilp-connector through every kill of ilpd
	hd_start bob "$ILPCTL" sink --url "ws://127.0.0.1:$js_bob/" --token bob-token --username bob --timeout-ms 600000
	hd_wait_for "$HD_WORK/bob.log" "^sink address=" || die "the sink did not connect to ilp-connector: $(tail -n 3 "$HD_WORK/bob.log")"
	peers="[peer alice]
relation = child
token = alice-token
max_balance = $big

[peer js]
relation = peer
url = ws://127.0.0.1:$js_peer/
token = ilpd-secret
min_balance = -$big

[routes]
test.js = js"
	to=test.js.bob
	sink_url=ws://127.0.0.1:$js_bob/
else
	peers="[peer alice]
relation = child
token = alice-token
max_balance = $big

[peer bob]
relation = child
token = bob-token
min_balance = -$big"
	to=test.ilpd.bob
	sink_url=ws://127.0.0.1:$btp
fi
cat > "$conf" <<INI
[node]
address = test.ilpd
asset_code = XRP
asset_scale = 9
[btp]
listen = 127.0.0.1:$btp
[admin]
listen = 127.0.0.1:$adm
[log]
level = info
[ledger]
durability = $mode
$([ "$mode" = interval ] && echo "sync_interval_ms = $interval_ms")
state_file = $state

$peers
INI

js_books() {  # ilp-connector's balance for its account "ilpd"
	curl -s --max-time 5 "http://127.0.0.1:$js_adm/balance" | python3 -c '
import json, sys
try: print(json.load(sys.stdin)["accounts"]["ilpd"]["balance"])
except Exception: print("")'
}

start_ilpd() {  # ROUND: starts ilpd, bounded; dies on failure
	hd_start ilpd "$ILPD" -c "$conf"
	if ! hd_wait_port "$adm"; then
		cp "$HD_WORK/ilpd.log" "$HD_WORK/ilpd.failed.log" 2>/dev/null
		die "round $1: ilpd did not start on the state left by the last kill: $(tail -n 5 "$HD_WORK/ilpd.log")"
	fi
}

stopped_dump() {  # ROUND: --dump-state into $HD_WORK/dump.json; dies on failure
	local rc
	rc=$(ps_dump "$conf" "$HD_WORK/dump.json")
	if [ "$rc" != 0 ]; then
		die "round $1: ilpd --dump-state exited $rc: $(cat "$HD_WORK/dump.json.err" "$HD_WORK/dump.json" | tail -n 3)"
	fi
}

a_prev=0 cum_recv=0 cum_sink=0 slack_rounds=0 slack_total=0 slack_max=0 loss_rounds=0 loss_total=0
round_fail=0 total_fulfilled=0 gap_prev=0 t_start=$SECONDS
for ((r = 1; r <= kills; r++)); do
	rf=0
	start_ilpd "$r"
	h=$(hd_health "$adm")
	rec=$(ps_persist "$h" recovered) pm=$(ps_persist "$h" mode)
	want_rec=true
	[ "$r" = 1 ] && want_rec=false
	if [ "$rec" != "$want_rec" ] || [ "$pm" != "$mode" ]; then
		bad "round $r: /health persistence recovered=$rec mode=$pm, want recovered=$want_rec mode=$mode"
		rf=1
	fi
	m=$(hd_metric "$adm" "ilpd_peer_balance{peer=\"alice\"}")
	if [ "$m" != "$a_prev" ]; then
		bad "round $r: after the restart /metrics says alice=$m, the dump said $a_prev"
		rf=1
	fi
	if [ "$connector" = 1 ]; then
		up=0
		for _ in $(seq 1 200); do
			[ "$(ps_hfield "$(hd_health "$adm")" js connected)" = true ] && { up=1; break; }
			sleep 0.05
		done
		[ "$up" = 1 ] || die "round $r: ilpd did not re-dial ilp-connector within 10 s"
		jb=$(js_books) ib=$(hd_metric "$adm" "ilpd_peer_balance{peer=\"js\"}")
		# ilp-connector's balance for ilpd is the negative of ilpd's for js
		# when both agree; it may be ahead by what ilpd lost unsynced.
		if [ -z "$jb" ]; then
			bad "round $r: cannot read ilp-connector's /balance"
			rf=1
		else
			gap=$((jb + ib))
			if [ "$gap" -lt "$gap_prev" ] || [ $((gap - gap_prev)) -gt $((amt * window)) ]; then
				bad "round $r: ilp-connector's books for ilpd ($jb) vs ilpd's for js ($ib): gap $gap (was $gap_prev), want 0..$((amt * window)) more per kill"
				rf=1
			fi
			gap_prev=$gap
		fi
	fi
	if [ "$connector" = 0 ]; then
		hd_start bob "$ILPCTL" sink --url "$sink_url" --token bob-token --username bob --timeout-ms 30000
		hd_wait_for "$HD_WORK/bob.log" "^sink address=" || die "round $r: the sink did not connect: $(tail -n 3 "$HD_WORK/bob.log")"
	fi
	hd_start send "$ILPCTL" send --url "ws://127.0.0.1:$btp" --token alice-token --username alice \
		--to "$to" --count 4000000000 --window "$window" --amount "$amt" --timeout-ms 60000
	hd_wait_for "$HD_WORK/send.log" "^address=" || die "round $r: the sender did not connect: $(tail -n 3 "$HD_WORK/send.log")"
	ms=$((RANDOM % 401))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	hd_stop ilpd KILL
	ps_wait_exit send 15 || die "round $r: the sender did not exit within 15 s of the kill"
	s=-
	if [ "$connector" = 0 ]; then
		ps_wait_exit bob 15 || die "round $r: the sink did not exit within 15 s of the kill"
		s=$(ps_field "$HD_WORK/bob.log" fulfilled)
		cum_sink=$((cum_sink + ${s:-0}))
	fi
	f=$(ps_field "$HD_WORK/send.log" fulfilled)
	rate=$(ps_field "$HD_WORK/send.log" rate)
	[ -n "$f" ] && [ -n "$s" ] ||
		die "round $r: no summary line: send: $(tail -n 2 "$HD_WORK/send.log") sink: $(tail -n 2 "$HD_WORK/bob.log")"
	total_fulfilled=$((total_fulfilled + f))
	cum_recv=$((cum_recv + f * amt))
	stopped_dump "$r"
	a=$(ps_jbal "$HD_WORK/dump.json" alice) b=$(ps_jbal "$HD_WORK/dump.json" "$far")
	af=$(ps_jful "$HD_WORK/dump.json" alice)
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$af" ] || die "round $r: the dump has no alice/$far: $(head -c 300 "$HD_WORK/dump.json")"
	lo=$((a_prev + f * amt)) hi=$((a_prev + (f + window) * amt))
	if [ "$mode" = interval ]; then
		# what a crash may lose: the Fulfills of one sync interval (+50%)
		lost_max=$(awk -v r="${rate:-0}" -v i="$interval_ms" -v f="$f" \
			'BEGIN { n = int(r * i * 1.5 / 1000) + 1; if (n > f) n = f; print n }')
		lo=$((lo - lost_max * amt))
	fi
	if [ "$a" -lt "$lo" ] || [ "$a" -gt "$hi" ]; then
		bad "round $r: alice recovered $a, want $lo..$hi (before $a_prev, alice received $f x $amt after ${ms} ms)"
		rf=1
	fi
	exact=$((a_prev + f * amt))
	if [ "$a" -gt "$exact" ]; then
		slack_rounds=$((slack_rounds + 1))
		slack_total=$((slack_total + (a - exact) / amt))
		[ $(((a - exact) / amt)) -gt "$slack_max" ] && slack_max=$(((a - exact) / amt))
	elif [ "$a" -lt "$exact" ]; then
		loss_rounds=$((loss_rounds + 1))
		loss_total=$((loss_total + (exact - a) / amt))
	fi
	if [ $((a + b)) -ne 0 ]; then
		bad "round $r: alice $a + $far $b = $((a + b)), want 0"
		rf=1
	fi
	if [ "$a" -ne $((af * amt)) ]; then
		bad "round $r: alice's balance $a is not $amt x her fulfilled count $af"
		rf=1
	fi
	if [ "$connector" = 0 ] && [ "$b" -lt $((-cum_sink * amt)) ]; then
		bad "round $r: bob's balance $b is below -(7 x $cum_sink Fulfills the sink sent)"
		rf=1
	fi
	if san=$(ps_sanitizer "$HD_WORK/ilpd.log" "$HD_WORK/dump.json.err" "$HD_WORK/send.log" "$HD_WORK/bob.log"); then
		bad "round $r: sanitizer report: $san"
		rf=1
	fi
	[ "$rf" = 0 ] || round_fail=$((round_fail + 1))
	if [ "$rf" != 0 ] || [ $((r % 10)) = 0 ] || [ "$r" = 1 ]; then
		echo "round $r: kill after ${ms} ms; alice received $f (sink sent $s); recovered alice=$a $far=$b (was $a_prev)"
	fi
	[ "$round_fail" -ge 5 ] && die "5 rounds failed; stopping"
	a_prev=$a
done
elapsed=$((SECONDS - t_start))

# A clean stop after the last restart: exit 0, and the books unchanged.
start_ilpd final
m=$(hd_metric "$adm" "ilpd_peer_balance{peer=\"alice\"}")
[ "$(ps_persist "$(hd_health "$adm")" recovered)" = true ] && ok "the last restart recovered the ledger" ||
	bad "the last restart: /health persistence.recovered is not true"
# a second ilpd on the same state file is refused (the file is locked)
rc=$(ps_dump "$conf" "$HD_WORK/locked.json")
if [ "$rc" != 0 ] && grep -q "state: " "$HD_WORK/locked.json.err" "$HD_WORK/locked.json"; then
	ok "--dump-state while ilpd runs is refused (exit $rc: $(grep -h -m1 'state: ' "$HD_WORK/locked.json.err" "$HD_WORK/locked.json"))"
else
	bad "--dump-state while ilpd runs: exit $rc, want non-zero with 'state: ...': $(head -c 200 "$HD_WORK/locked.json.err")"
fi
if [ "$connector" = 1 ]; then
	# the last kill's share of the gap (each round checks the one before it)
	for _ in $(seq 1 200); do
		[ "$(ps_hfield "$(hd_health "$adm")" js connected)" = true ] && break
		sleep 0.05
	done
	jb=$(js_books) ib=$(hd_metric "$adm" "ilpd_peer_balance{peer=\"js\"}")
	gap=$((${jb:-0} + ib))
	[ -n "$jb" ] && [ "$gap" -ge "$gap_prev" ] && [ $((gap - gap_prev)) -le $((amt * window)) ] &&
		ok "ilp-connector's books for ilpd ($jb) minus ilpd's for js ($ib): $gap, at most $window Fulfills per kill" ||
		bad "after the last kill: ilp-connector $jb, ilpd $ib, gap $gap (was $gap_prev)"
	gap_prev=$gap
fi
p=${HD_PID[ilpd]}
kill -TERM "$p"
for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$p" 2>/dev/null; then
	bad "ilpd did not stop within 10 s of SIGTERM"
	hd_stop ilpd KILL
else
	wait "$p"
	rc=$?
	unset "HD_PID[ilpd]"
	[ "$rc" = 0 ] && ok "ilpd exits 0 on SIGTERM after $kills kills" || bad "ilpd exited $rc on SIGTERM"
fi
stopped_dump final
if san=$(ps_sanitizer "$HD_WORK"/*.log "$HD_WORK"/*.err); then
	bad "sanitizer report at the clean stop: $san"
fi
a=$(ps_jbal "$HD_WORK/dump.json" alice)
[ "$a" = "$a_prev" ] && [ "$m" = "$a_prev" ] && ok "after a clean stop the books are unchanged (alice=$a)" ||
	bad "after a clean stop alice=$a (metrics said $m), want $a_prev"

echo "persist: $kills kills in ${elapsed}s; $total_fulfilled Fulfills received by alice in all;" \
	"alice's books minus what she received: $((a_prev - cum_recv)) ($((( a_prev - cum_recv) / amt)) Fulfills)"
echo "persist: rounds with slack (charged, not received): $slack_rounds of $kills, $slack_total Fulfills in all, at most $slack_max in one round"
[ "$mode" = interval ] && echo "persist: rounds that lost Fulfills (interval window): $loss_rounds of $kills, $loss_total Fulfills in all"
[ "$connector" = 1 ] && echo "persist: ilp-connector's books minus ilpd's for the link after $kills kills: $gap_prev"
[ "$round_fail" = 0 ] && ok "$kills kill -9 rounds ($mode): every recovered ledger within its bounds" ||
	bad "$round_fail of $kills rounds out of bounds"
if [ "$mode" = sync ]; then
	# Exact but for kills between a release marker's write and the send
	# (microseconds per group): at least 95% of the rounds.
	exact_rounds=$((kills - slack_rounds - loss_rounds))
	need=$(((kills * 95 + 99) / 100))
	echo "persist: sync: $exact_rounds of $kills rounds exact; $slack_rounds charged alice for Fulfills she did not see (at most $slack_max in one round, <= $window); $loss_rounds lost any"
	[ "$exact_rounds" -ge "$need" ] && ok "sync: $exact_rounds of $kills rounds exact (at least $need required)" ||
		bad "sync: only $exact_rounds of $kills rounds exact, want at least $need (95%)"
	[ "$loss_rounds" = 0 ] && ok "sync: no round lost a Fulfill alice received" || bad "sync: $loss_rounds rounds lost Fulfills"
fi
finish
