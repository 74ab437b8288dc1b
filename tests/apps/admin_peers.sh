#!/usr/bin/env bash
# The admin API's peers and routes (issue 14 point 2; firmware/admin_peers.h):
# GET/POST/DELETE /admin/peers and /admin/routes while packets flow on a link
# the changes do not touch (every one of them must be fulfilled), admin.ini
# (0600, survives a restart and a SIGHUP, shown by --check-config with
# FILE:LINE errors), tokens never in GET output, bad input on every endpoint
# with the configuration loader's own messages, `ilpctl admin peers|routes`.
# All on 127.0.0.1, ports below 32768; every process started here is stopped
# by PID. Prints "N passed, N failed"; exits non-zero on any failure.
#
# Usage: tests/apps/admin_peers.sh ILPD ILPCTL
set -uo pipefail
ilpd=${1:?usage: tests/apps/admin_peers.sh ILPD ILPCTL}
ilpctl=${2:?usage: tests/apps/admin_peers.sh ILPD ILPCTL}
for b in "$ilpd" "$ilpctl"; do
	[ -x "$b" ] || { echo "admin_peers: $b is missing (build first)"; echo "0 passed, 1 failed"; exit 1; }
done
command -v curl >/dev/null || { echo "admin_peers: curl is missing"; echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d /tmp/ilpd-adminpeers.XXXXXX)
pids=()
passed=0 failed=0
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for f in "$@"; do echo "---- $f"; tail -20 "$f"; done; }

