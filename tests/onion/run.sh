#!/usr/bin/env bash
# Onion transport integration and fault tests (issue 4), on a private Tor
# network that tests/tor/privnet.sh builds on 127.0.0.1 from Debian's tor.
#
#   1. Node A publishes its BTP port as an onion service with a tor it runs
#      itself (onion_service = managed); node B through a separate client tor
#      (onion_service = external, control port with cookie auth). Both dial
#      through SOCKS5 (type = socks5). They start with no outbound peers and
#      must report onionService=published with a ws://<56 chars>.onion URL.
#   2. A SIGHUP adds the links: A dials B's onion, B dials A's onion; packets
#      alice -> A -> B -> bob and carol -> B -> A -> dave are all fulfilled.
#      A's proxyOk must turn true within 5 s of its tor's bootstrap 100%
#      although A probes its proxy only every 60 s (issue 10 point 6).
#   3. B's tor is killed: B's links go down, proxyOk=false, and B never dials
#      directly (its peer c is ws://localhost:P, where P is a counting
#      listener that must see no connection in the whole run). The tor comes
#      back on the same ports and DataDirectory: links and packets return.
#   3b. Co-located tor restarts (issue 10 point 7), 3 rounds (--runs N for a
#      measurement), alternating B's tor (killed and started again at once)
#      and A's managed tor (killed; ilpd restarts it): each time both
#      outbound links (A -> B.onion, B -> A.onion) must come up again, newly
#      connected, within 30 s of the restart; A's proxyOk within 5 s of its
#      new tor's bootstrap. Prints each recovery time and the worst.
#   4. Both ilpds restart (SIGTERM): each publishes the same onion URL; A's
#      managed tor is gone after A's SIGTERM.
#   5. --check-config refuses proxy = socks5://user:secret@... (local DNS
#      would leak) with FILE:LINE and without the secret.
#   6. No onion id in any ilpd log line above debug; a debug run shows it
#      (so the audit can fail).
# Everything is bounded; every process started here is stopped by PID (the
# managed tor, which ilpd starts, is found by the test directory in its
# command line). Prints PASS/FAIL per check, then "N passed, N failed".
#
# Usage: tests/onion/run.sh BUILD_DIR [--runs N]  (e.g. build/host)
#        --runs N: N tor restarts in step 3b instead of 3 (a measurement:
#        docs/benchmark.md quotes --runs 10)
# Env:   ILPD_ONION_KEEP=1  keep the work directory (logs) after the run
set -uo pipefail
build=${1:?usage: tests/onion/run.sh BUILD_DIR [--runs N]}
restarts=3
if [ "${2:-}" = --runs ]; then
	restarts=${3:?--runs N}
	case $restarts in ''|*[!0-9]*|0) echo "onion-test: --runs wants a number >= 1"; exit 2 ;; esac
fi
recover_bound=30   # s: both directions back after a tor restart (issue 10 point 7)
root=$(cd "$(dirname "$0")/../.." && pwd)
privnet=$root/tests/tor/privnet.sh
ilpd=$build/firmware/ilpd
ilpctl=$build/tools/ilpctl/ilpctl
for b in "$ilpd" "$ilpctl"; do
	[ -x "$b" ] || { echo "FAIL onion-test: $b is missing (build first)"; echo "0 passed, 1 failed"; exit 1; }
done
ilpd=$(cd "$(dirname "$ilpd")" && pwd)/ilpd
ilpctl=$(cd "$(dirname "$ilpctl")" && pwd)/ilpctl
if ! command -v tor > /dev/null || ! command -v tor-gencert > /dev/null || ! command -v socat > /dev/null; then
	echo "onion-test: tor/socat missing: running toolchain/install-deps.sh"
	"$root/toolchain/install-deps.sh" || true
fi
for c in tor tor-gencert socat curl; do
	command -v $c > /dev/null || { echo "FAIL onion-test: '$c' is not installed and install-deps.sh did not install it"; echo "0 passed, 1 failed"; exit 1; }
