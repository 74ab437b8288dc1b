#!/usr/bin/env bash
# End-to-end tests of the ilpd daemon with ilpctl as sender and receiver,
# all on 127.0.0.1 with ports chosen per run. Every process started here is
# stopped by PID. Prints "N passed, N failed"; exits non-zero on failure.
#
# Usage: tests/daemon/run.sh BUILD_DIR     (e.g. build/host)
set -uo pipefail
build=${1:?usage: tests/daemon/run.sh BUILD_DIR}
ilpd=$build/firmware/ilpd
ilpctl=$build/tools/ilpctl/ilpctl
for b in "$ilpd" "$ilpctl"; do
	[ -x "$b" ] || { echo "daemon-test: $b is missing (build first)"; echo "0 passed, 1 failed"; exit 1; }
done

work=$(mktemp -d /tmp/ilpd-e2e.XXXXXX)
pids=()
passed=0 failed=0
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for f in "$@"; do echo "---- $f"; tail -20 "$f"; done; }

# Free ports: a base derived from the PID, checked by trying to connect.
port_base=$((20000 + ($$ % 2000) * 10))
port() {
	local p=$((port_base + $1))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 100)); done
	echo $p
}
P_A=$(port 0) P_AA=$(port 1) P_B=$(port 2) P_BA=$(port 3)