port_base=$((21000 + ($$ % 1000) * 10))
port() {
	local p=$((port_base + $1))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 100)); done
	echo $p
}
P_A=$(port 0) P_AA=$(port 1)
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
# api METHOD PATH [BODY] -> "STATUS BODY" (the body on one line)
api() {
	local out code
	if [ $# -ge 3 ]; then
		code=$(curl -s -m 10 -o "$work/api.out" -w '%{http_code}' -X "$1" \
			-H 'Content-Type: application/json' --data-binary "$3" \
			"http://127.0.0.1:$P_AA$2")
	else
		code=$(curl -s -m 10 -o "$work/api.out" -w '%{http_code}' -X "$1" \
			"http://127.0.0.1:$P_AA$2")
	fi
	out=$(tr -d '\n' < "$work/api.out")
	echo "$code $out"
}
# expect LABEL "STATUS BODY" STATUS [fixed string the body must contain]
expect() {
	local label=$1 got=$2 status=$3 want=${4:-}
	if [ "${got%% *}" = "$status" ] && { [ -z "$want" ] || [[ "$got" == *"$want"* ]]; }; then
		ok "$label"
	else
		bad "$label: want $status${want:+ with $want}, got: $got"
	fi
}
# The message --check-config prints for a [peer x] section with one extra
# line (after "FILE:LINE: "), to compare with the API's "error".
ini_msg() {  # "key = value" lines (\n-separated) -> message
	printf '[node]\naddress = test.m\n[btp]\nlisten = 127.0.0.1:1\n[admin]\nlisten = off\n[peer x]\n%b\n' "$1" > "$work/m.ini"
	"$ilpd" --check-config "$work/m.ini" 2>&1 | sed -e 's/^[^:]*:[0-9]*: //'
}

mkdir -p "$work/state"
cat > "$work/a.ini" <<EOF
[node]
address = test.a
[btp]
listen = 127.0.0.1:$P_A
ping_interval_ms = 2000
reconnect_min_ms = 50
reconnect_max_ms = 400
[admin]
listen = 127.0.0.1:$P_AA
state_dir = $work/state
[peer alice]
relation = child
token = alice-secret-token-1
[peer bob]
relation = child
token = bob-secret-token-2
[peer eve]
relation = child
token = eve-secret-token-3
max_packet_amount = 900
[routes]
test.viabob = bob
[ledger]
durability = off
state_file = $work/a.state
EOF

"$ilpd" --check-config "$work/a.ini" > "$work/check0.out" 2>&1
if [ "$(wc -l < "$work/check0.out")" -eq 1 ] && grep -q ": ok$" "$work/check0.out"; then
	ok "--check-config without admin.ini: one ok line"
else bad "--check-config without admin.ini" "$work/check0.out"; fi

"$ilpd" -c "$work/a.ini" > "$work/a.log" 2>&1 & PID_A=$!; pids+=($PID_A)
wait_port "$P_AA" || bad "ilpd did not start" "$work/a.log"
"$ilpctl" sink --url "ws://127.0.0.1:$P_A/" --token bob-secret-token-2 --timeout-ms 60000 > "$work/sink.log" 2>&1 & SINK=$!; pids+=($SINK)
wait_for "$work/sink.log" "address=test.a.bob" && ok "sink bob connected" || bad "sink bob" "$work/sink.log"

# Traffic on alice -> bob, links no change touches, for the whole change run:
# back-to-back sends of N packets (each its own connection from alice) until
# the changes are done; every packet of every run must be fulfilled.
N=${ADMIN_PEERS_PACKETS:-20000}
traffic_loop() {
	local i=0
	while [ ! -e "$work/stop" ]; do
		i=$((i + 1))
		"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-secret-token-1 --to test.a.bob \
			--count $N --window 16 --amount 1 --timeout-ms 60000 > "$work/traffic.$i.log" 2>&1 ||
			echo "run $i: exit $?" >> "$work/traffic.fail"
	done
	echo $i > "$work/traffic.runs"
}
traffic_loop & TRAFFIC=$!; pids+=($TRAFFIC)
wait_for "$work/a.log" "event=peer.up peer=alice " || bad "alice did not come up" "$work/a.log"
ups_bob=$(grep -c 'event=peer.up peer=bob ' "$work/a.log")

# --- GET ------------------------------------------------------------------------
r=$(api GET /admin/peers)
expect "GET /admin/peers lists the INI peers" "$r" 200 '"name":"alice","source":"config","state":"up"'
if [[ "$r" != *secret-token* ]] && [[ "$r" == *'"tokenSet":true'* ]] && [[ "$r" == *'"max_packet_amount":"900"'* ]]; then
	ok "GET /admin/peers: no token value, tokenSet, INI values"
else bad "GET /admin/peers shows a token or misses values: $r"; fi
expect "GET /admin/peers/eve" "$(api GET /admin/peers/eve)" 200 '"name":"eve"'
expect "GET /admin/routes" "$(api GET /admin/routes)" 200 '{"routes":[{"prefix":"test.viabob","peer":"bob","source":"config"}],"default":null}'

# --- changes under traffic ----------------------------------------------------------
r=$(api POST /admin/peers '{"name":"dave","relation":"child","token":"dave-secret-token-4","max_packet_amount":100}')
expect "POST adds dave (201)" "$r" 201 '"name":"dave","source":"admin.ini"'
[[ "$r" != *dave-secret* ]] && ok "POST answer has no token" || bad "POST answer shows the token: $r"
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token dave-secret-token-4 --to test.a.bob \
	--count 20 --window 5 --amount 100 > "$work/dave1.log" 2>&1
grep -q "^sent=20 fulfilled=20 rejected=0" "$work/dave1.log" && ok "dave (added by the API) sends to bob" ||
	bad "dave's packets" "$work/dave1.log" "$work/a.log"
expect "POST changes dave's max_packet_amount (200)" \
	"$(api POST /admin/peers '{"name":"dave","max_packet_amount":"50"}')" 200 '"max_packet_amount":"50"'
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token dave-secret-token-4 --to test.a.bob \
	--count 5 --window 5 --amount 51 > "$work/dave2.log" 2>&1
grep -q "rejected=5 F08=5" "$work/dave2.log" && ok "dave's new limit applies at once (51: F08)" ||
	bad "dave's new limit" "$work/dave2.log"
expect "POST changes the INI peer eve" "$(api POST /admin/peers '{"name":"eve","max_packet_amount":7}')" \
	200 '"name":"eve","source":"admin.ini"'
expect "DELETE the INI peer eve" "$(api DELETE /admin/peers/eve)" 200 '{"deleted":"eve"}'
expect "GET eve: 404" "$(api GET /admin/peers/eve)" 404 "no peer 'eve'"
expect "POST route test.viadave -> dave (201)" "$(api POST /admin/routes '{"prefix":"test.viadave","peer":"dave"}')" \
	201 '"source":"admin.ini"'
expect "POST the same route again: 409" "$(api POST /admin/routes '{"prefix":"test.viadave","peer":"bob"}')" 409 "duplicate route"
expect "POST it with replace: 200" "$(api POST /admin/routes '{"prefix":"test.viadave","peer":"bob","replace":true}')" 200 '"peer":"bob"'
expect "POST default route -> bob" "$(api POST /admin/routes '{"prefix":"default","peer":"bob"}')" 201 '"peer":"bob"'
expect "DELETE the INI route test.viabob" "$(api DELETE /admin/routes/test.viabob)" 200 '{"deleted":"test.viabob"}'
expect "DELETE it again: 404" "$(api DELETE /admin/routes/test.viabob)" 404 "no route 'test.viabob'"
expect "DELETE a peer a route names: 409" "$(api DELETE /admin/peers/bob)" 409 "has the route 'test.viadave': delete it first"
r=$(api POST /admin/peers '{"name":"frank","relation":"child","token":"frank-secret-token-5"}')
expect "POST adds frank" "$r" 201 '"name":"frank"'
expect "DELETE frank" "$(api DELETE /admin/peers/frank)" 200 '{"deleted":"frank"}'
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token eve-secret-token-3 --to test.a.bob \
	--count 1 --window 1 --amount 1 > "$work/eve.log" 2>&1 && bad "removed eve can still send" "$work/eve.log" ||
	ok "removed eve's token is refused"

# --- bad input ------------------------------------------------------------------------
for kv in 'relation = cousin|{"name":"x","relation":"cousin","token":"t1"}|relation' \
	  'max_balance = -1|{"name":"x","relation":"child","token":"t1","max_balance":-1}|max_balance' \
	  'bogus = 1|{"name":"x","relation":"child","token":"t1","bogus":"1"}|bogus' \
	  'rate = 0|{"name":"x","relation":"child","token":"t1","rate":"0"}|rate' \
	  'url = http://h/|{"name":"x","relation":"peer","token":"t1","url":"http://h/"}|url' \
	  'relation = child|{"name":"x","relation":"child"}|token' \
	  'token = t1\nmax_in_flight = 0|{"name":"x","relation":"child","token":"t1","max_in_flight":0}|max_in_flight'; do
	line=${kv%%|*}; rest=${kv#*|}; body=${rest%|*}; key=${rest##*|}
	want=$(ini_msg "$line")
	r=$(api POST /admin/peers "$body")
	wantj=$(printf '%s' "$want" | sed 's/"/\\"/g')
	expect "bad '$line': 400 with the INI loader's message ($want)" "$r" 400 "{\"error\":\"$wantj\",\"key\":\"$key\"}"
done
expect "a peer named like no address segment" "$(api POST /admin/peers '{"name":"a.b","relation":"child","token":"t9"}')" \
	400 "is not a valid address segment"
expect "a duplicate inbound token: 409" "$(api POST /admin/peers '{"name":"x","relation":"child","token":"alice-secret-token-1"}')" \
	409 "same token as peer"
[[ "$(api GET /admin/peers)" != *'"name":"x"'* ]] && ok "refused changes left no peer x" || bad "a refused change applied"
expect "malformed JSON: 400" "$(api POST /admin/peers '{"name":"x",')" 400 "malformed JSON"
expect "not an object: 400" "$(api POST /admin/peers '[1]')" 400 "malformed JSON"
expect "missing name: 400" "$(api POST /admin/peers '{"relation":"child"}')" 400 "missing 'name'"
expect "a nested value: 400" "$(api POST /admin/peers '{"name":"x","token":{"a":1}}')" 400 "must be a string, a number or a boolean"
expect "a token with a line break: 400" "$(api POST /admin/peers '{"name":"x","relation":"child","token":"a\nb"}')" \
	400 "contains a control character"
expect "DELETE an unknown peer: 404" "$(api DELETE /admin/peers/nobody)" 404 "no peer 'nobody'"
expect "PUT /admin/peers: 405" "$(api PUT /admin/peers '{}')" 405 "method not allowed"
expect "POST /admin/peers/NAME: 405" "$(api POST /admin/peers/dave '{}')" 405
expect "PATCH /admin/routes: 405" "$(api PATCH /admin/routes '{}')" 405
expect "GET /admin/routes/PREFIX: 405" "$(api GET /admin/routes/test.x)" 405
expect "a route to an unknown peer: 404" "$(api POST /admin/routes '{"prefix":"test.q","peer":"nobody"}')" 404 "route to unknown peer 'nobody'"
printf '[node]\naddress = test.m\n[routes]\nte..st = a\n' > "$work/r.ini"
want=$("$ilpd" --check-config "$work/r.ini" 2>&1 | sed -e 's/^[^:]*:[0-9]*: //')
expect "a bad route prefix: 400 with the INI message" "$(api POST /admin/routes '{"prefix":"te..st","peer":"bob"}')" 400 "$want"
expect "route without peer: 400" "$(api POST /admin/routes '{"prefix":"test.q"}')" 400 "missing 'peer'"
expect "route with an unknown key: 400" "$(api POST /admin/routes '{"prefix":"test.q","peer":"bob","x":1}')" 400 "unknown key 'x'"
expect "route malformed JSON: 400" "$(api POST /admin/routes 'nope')" 400 "malformed JSON"

# --- the traffic that ran through all of it ------------------------------------------
touch "$work/stop"
wait $TRAFFIC
runs=$(cat "$work/traffic.runs" 2>/dev/null || echo 0)
good=$(grep -l "^sent=$N fulfilled=$N rejected=0\$" "$work"/traffic.*.log 2>/dev/null | wc -l)
if [ "$runs" -ge 1 ] && [ "$good" -eq "$runs" ] && [ ! -e "$work/traffic.fail" ]; then
	ok "no packet lost on the unchanged alice -> bob link ($runs runs of $N during the changes, all fulfilled)"
else bad "traffic during the changes: $good of $runs runs fully fulfilled" "$work/traffic.fail" \
	$(grep -L "^sent=$N fulfilled=$N rejected=0\$" "$work"/traffic.*.log 2>/dev/null | head -3); fi
if [ "$(grep -c 'event=peer.up peer=bob ' "$work/a.log")" -eq "$ups_bob" ] &&
   ! grep -q 'event=peer.down peer=bob ' "$work/a.log"; then
	ok "bob (the receiving link) stayed connected through every change"
else bad "bob reconnected" "$work/a.log"; fi
n=$(grep -c 'event=config.reloaded' "$work/a.log")
[ "$n" -ge 9 ] && ok "every change applied as a reload ($n config.reloaded)" || bad "config.reloaded $n" "$work/a.log"
if grep -q 'secret-token' "$work/a.log"; then bad "a token in the log" "$work/a.log"; else ok "no token in the log"; fi

# --- admin.ini ------------------------------------------------------------------------
ini=$work/state/admin.ini
if [ "$(stat -c %a "$ini" 2>/dev/null)" = 600 ] && grep -q '^\[peer dave\]$' "$ini" &&
   grep -q '^token = dave-secret-token-4$' "$ini" && grep -q '^peer = eve$' "$ini" &&
   grep -q '^route = test.viabob$' "$ini" && grep -q '^test.viadave = bob$' "$ini" &&
   grep -q '^default = bob$' "$ini" && ! grep -q frank "$ini"; then
	ok "admin.ini: 0600, dave, eve removed, routes"
else bad "admin.ini ($(stat -c %a "$ini" 2>/dev/null))" "$ini"; fi
"$ilpd" --check-config "$work/a.ini" > "$work/check1.out" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "a.ini: ok$" "$work/check1.out" &&
   grep -q "admin.ini: ok (admin API: 1 peers, 2 routes set there)" "$work/check1.out"; then
	ok "--check-config shows admin.ini"
else bad "--check-config with admin.ini (rc=$rc)" "$work/check1.out"; fi
mkdir -p "$work/state2"
sed -e "s#^state_dir = .*#state_dir = $work/state2#" "$work/a.ini" > "$work/a2.ini"
sed -e 's/^max_packet_amount = 50$/max_packet_amount = lots/' "$ini" > "$work/state2/admin.ini"
badline=$(grep -n '^max_packet_amount = lots$' "$work/state2/admin.ini" | cut -d: -f1)
"$ilpd" --check-config "$work/a2.ini" > "$work/check2.out" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "state2/admin.ini:$badline: 'max_packet_amount' must be a decimal integer" "$work/check2.out"; then
	ok "--check-config: a bad admin.ini line is FILE:LINE (line $badline)"
else bad "--check-config bad admin.ini (rc=$rc)" "$work/check2.out"; fi

# --- SIGHUP and restart keep what the API did --------------------------------------------
n0=$(grep -c 'event=config.reloaded' "$work/a.log")
kill -HUP $PID_A
for _ in $(seq 1 100); do   # up to 10 s for the reload's log line
	[ "$(grep -c 'event=config.reloaded' "$work/a.log")" -gt "$n0" ] && break
	sleep 0.1
done
r=$(api GET /admin/peers)
if [ "$(grep -c 'event=config.reloaded' "$work/a.log")" -gt "$n0" ] &&
   [[ "$r" == *'"name":"dave","source":"admin.ini"'* ]] && [[ "$r" != *'"name":"eve"'* ]]; then
	ok "SIGHUP reloads the INI file and admin.ini"
else bad "after SIGHUP: $r" "$work/a.log"; fi
kill -TERM $PID_A; wait $PID_A 2>/dev/null
"$ilpd" -c "$work/a.ini" > "$work/a3.log" 2>&1 & PID_A=$!; pids+=($PID_A)
wait_port "$P_AA" || bad "ilpd did not restart" "$work/a3.log"
r=$(api GET /admin/peers)
if [[ "$r" == *'"name":"dave","source":"admin.ini"'*'"max_packet_amount":"50"'* ]] && [[ "$r" != *'"name":"eve"'* ]] &&
   [[ "$r" != *'"name":"frank"'* ]]; then
	ok "after a restart: dave (limit 50) there, eve and frank gone"
else bad "after restart: $r" "$work/a3.log"; fi
expect "after a restart: the routes" "$(api GET /admin/routes)" 200 \
	'{"routes":[{"prefix":"test.viadave","peer":"bob","source":"admin.ini"}],"default":{"peer":"bob","source":"admin.ini"}}'
"$ilpctl" sink --url "ws://127.0.0.1:$P_A/" --token bob-secret-token-2 --timeout-ms 20000 > "$work/sink2.log" 2>&1 & pids+=($!)
wait_for "$work/sink2.log" "address=test.a.bob" || bad "sink bob after restart" "$work/sink2.log"
"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token dave-secret-token-4 --to test.a.bob \
	--count 10 --window 5 --amount 50 > "$work/dave3.log" 2>&1
grep -q "^sent=10 fulfilled=10 rejected=0" "$work/dave3.log" && ok "dave sends after the restart" ||
	bad "dave after restart" "$work/dave3.log" "$work/a3.log"

# --- ilpctl admin ------------------------------------------------------------------------
if "$ilpctl" admin --help >/dev/null 2>&1; then
	u="http://127.0.0.1:$P_AA"
	out=$("$ilpctl" admin --url "$u" peers list 2>&1); rc=$?
	if [ $rc -eq 0 ] && [[ "$out" == *dave* ]] && [[ "$out" != *secret-token* ]]; then ok "ilpctl admin peers list"; else bad "ilpctl admin peers list (rc=$rc): $out"; fi
	out=$("$ilpctl" admin --url "$u" peers add gina relation=child token=gina-secret-token-7 max_packet_amount=10 2>&1); rc=$?
	[ $rc -eq 0 ] && [[ "$(api GET /admin/peers/gina)" == *'"max_packet_amount":"10"'* ]] && ok "ilpctl admin peers add" ||
		bad "ilpctl admin peers add (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" peers add gina relation=aunt 2>&1); rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"'relation' must be parent, peer or child"* ]] && ok "ilpctl admin peers add: the error, non-zero exit" ||
		bad "ilpctl admin peers add bad (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" routes add test.viagina gina 2>&1); rc=$?
	[ $rc -eq 0 ] && [[ "$(api GET /admin/routes)" == *test.viagina* ]] && ok "ilpctl admin routes add" || bad "ilpctl admin routes add (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" routes list 2>&1); rc=$?
	[ $rc -eq 0 ] && [[ "$out" == *test.viagina* ]] && ok "ilpctl admin routes list" || bad "ilpctl admin routes list (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" routes del test.viagina 2>&1); rc=$?
	[ $rc -eq 0 ] && [[ "$(api GET /admin/routes)" != *test.viagina* ]] && ok "ilpctl admin routes del" || bad "ilpctl admin routes del (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" peers del gina 2>&1); rc=$?
	[ $rc -eq 0 ] && [[ "$(api GET /admin/peers/gina)" == 404* ]] && ok "ilpctl admin peers del" || bad "ilpctl admin peers del (rc=$rc): $out"
	out=$("$ilpctl" admin --url "$u" peers del gina 2>&1); rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"no peer 'gina'"* ]] && ok "ilpctl admin peers del unknown: error, non-zero exit" ||
		bad "ilpctl admin peers del unknown (rc=$rc): $out"
else
	bad "ilpctl has no 'admin' command"
fi

kill -TERM $PID_A; wait $PID_A 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