done

work=$(mktemp -d /tmp/ilpd-onion.XXXXXX)
net=$work/net
pids=()
passed=0 failed=0
t_start=$SECONDS

# --- cleanup: everything by PID --------------------------------------------------
# shellcheck source=tests/onion/lib.sh
. "$root/tests/onion/lib.sh"
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	"$privnet" stop "$net" > /dev/null 2>&1 || true
	# ilpd's managed tor, should ilpd have died without stopping it
	for p in $(onion_pids_under "$work"); do kill -KILL "$p" 2>/dev/null || true; done
	if [ "${ILPD_ONION_KEEP:-0}" = 1 ]; then echo "onion-test: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); echo "PASS $1 [$((SECONDS - t_start))s]"; }
bad() {
	failed=$((failed + 1))
	echo "FAIL $1 [$((SECONDS - t_start))s]"
	shift
	for f in "$@"; do echo "---- $f"; tail -25 "$f" | sed 's/[a-z2-7]\{56\}/<onion-id>/g'; done
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
fatal() { bad "$@"; echo "onion-test: cannot go on after this failure"; finish; }

# --- helpers -------------------------------------------------------------------------
port() { "$privnet" freeport "$net"; }
health() { onion_health "$@"; }
jstr() { onion_jstr "$@"; }
jraw() { onion_jraw "$@"; }
peer_up() { onion_peer_up "$@"; }
peer_down() { onion_peer_down "$@"; }
until_ok() { onion_until "$@"; }
published() { onion_published "$@"; }
proxy_is() { onion_proxy_is "$@"; }
url_of() { onion_url "$@"; }
onion_id() { onion_id_of "$@"; }
accepted() { grep -c "accepting connection" "$work/c-listener.log" 2>/dev/null || true; }
start_ilpd() {  # name config log -> sets PID_<name>
	"$ilpd" -c "$2" >> "$3" 2>&1 &
	eval "PID_$1=$!"
	pids+=($!)
}
stop_ilpd() { onion_stop_pid "$@"; }
send() {  # btp-port token to count log -> ilpctl's status
	"$ilpctl" send --url "ws://127.0.0.1:$1/" --token "$2" --to "$3" --count "$4" \
		--window 5 --amount 100 --expiry-ms 30000 --timeout-ms 90000 > "$work/$5" 2>&1
}
sink() {  # btp-port token log -> background sink, pid in SINK
	"$ilpctl" sink --url "ws://127.0.0.1:$1/" --token "$2" --timeout-ms 900000 > "$work/$3" 2>&1 &
	SINK=$!
	pids+=($SINK)
}
tor_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

# --- the private network ------------------------------------------------------------
"$privnet" start "$net" --bound 900 --owner $$ > "$work/privnet.log" 2>&1 ||
	fatal "privnet start" "$work/privnet.log"
"$privnet" wait "$net" 120 >> "$work/privnet.log" 2>&1 ||
	fatal "privnet consensus lists every relay" "$work/privnet.log"
ok "private Tor network: $(tail -1 "$work/privnet.log" | sed 's/^privnet: //')"

P_A=$(port) P_AA=$(port) P_AS=$(port) P_AC=$(port)
P_B=$(port) P_BA=$(port) P_BS=$(port) P_BC=$(port) P_C=$(port)
# B's tor (external mode): a client of the private network with a control port.
"$privnet" client "$net" btor "$P_BS" "$P_BC" > "$work/btor.log" 2>&1 || fatal "B's tor starts" "$work/btor.log"
BTOR=$(cat "$net/btor/pid")
# The direct-dial trap: counts every connection accepted on 127.0.0.1:P_C.
socat -d -d "TCP-LISTEN:$P_C,bind=127.0.0.1,fork,reuseaddr" SYSTEM:true 2> "$work/c-listener.log" &
pids+=($!)

# --- configurations -------------------------------------------------------------------
common() {  # name btp admin
	cat <<EOF
[node]
address = test.$1
[btp]
listen = 127.0.0.1:$2
ping_interval_ms = 2000
reconnect_min_ms = 200
reconnect_max_ms = 2000
[admin]
listen = 127.0.0.1:$3
[log]
level = ${LOGLEVEL:-info}
[ledger]
state_file = $work/${STATE:-$1}.ledger.state
EOF
}
conf_a() {  # [peers...]
	common a "$P_A" "$P_AA"
	cat <<EOF
[transport]
type = socks5
onion_service = managed
tor_path = $(command -v tor)
torrc_append = $net/client.torrc-include
state_dir = $work/a-state
socks_port = $P_AS
control_port = $P_AC
external_url = auto
probe_interval_ms = 60000
connect_timeout_ms = 10000
onion_connect_timeout_ms = 60000
bootstrap_timeout_ms = 180000
[peer alice]
relation = child
token = alice-onion-token-1
[peer dave]
relation = child
token = dave-onion-token-2
EOF
	[ $# -eq 0 ] || cat <<EOF
[peer b]
relation = peer
url = $URL_B
token = ab-onion-token-3
[peer b_in]
relation = peer
token = ba-onion-token-4
[routes]
test.b = b
EOF
}
conf_b() {
	common b "$P_B" "$P_BA"
	cat <<EOF
[transport]
type = socks5
proxy = socks5h://127.0.0.1:$P_BS
onion_service = external
control = 127.0.0.1:$P_BC
control_auth = cookie
state_dir = $work/b-state
external_url = auto
probe_interval_ms = 2000
connect_timeout_ms = 10000
onion_connect_timeout_ms = 60000
bootstrap_timeout_ms = 180000
[peer bob]
relation = child
token = bob-onion-token-5
[peer carol]
relation = child
token = carol-onion-token-6
EOF
	[ $# -eq 0 ] || cat <<EOF
[peer a]
relation = peer
url = $URL_A
token = ba-onion-token-4
[peer a_in]
relation = peer
token = ab-onion-token-3
[peer c]
relation = peer
url = ws://localhost:$P_C/
token = c-onion-token-7
[routes]
test.a = a
EOF
}
mkdir -p "$work/a-state" "$work/b-state"
chmod 700 "$work/a-state" "$work/b-state"
conf_a > "$work/a.ini"
conf_b > "$work/b.ini"
for n in a b; do
	out=$("$ilpd" --check-config "$work/$n.ini" 2>&1) ||
		fatal "check-config accepts node $n's [transport] ($out)"
done
ok "check-config accepts managed (A) and external (B) onion configurations"

# --- 1. both publish ---------------------------------------------------------------
t1=$SECONDS
start_ilpd A "$work/a.ini" "$work/a.log"
start_ilpd B "$work/b.ini" "$work/b.log"
# A probes its proxy every 60 s: proxyOk must follow its tor's bootstrap
# (a probe right then), not wait for the next periodic probe.
a_boot_ok() {  # count of A's transport.bootstrapped lines to wait past -> status
	local n0=$1 tb
	until_ok 240 bash -c "[ \"\$(grep -c 'event=transport.bootstrapped' '$work/a.log')\" -gt $n0 ]" ||
		{ echo "tor did not bootstrap within 240 s"; return 1; }
	tb=$(onion_now_ms)
	until_ok 5 proxy_is "$P_AA" true || { echo "proxyOk still false 5 s after the bootstrap"; return 1; }
	echo "proxyOk=true $(( $(onion_now_ms) - tb )) ms after the bootstrap line"
}
if out=$(a_boot_ok 0); then
	ok "A (managed, probe_interval_ms=60000): $out"
else bad "A's proxyOk after its tor bootstrapped: $out; A=$(health "$P_AA")" "$work/a.log"; fi
if until_ok 240 published "$P_AA" && until_ok 60 published "$P_BA"; then
	ok "A (managed) and B (external) publish their onion services in $((SECONDS - t1))s"
else
	fatal "publication: A=$(health "$P_AA" | jstr onionService) B=$(health "$P_BA" | jstr onionService)" \
		"$work/a.log" "$work/b.log" "$work/a-state/notice.log" "$net/btor/notice.log"
fi
URL_A=$(url_of "$P_AA") URL_B=$(url_of "$P_BA")
ID_A=$(onion_id "$URL_A") ID_B=$(onion_id "$URL_B")
if [ -n "$ID_A" ] && [ -n "$ID_B" ] && [ "$ID_A" != "$ID_B" ] &&
	[ "${URL_A##*:}" = "$P_A" ] && [ "${URL_B##*:}" = "$P_B" ]; then
	ok "externalUrl is ws://<56 chars>.onion:<BTP port> on both (two different ids)"
else
	fatal "externalUrl A='$URL_A' B='$URL_B'"
fi
if proxy_is "$P_AA" true && proxy_is "$P_BA" true; then ok "proxyOk=true on both"; else
	bad "proxyOk: A=$(health "$P_AA" | jraw proxyOk) B=$(health "$P_BA" | jraw proxyOk)"; fi
A_TORS=$(tor_children "$PID_A")
[ -n "$A_TORS" ] && ok "A runs its managed tor as a child (pid $A_TORS)" || bad "A has no child process (managed tor)"

# --- 2. peering over onion, packets both ways --------------------------------------------
t2=$SECONDS
conf_a peers > "$work/a.ini"
conf_b peers > "$work/b.ini"
kill -HUP "$PID_A" "$PID_B"
both_linked() { peer_up "$P_AA" b && peer_up "$P_AA" b_in && peer_up "$P_BA" a && peer_up "$P_BA" a_in; }
if until_ok 180 both_linked; then
	ok "SIGHUP adds the links: A -> B.onion and B -> A.onion both up in $((SECONDS - t2))s"
else
	fatal "onion links (A: $(health "$P_AA")) (B: $(health "$P_BA"))" "$work/a.log" "$work/b.log"
fi
sink "$P_B" bob-onion-token-5 sink-bob.log
SINK_BOB=$SINK
sink "$P_A" dave-onion-token-2 sink-dave.log
SINK_DAVE=$SINK
until_ok 20 grep -q "address=test.b.bob" "$work/sink-bob.log" &&
	until_ok 20 grep -q "address=test.a.dave" "$work/sink-dave.log" ||
	fatal "sinks bob (on B) and dave (on A) get their addresses" "$work/sink-bob.log" "$work/sink-dave.log"
send_both() {  # count tag: both directions, all fulfilled
	local rc1 rc2
	send "$P_A" alice-onion-token-1 test.b.bob "$1" "send-ab-$2.log"
	rc1=$?
	send "$P_B" carol-onion-token-6 test.a.dave "$1" "send-ba-$2.log"
	rc2=$?
	[ $rc1 -eq 0 ] && grep -q "^sent=$1 fulfilled=$1 rejected=0" "$work/send-ab-$2.log" &&
		[ $rc2 -eq 0 ] && grep -q "^sent=$1 fulfilled=$1 rejected=0" "$work/send-ba-$2.log"
}
if send_both 50 1; then
	ok "50 packets alice -> A -> (onion) -> B -> bob and 50 carol -> B -> (onion) -> A -> dave, all fulfilled"
else
	bad "packets over onion" "$work/send-ab-1.log" "$work/send-ba-1.log" "$work/a.log" "$work/b.log"
fi
if health "$P_BA" | grep -q '"name":"a","relation":"peer","connected":true,[^}]*"viaProxy":true'; then
	ok "B reports its link to A as viaProxy"
else bad "viaProxy on B's peer a: $(health "$P_BA")"; fi

# --- 3. fault: B's tor dies ---------------------------------------------------------------
t3=$SECONDS
kill -KILL "$BTOR"
if until_ok 60 peer_down "$P_BA" a && until_ok 30 proxy_is "$P_BA" false; then
	ok "B's tor killed: B's link to A is down and proxyOk=false in $((SECONDS - t3))s"
else
	bad "after the kill: B=$(health "$P_BA")" "$work/b.log"
fi
if health "$P_BA" | grep -q '"onionService":"published"'; then
	bad "B still claims a published onion service with its tor dead"
else ok "B's onion service is no longer reported published"; fi
# Let ilpd B retry for a while with the proxy down: every retry must fail
# closed (no dial of A's onion host or of localhost:P_C outside the proxy).
sleep 6
c0=$(accepted)
if [ "$c0" = 0 ] && peer_down "$P_BA" a && peer_down "$P_BA" c; then
	ok "tor down for 6 s: B stays down and the direct-dial trap saw 0 connections"
else bad "fail-closed: trap saw $c0 connections; B=$(health "$P_BA")" "$work/b.log"; fi
t3b=$SECONDS
"$privnet" client "$net" btor "$P_BS" "$P_BC" >> "$work/btor.log" 2>&1 || bad "B's tor restarts" "$work/btor.log"
BTOR=$(cat "$net/btor/pid")
if until_ok 240 both_linked && proxy_is "$P_BA" true && published "$P_BA"; then
	ok "B's tor back (same ports, same DataDirectory): B republishes, both links up in $((SECONDS - t3b))s"
else
	bad "recovery (A: $(health "$P_AA")) (B: $(health "$P_BA"))" "$work/b.log" "$work/a.log"
fi
if [ "$(url_of "$P_BA")" = "$URL_B" ]; then ok "B's onion URL unchanged after its tor restarted"; else
	bad "B's URL changed after the tor restart"; fi
if send_both 20 2; then ok "20 packets each way fulfilled again after the recovery"; else
	bad "packets after the recovery" "$work/send-ab-2.log" "$work/send-ba-2.log"; fi
if health "$P_AA" | grep -q '"healthy":true' && health "$P_BA" | grep -q '"healthy":true'; then
	ok "/health healthy=true on both"
else bad "healthy: A=$(health "$P_AA" | jraw healthy) B=$(health "$P_BA" | jraw healthy)"; fi

# --- 3b. co-located tor restarts: bounded recovery ----------------------------------------
# Each round: wait until both links are up, note each outbound link's
# connects, restart one tor, and wait (hard bound) until both outbound links
# connected again and every link is up. Odd rounds restart B's tor (killed,
# started again at once), even rounds A's managed tor (killed; ilpd restarts
# it). The dialler's tor may then still hold the restarted service's old
# descriptor: an introduction point that has not yet seen the old circuit die
# acknowledges the redial and the rendezvous never comes; tor does not answer
# that SOCKS request until its 120 s SocksTimeout. Seen in some restarts,
# not all: this check fails on the code before issue 10 only when a round
# hits it (then the redial waited onion_connect_timeout_ms, 60 s here).
connects() { onion_connects "$@"; }
worst=0 times=""
for r in $(seq 1 "$restarts"); do
	if ! until_ok 120 both_linked; then
		bad "round $r: links not up before the restart (A: $(health "$P_AA")) (B: $(health "$P_BA"))" "$work/a.log" "$work/b.log"
		break
	fi
	ca=$(connects "$P_AA" b) cb=$(connects "$P_BA" a)
	if [ -z "$ca" ] || [ -z "$cb" ]; then bad "round $r: no connects counters in /metrics"; break; fi
	nb=$(grep -c 'event=transport.bootstrapped' "$work/a.log")
	if [ $((r % 2)) = 0 ]; then
		which="A's managed tor"
		at=$(tor_children "$PID_A")
		[ -n "$at" ] || { bad "round $r: A has no managed tor"; break; }
		# ilpd restarts its tor after 1 s the first time and whenever it ran
		# 60 s, else after a doubling backoff: from the second such round
		# on (--runs), wait until the tor is 61 s old to measure the 1 s case
		age=$(ps -o etimes= -p "$at" | tr -d ' ')
		[ "$r" -le 2 ] || [ "${age:-0}" -ge 61 ] || sleep $((61 - ${age:-0}))
		kill -KILL $at
		t0=$(onion_now_ms)
		if out=$(a_boot_ok "$nb"); then ok "round $r: A's $out"; else
			bad "round $r: A's proxyOk after its tor's restart: $out" "$work/a.log"; fi
	else
		which="B's tor"
		kill -KILL "$BTOR"
		t0=$(onion_now_ms)
		"$privnet" client "$net" btor "$P_BS" "$P_BC" >> "$work/btor.log" 2>&1 || bad "B's tor restarts" "$work/btor.log"
		BTOR=$(cat "$net/btor/pid")
	fi
	recovered() {
		local x y
		x=$(connects "$P_AA" b) y=$(connects "$P_BA" a)
		[ -n "$x" ] && [ -n "$y" ] && [ "$x" -gt "$ca" ] && [ "$y" -gt "$cb" ] && both_linked
	}
	while ! recovered && [ $(( $(onion_now_ms) - t0 )) -lt $((recover_bound * 1000)) ]; do sleep 0.25; done
	dt=$(( $(onion_now_ms) - t0 ))
	if recovered; then
		times="$times $((dt / 100))"
		[ "$dt" -gt "$worst" ] && worst=$dt
		ok "round $r ($which restarted): both directions back in $((dt / 1000)).$(( (dt % 1000) / 100 )) s after the restart (bound ${recover_bound} s)"
	else
		bad "round $r ($which restarted): not both back within ${recover_bound} s of the restart (A: $(health "$P_AA")) (B: $(health "$P_BA"))" \
			"$work/a.log" "$work/b.log"
	fi
done
echo "onion-test: recovery times (0.1 s):$times; worst $((worst / 1000)).$(( (worst % 1000) / 100 )) s over $restarts restarts"
if send_both 10 2b; then ok "10 packets each way fulfilled after the tor restarts"; else
	bad "packets after the tor restarts" "$work/send-ab-2b.log" "$work/send-ba-2b.log"; fi

# --- 4. restarts keep the onion address -----------------------------------------------------
t4=$SECONDS
A_TORS=$(tor_children "$PID_A")
stop_ilpd "$PID_A"; rca=$?
stop_ilpd "$PID_B"; rcb=$?
[ $rca -eq 0 ] && [ $rcb -eq 0 ] && ok "SIGTERM: A and B exit 0" || bad "exit codes A=$rca B=$rcb" "$work/a.log" "$work/b.log"
left=""
for p in $A_TORS; do
	until_ok 5 bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status" || left="$left $p"
done
if [ -n "$A_TORS" ] && [ -z "$left" ]; then ok "A's managed tor (pid $A_TORS) is gone after A's SIGTERM"; else
	bad "A's managed tor still running:${left:- (none recorded)}"; fi
start_ilpd A "$work/a.ini" "$work/a.log"
start_ilpd B "$work/b.ini" "$work/b.log"
if until_ok 180 published "$P_AA" && until_ok 60 published "$P_BA"; then
	ok "restarted A and B publish again in $((SECONDS - t4))s"
else
	bad "publication after restart" "$work/a.log" "$work/b.log"
fi
ua=$(url_of "$P_AA") ub=$(url_of "$P_BA")
if [ "$ua" = "$URL_A" ] && [ "$ub" = "$URL_B" ]; then ok "each node keeps its onion URL across a restart"; else
	bad "URLs changed across the restart (A same: $([ "$ua" = "$URL_A" ] && echo yes || echo no), B same: $([ "$ub" = "$URL_B" ] && echo yes || echo no))"
fi
# The sinks left with their connectors; new ones for the last round.
for p in $SINK_BOB $SINK_DAVE; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
if until_ok 180 both_linked; then
	sink "$P_B" bob-onion-token-5 sink-bob2.log
	sink "$P_A" dave-onion-token-2 sink-dave2.log
	until_ok 20 grep -q "address=test.b.bob" "$work/sink-bob2.log"
	until_ok 20 grep -q "address=test.a.dave" "$work/sink-dave2.log"
	if send_both 20 3; then ok "after both restarts the onion links return and 20 packets each way are fulfilled in $((SECONDS - t4))s"; else
		bad "packets after the restarts" "$work/send-ab-3.log" "$work/send-ba-3.log"; fi
else bad "links after the restarts (A: $(health "$P_AA")) (B: $(health "$P_BA"))" "$work/a.log" "$work/b.log"; fi

# --- 5. socks5:// is refused ----------------------------------------------------------------
printf '[node]\naddress = test.x\n[transport]\ntype = socks5\nproxy = socks5://user:secret@127.0.0.1:9050\n' > "$work/leak.ini"
out=$("$ilpd" --check-config "$work/leak.ini" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "leak.ini:5: " && echo "$out" | grep -qi "local DNS would leak" &&
	! echo "$out" | grep -q secret; then
	ok "proxy = socks5://user:secret@... refused at load: $out"
else bad "socks5:// refusal (rc=$rc): $out"; fi

# --- 6. log audit -------------------------------------------------------------------------------
stop_ilpd "$PID_A" > /dev/null
stop_ilpd "$PID_B" > /dev/null
# One short debug phase: A alone at level debug must show its id (at debug).
# A state file of its own: A's has B's balance, and A without peer B
# would rightly refuse it (state: peer b has balance ... not configured).
LOGLEVEL=debug STATE=a-debug conf_a > "$work/a-debug.ini"
start_ilpd A "$work/a-debug.ini" "$work/a-debug.log"
until_ok 180 published "$P_AA" || bad "debug phase: A publishes" "$work/a-debug.log"
sleep 1
stop_ilpd "$PID_A" > /dev/null
logs=("$work/a.log" "$work/b.log" "$work/a-debug.log")
if grep -h 'level=debug' "$work/a-debug.log" | grep -q "$ID_A"; then
	ok "at level=debug the onion id appears (the audit below can fail)"
else bad "debug phase: A's onion id not in any debug line" "$work/a-debug.log"; fi
# Every line that is not a debug line counts, including any line a child
# process wrote to ilpd's stderr.
leaks=$(cat "${logs[@]}" | grep -v ' level=debug ' | grep -c -e "$ID_A" -e "$ID_B" -e '[a-z2-7]\{56\}\.onion')
lines=$(cat "${logs[@]}" | grep -vc ' level=debug ')
if [ "$leaks" = 0 ] && [ "$lines" -gt 20 ]; then
	ok "log audit: none of $lines info/warn/error lines (A, B, every restart) holds an onion id or .onion host"
else bad "log audit: $leaks of $lines lines above debug hold an onion id"; fi
for t in alice-onion-token-1 dave-onion-token-2 ab-onion-token-3 ba-onion-token-4 bob-onion-token-5 \
	carol-onion-token-6 c-onion-token-7; do
	if grep -q -- "$t" "${logs[@]}"; then bad "token $t appears in a log"; fi
done
[ -f "$net/btor/control_auth_cookie" ] && cookie_hex=$(od -An -tx1 -v "$net/btor/control_auth_cookie" | tr -d ' \n')
if [ -n "${cookie_hex:-}" ] && grep -qi -- "$cookie_hex" "${logs[@]}"; then bad "B's control cookie appears in a log"; else
	ok "no token and no control cookie in any log"; fi
c1=$(accepted)
(exec 3<> "/dev/tcp/127.0.0.1/$P_C") 2>/dev/null
until_ok 5 bash -c "[ \"\$(grep -c 'accepting connection' '$work/c-listener.log')\" -gt $c1 ]"
c2=$(accepted)
if [ "$c1" = 0 ] && [ "$c2" = 1 ]; then
	ok "direct-dial trap: 0 connections in the whole run (and it counts: a test connection made it 1)"
else bad "direct-dial trap: $c1 connections during the run (count after a test connection: $c2)"; fi
echo "onion-test: total $((SECONDS - t_start))s"
finish