health() {  # port -> JSON
	exec 3<>/dev/tcp/127.0.0.1/$1 || return 1
	printf 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
	sed -n '/^{/p' <&3
	exec 3<&-
}
wait_port() {
	for _ in $(seq 1 200); do
		(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
wait_for() {  # file pattern
	for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

cat > "$work/a.ini" <<EOF
[node]
address = test.a
[btp]
listen = 127.0.0.1:$P_A
ping_interval_ms = 500
reconnect_min_ms = 50
reconnect_max_ms = 400
[admin]
listen = 127.0.0.1:$P_AA
[peer alice]
relation = child
token = alice-secret-token-1
max_packet_amount = 5000
[peer bob]
relation = child
token = bob-secret-token-2
[peer b]
relation = peer
token = b-secret-token-3
[routes]
test.b = b
EOF
cat > "$work/b.ini" <<EOF
[node]
address = test.b
[btp]
listen = 127.0.0.1:$P_B
reconnect_min_ms = 50
reconnect_max_ms = 400
[admin]
listen = 127.0.0.1:$P_BA
[peer a]
relation = peer
url = ws://127.0.0.1:$P_A/
token = b-secret-token-3
[peer carol]
relation = child
token = carol-secret-token-4
asset_scale = 6
[routes]
default = a
EOF
# The A-B link is in scale 9 on both sides; carol's asset has scale 6, so
# B converts: 1000 units at scale 9 reach carol as 1 unit at scale 6.

# --- configuration checks ---------------------------------------------------
if "$ilpd" --check-config "$work/a.ini" | grep -q ": ok$"; then ok "check-config accepts a good file"; else bad "check-config good"; fi
printf '[node]\naddress = test.x\n[peer z]\nrelation = child\ntoken = zz-secret-value\nbogus = 1\n' > "$work/bad.ini"
out=$("$ilpd" --check-config "$work/bad.ini" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "bad.ini:6: " && ! echo "$out" | grep -q zz-secret-value; then
	ok "check-config rejects with FILE:LINE and no secret ($out)"
else bad "check-config bad (rc=$rc: $out)"; fi
"$ilpd" --frobnicate >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok "unknown option exits 2"; else bad "unknown option rc=$rc"; fi
if "$ilpd" --help | grep -q "SIGHUP"; then ok "--help documents signals"; else bad "--help"; fi

# --- two connectors, packets across both -------------------------------------
"$ilpd" -c "$work/a.ini" > "$work/a.log" 2>&1 & PID_A=$!; pids+=($PID_A)
wait_port "$P_AA" || bad "ilpd A did not start" "$work/a.log"
"$ilpd" -c "$work/b.ini" > "$work/b.log" 2>&1 & PID_B=$!; pids+=($PID_B)
wait_port "$P_BA" || bad "ilpd B did not start" "$work/b.log"
wait_for "$work/a.log" "event=peer.up peer=b " && ok "B dials A and authenticates as peer" || bad "peering" "$work/a.log" "$work/b.log"

"$ilpctl" sink --url "ws://127.0.0.1:$P_B/" --token carol-secret-token-4 --timeout-ms 20000 > "$work/sink.log" 2>&1 & SINK=$!; pids+=($SINK)
wait_for "$work/sink.log" "address=test.b.carol" && ok "sink gets test.b.carol by IL-DCP" || bad "sink ildcp" "$work/sink.log"

"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-secret-token-1 --to test.b.carol \
	--count 5000 --window 50 --amount 1000 > "$work/send.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "^sent=5000 fulfilled=5000 rejected=0" "$work/send.log"; then
	ok "5000 packets alice -> A -> B -> carol fulfilled"
else bad "forward across two connectors (rc=$rc)" "$work/send.log" "$work/a.log" "$work/b.log"; fi
ha=$(health "$P_AA"); hb=$(health "$P_BA")
if echo "$ha" | grep -q '"name":"alice","relation":"child","connected":[a-z]*,"balance":"5000000"' &&
   echo "$ha" | grep -q '"name":"b","relation":"peer","connected":true,"balance":"-5000000"' &&
   echo "$hb" | grep -q '"name":"a","relation":"peer","connected":true,"balance":"5000000"' &&
   echo "$hb" | grep -q '"name":"carol","relation":"child","connected":true,"balance":"-5000"'; then
	ok "balances agree on both connectors (scale 9 -> 6 conversion)"
else bad "balances: A=$ha B=$hb"; fi

# --- refusals --------------------------------------------------------------------
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-secret-token-1 --to test.nowhere \
	--count 10 --window 5 --amount 1 > "$work/f02.log" 2>&1
grep -q "rejected=10 F02=10" "$work/f02.log" && ok "no route: F02" || bad "F02" "$work/f02.log"
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-secret-token-1 --to test.b.carol \
	--count 10 --window 5 --amount 5001 > "$work/f08.log" 2>&1
grep -q "rejected=10 F08=10" "$work/f08.log" && ok "over max packet amount: F08" || bad "F08" "$work/f08.log"
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token wrong-token --to test.b.carol \
	--count 1 --window 1 --amount 1 > "$work/auth.log" 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q "event=peer.auth_failed" "$work/a.log"; then ok "wrong token refused at auth (exit $rc)"; else bad "wrong token rc=$rc" "$work/auth.log"; fi

# --- the outbound link redials when the other side comes back -----------------
kill -TERM $PID_A; wait $PID_A; rc=$?
if [ $rc -eq 0 ] && grep -q "event=shutdown.done" "$work/a.log"; then ok "SIGTERM: clean stop, exit 0"; else bad "stop rc=$rc" "$work/a.log"; fi
wait_for "$work/b.log" "event=peer.down peer=a " && ok "B notices A is gone" || bad "peer.down" "$work/b.log"
"$ilpd" -c "$work/a.ini" >> "$work/a.log" 2>&1 & PID_A=$!; pids+=($PID_A)
sleep 0.3
for _ in $(seq 1 100); do [ "$(grep -c 'event=peer.up peer=b ' "$work/a.log")" -ge 2 ] && break; sleep 0.05; done
if [ "$(grep -c 'event=peer.up peer=b ' "$work/a.log")" -ge 2 ]; then ok "B redials A after A restarts"; else bad "redial" "$work/b.log"; fi
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-secret-token-1 --to test.b.carol \
	--count 100 --window 10 --amount 1000 > "$work/send2.log" 2>&1 &&
	ok "packets flow again after the restart" || bad "after restart" "$work/send2.log" "$work/a.log"

kill -TERM $PID_A $PID_B $SINK 2>/dev/null
wait $PID_A; rca=$?; wait $PID_B; rcb=$?
[ $rca -eq 0 ] && [ $rcb -eq 0 ] && ok "both connectors exit 0 on SIGTERM" || bad "exit codes $rca $rcb"

# --- no secret in any log ---------------------------------------------------------
if grep -l -e alice-secret-token-1 -e bob-secret-token-2 -e b-secret-token-3 -e carol-secret-token-4 \
	"$work"/*.log; then bad "a token appears in a log"; else ok "no token in any log"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
