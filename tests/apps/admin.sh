#!/usr/bin/env bash
# The admin listener's HTTP server and POST /admin/ilp/send (issue 14 point 2;
# firmware/httpd.h, admin_send.c):
#  - [admin] token: /admin/ without or with a wrong bearer token is 401 with
#    WWW-Authenticate (event admin.unauthorized), the token never in the log;
#    /health, /metrics, /routes stay open; token_file works the same
#  - [admin] allowed_ips: a client outside is 403 on every path
#    (admin.forbidden); a CIDR that includes it is served
#  - framing: malformed JSON, wrong types, bad amounts/base64/expiry, unknown
#    keys -> 400 {error,key}; a huge body -> 413; chunked -> 411; a wrong
#    method -> 405 with Allow; an unknown path -> 404; a malformed head ->
#    400; Expect: 100-continue is honoured; a slow client (slowloris) is
#    closed within the read bound and never takes /health away
#  - /admin/ilp/send from A to carol, a BTP child (ilpctl sink) of B, two
#    hops away (A -peer- B -child- carol): fulfilled (the sink's condition
#    given as executionCondition), rejected (the default condition: F06 from
#    the sink; no route: F02 from A), `ilpctl admin send` exit codes; a
#    client that hangs up before the answer leaves ilpd serving; with every
#    admin slot waiting for an answer /health is still served
# All on 127.0.0.1, ports below 32768; only processes started here are
# stopped (by PID). Prints PASS:/FAIL: and "N passed, N failed"; exits
# non-zero on any failure.
#
# Usage: tests/apps/admin.sh ILPD ILPCTL
set -uo pipefail
ilpd=${1:?usage: tests/apps/admin.sh ILPD ILPCTL}
ilpctl=${2:?usage: tests/apps/admin.sh ILPD ILPCTL}
passed=0 failed=0
# shellcheck source=../lib/report.sh
. "$(dirname "$0")/../lib/report.sh"
for b in "$ilpd" "$ilpctl"; do
	[ -x "$b" ] || die "$b is missing (build first)"
done
for c in curl python3; do command -v $c >/dev/null || die "$c is missing"; done

work=$(mktemp -d /tmp/ilpd-admin.XXXXXX)
declare -A PID=()
cleanup() {
	local p
	for p in "${PID[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${PID[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
start() {  # NAME ARGS...: log in $work/NAME.log
	local name=$1
	shift
	"$@" > "$work/$name.log" 2>&1 &
	PID[$name]=$!
}
port_base=$((21000 + ($$ % 550) * 20 + 7))
port() {
	local p=$((port_base + $1 * 1))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1000)); [ $p -lt 32768 ] || p=$((p - 11000)); done
	echo $p
}
wait_port() {
	local _
	for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
wait_for() {  # FILE RE (10 s)
	local _
	for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

TOKEN='adm-Secret-t0ken-4711'
P_A=$(port 0) P_AA=$(port 1) P_B=$(port 2) P_BA=$(port 3) P_C=$(port 4) P_CA=$(port 5)
cat > "$work/a.ini" <<INI
[node]
address = test.a
[btp]
listen = 127.0.0.1:$P_A
[admin]
listen = 127.0.0.1:$P_AA
token = $TOKEN
allowed_ips = 127.0.0.0/8, ::1
[peer b]
relation = peer
url = ws://127.0.0.1:$P_B/
token = ab-secret-token-1
[routes]
test.b = b
[ledger]
durability = off
INI
cat > "$work/b.ini" <<INI
[node]
address = test.b
[btp]
listen = 127.0.0.1:$P_B
[admin]
listen = 127.0.0.1:$P_BA
[peer a]
relation = peer
token = ab-secret-token-1
[peer carol]
relation = child
token = carol-secret-token-2
[peer dave]
relation = child
token = dave-secret-token-3
[ledger]
durability = off
INI
# C: an admin listener that serves only 10.0.0.0/8 (so not us), token from a file.
printf '%s\n' "$TOKEN-file" > "$work/token"
chmod 600 "$work/token"
cat > "$work/c.ini" <<INI
[node]
address = test.c
[btp]
listen = 127.0.0.1:$P_C
[admin]
listen = 127.0.0.1:$P_CA
token_file = $work/token
allowed_ips = 10.0.0.0/8
[ledger]
durability = off
INI

start b "$ilpd" -c "$work/b.ini"
start a "$ilpd" -c "$work/a.ini"
start c "$ilpd" -c "$work/c.ini"
wait_port "$P_AA" || die "A did not start: $(tail -3 "$work/a.log")"
wait_port "$P_BA" || die "B did not start: $(tail -3 "$work/b.log")"
wait_port "$P_CA" || die "C did not start: $(tail -3 "$work/c.log")"
start carol "$ilpctl" sink --url "ws://127.0.0.1:$P_B/" --token carol-secret-token-2 --timeout-ms 120000
wait_for "$work/b.log" 'peer.up peer=carol' || die "carol did not come up: $(tail -3 "$work/carol.log")"
wait_for "$work/a.log" 'peer.up peer=b' || die "A-B link did not come up: $(tail -3 "$work/a.log")"

A="http://127.0.0.1:$P_AA"
# code METHOD PATH [curl args...] -> "STATUS BODY" (body on one line)
req() {
	local m=$1 p=$2
	shift 2
	curl -s --max-time 10 -o "$work/body" -w '%{http_code}' -X "$m" "$@" "$A$p" > "$work/code" 2>/dev/null
	echo "$(cat "$work/code") $(tr -d '\n' < "$work/body")"
}
authed=(-H "Authorization: Bearer $TOKEN")

# ---- auth ------------------------------------------------------------------------------
out=$(req GET /admin/peers)
case "$out" in 401\ *) ok "no token: 401 ($out)" ;; *) bad "no token: $out" ;; esac
hdr=$(curl -s --max-time 5 -D - -o /dev/null "$A/admin/ilp/send" -X POST -d '{}')
if echo "$hdr" | grep -qi '^WWW-Authenticate: Bearer'; then ok "401 carries WWW-Authenticate: Bearer"
else bad "401 headers: $hdr"; fi
out=$(req POST /admin/ilp/send -H "Authorization: Bearer wrong-$TOKEN" -d '{}')
case "$out" in 401\ *) ok "wrong token: 401" ;; *) bad "wrong token: $out" ;; esac
out=$(req POST /admin/ilp/send -H "Authorization: Bearer ${TOKEN%?}" -d '{}')
case "$out" in 401\ *) ok "token prefix: 401" ;; *) bad "token prefix: $out" ;; esac
out=$(req POST /admin/ilp/send -H "Authorization: Basic $TOKEN" -d '{}')
case "$out" in 401\ *) ok "Basic scheme with the token: 401" ;; *) bad "Basic scheme: $out" ;; esac
out=$(req POST /admin/ilp/send "${authed[@]}" -d '{}')
case "$out" in 400\ *) ok "right token: past auth (400 for an empty object)" ;; *) bad "right token: $out" ;; esac
out=$(req POST /admin/ilp/send -H "authorization: bearer   $TOKEN" -d '{}')
case "$out" in 400\ *) ok "scheme case-insensitive, blanks after it" ;; *) bad "bearer spelling: $out" ;; esac
if wait_for "$work/a.log" 'event=admin.unauthorized ip=127.0.0.1 path="/admin/'; then
	ok "admin.unauthorized logged with ip and path"
else bad "no admin.unauthorized line: $(grep admin "$work/a.log" | tail -3)"; fi
for p in /health /metrics /routes; do
	out=$(req GET $p)
	case "$out" in 200\ *) ok "GET $p open without a token" ;; *) bad "GET $p: ${out:0:80}" ;; esac
done

# C: allowed_ips excludes 127.0.0.1 -> 403 everywhere, even with the token.
for p in /health /admin/peers; do
	code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN-file" "http://127.0.0.1:$P_CA$p")
	if [ "$code" = 403 ]; then ok "outside allowed_ips: GET $p is 403"; else bad "outside allowed_ips: GET $p $code"; fi
done
if wait_for "$work/c.log" 'event=admin.forbidden ip=127.0.0.1'; then ok "admin.forbidden logged"
else bad "no admin.forbidden: $(tail -3 "$work/c.log")"; fi
# C with allowed_ips including us, token from the file: SIGHUP applies both.
sed -i "s#^allowed_ips = .*#allowed_ips = 192.168.0.0/16, 127.0.0.1/32, ::1#" "$work/c.ini"
kill -HUP "${PID[c]}"
wait_for "$work/c.log" 'config.reloaded' || bad "C did not reload: $(tail -3 "$work/c.log")"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_CA/health")
if [ "$code" = 200 ]; then ok "after a reload with 127.0.0.1/32 allowed: /health 200"; else bad "after reload: $code"; fi
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -X POST -d '{}' "http://127.0.0.1:$P_CA/admin/ilp/send")
if [ "$code" = 401 ]; then ok "token_file: the INI token of A is wrong at C (401)"; else bad "token_file wrong token: $code"; fi
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN-file" -X POST -d '{}' "http://127.0.0.1:$P_CA/admin/ilp/send")
if [ "$code" = 400 ]; then ok "token_file: its first line is the token"; else bad "token_file right token: $code"; fi

# Bad [admin] auth settings are refused at load with FILE:LINE.
bad_conf() {  # LINE... -> ilpd --check-config output
	printf '[node]\naddress = test.x\n[admin]\n' > "$work/bad.ini"
	printf '%s\n' "$@" >> "$work/bad.ini"
	"$ilpd" --check-config "$work/bad.ini" 2>&1
}
for l in "allowed_ips = 10.0.0.1/8" "allowed_ips = 300.1.1.1" "allowed_ips = ::1/129" "allowed_ips = 10.0.0.0/8,,::1" \
	 "token = has blank" "token_file = relative/path" "token_file = $work/missing"; do
	out=$(bad_conf "$l")
	if echo "$out" | grep -q "bad.ini:4: "; then ok "refused: '$l' (${out##*: })"
	else bad "accepted or no line: '$l': $out"; fi
done
out=$(bad_conf "token = abc" "token_file = $work/token")
if echo "$out" | grep -q "not both"; then ok "token and token_file together refused"; else bad "token+token_file: $out"; fi
out=$(bad_conf "token = abc-secret-value")
if ! echo "$out" | grep -q "abc-secret-value"; then ok "--check-config never prints the token"; else bad "token printed: $out"; fi

# ---- framing and bad input ------------------------------------------------------------------
send_bad() {  # BODY KEY(or null) WHAT
	local out
	out=$(req POST /admin/ilp/send "${authed[@]}" -H 'Content-Type: application/json' --data-binary "$1")
	if [ "${out%% *}" = 400 ] && echo "$out" | grep -q "\"key\":$2"; then ok "400 $3 (${out#* })"
	else bad "$3: $out"; fi
}
send_bad '{"destination":' null "truncated JSON"
send_bad 'not json' null "not JSON"
send_bad '[1,2]' null "top level an array"
send_bad '{"destination":"test.b.carol","amount":"1","data":"","x":1}' '"x"' "unknown key (named)"
send_bad '{"amount":"1","data":""}' '"destination"' "missing destination"
send_bad '{"destination":5,"amount":"1","data":""}' '"destination"' "destination a number"
send_bad '{"destination":"not an address!","amount":"1","data":""}' '"destination"' "bad ILP address"
send_bad '{"destination":"test.b.carol","data":""}' '"amount"' "missing amount"
send_bad '{"destination":"test.b.carol","amount":1,"data":""}' '"amount"' "amount a number"
send_bad '{"destination":"test.b.carol","amount":"-1","data":""}' '"amount"' "negative amount"
send_bad '{"destination":"test.b.carol","amount":"01","data":""}' '"amount"' "amount with a leading zero"
send_bad '{"destination":"test.b.carol","amount":"18446744073709551616","data":""}' '"amount"' "amount 2^64"
send_bad '{"destination":"test.b.carol","amount":"1.5","data":""}' '"amount"' "fractional amount"
send_bad '{"destination":"test.b.carol","amount":"1","data":"a"}' '"data"' "data not base64"
send_bad '{"destination":"test.b.carol","amount":"1","data":7}' '"data"' "data a number"
send_bad '{"destination":"test.b.carol","amount":"1","data":"","expiresAt":"tomorrow"}' '"expiresAt"' "expiresAt not ISO"
send_bad '{"destination":"test.b.carol","amount":"1","data":"","expiresAt":"2001-01-01T00:00:00.000Z"}' '"expiresAt"' "expiresAt in the past"
send_bad '{"destination":"test.b.carol","amount":"1","data":"","executionCondition":"AAAA"}' '"executionCondition"' "condition of 3 bytes"
send_bad '{"destination":"test.b.carol","amount":"1","data":"","executionCondition":true}' '"executionCondition"' "condition a bool"
big=$(python3 -c 'print("A" * 43692)')   # base64 of 32769 bytes
send_bad "{\"destination\":\"test.b.carol\",\"amount\":\"1\",\"data\":\"$big\"}" '"data"' "data over 32767 bytes"

out=$(head -c 70000 /dev/zero | tr '\0' ' ' | curl -s --max-time 10 -o "$work/body" -w '%{http_code}' "${authed[@]}" -H 'Expect:' --data-binary @- "$A/admin/ilp/send")
if [ "$out" = 413 ]; then ok "70,000-byte body: 413"; else bad "huge body: $out $(cat "$work/body")"; fi
out=$(req POST /admin/ilp/send "${authed[@]}" -H 'Transfer-Encoding: chunked' -d '{}')
case "$out" in 411\ *) ok "chunked body: 411" ;; *) bad "chunked: $out" ;; esac
out=$(req GET /admin/ilp/send "${authed[@]}")
if [ "${out%% *}" = 405 ] && curl -s -D - -o /dev/null "${authed[@]}" "$A/admin/ilp/send" | grep -qi '^Allow: POST'; then
	ok "GET /admin/ilp/send: 405 with Allow: POST"
else bad "wrong method: $out"; fi
out=$(req DELETE /health)
case "$out" in 405\ *) ok "DELETE /health: 405" ;; *) bad "DELETE /health: $out" ;; esac
out=$(req GET /admin/nothing-here "${authed[@]}")
case "$out" in 404\ *) ok "unknown /admin/ path: 404" ;; *) bad "unknown admin path: $out" ;; esac
out=$(req GET /nothing-here)
case "$out" in 404\ *) ok "unknown path: 404" ;; *) bad "unknown path: $out" ;; esac
out=$(req GET /admin/nothing "${authed[@]}" -H 'Content-Length: 5x')
case "$out" in 400\ *) ok "bad Content-Length: 400" ;; *) bad "bad Content-Length: $out" ;; esac

# raw: bytes -> the status line (or "closed" / "timeout"), within T seconds
raw() {  # T BYTES(python literal) [DELAY]
	python3 - "$P_AA" "$1" "$2" "${3:-0}" <<'PY'
import socket, sys, time
port, t, data, delay = int(sys.argv[1]), float(sys.argv[2]), eval(sys.argv[3]), float(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=t)
t0 = time.time()
try:
    if delay > 0:
        for i in range(len(data)):
            s.sendall(data[i:i + 1]); time.sleep(delay)
    else:
        s.sendall(data)
    got = b""
    while True:
        b = s.recv(4096)
        if not b: break
        got += b
    print((got.split(b"\r\n")[0].decode() if got else "closed") + " after %.1f s" % (time.time() - t0))
except (socket.timeout, TimeoutError):
    print("timeout after %.1f s" % (time.time() - t0))
except (BrokenPipeError, ConnectionResetError):
    print("closed after %.1f s" % (time.time() - t0))
PY
}
out=$(raw 5 'b"GARBAGE\r\n\r\n"')
case "$out" in "HTTP/1.1 400"*) ok "malformed request line: $out" ;; *) bad "malformed head: $out" ;; esac
out=$(raw 5 'b"GET / HTTP/1.1\r\nX: " + b"a" * 5000')
case "$out" in "HTTP/1.1 431"*) ok "head over the limit: $out" ;; *) bad "huge head: $out" ;; esac
out=$(raw 5 'b"GET /health%00 HTTP/1.1\r\n\r\n"')
case "$out" in "HTTP/1.1 400"*) ok "%00 in the path: 400" ;; *) bad "%00 path: $out" ;; esac
out=$(raw 5 'b"GET /%68ealth HTTP/1.1\r\n\r\n"')
case "$out" in "HTTP/1.1 200"*) ok "percent-decoded path (/%68ealth)" ;; *) bad "decoded path: $out" ;; esac
out=$(raw 5 'b"POST /admin/ilp/send HTTP/1.1\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n"')
case "$out" in "HTTP/1.1 400"*) ok "two different Content-Lengths: 400" ;; *) bad "CL twice: $out" ;; esac
# Expect: 100-continue: the interim answer, then the final one.
body='{"destination":"test.b.carol","amount":"x","data":""}'
out=$(curl -s --max-time 5 -o "$work/body" -w '%{http_code}' "${authed[@]}" -H 'Expect: 100-continue' --data-binary "$body" "$A/admin/ilp/send" -v 2>"$work/curl.err")
if [ "$out" = 400 ] && grep -q '< HTTP/1.1 100 Continue' "$work/curl.err"; then ok "Expect: 100-continue honoured"
else bad "100-continue: $out $(grep '^<' "$work/curl.err" | head -3)"; fi
# Slowloris: one byte per 0.3 s never completes a request; it is closed at
# the read bound (5 s) and /health answers meanwhile, also with 6 of them
# (more than the 4 slots).
slow=()
for i in 1 2 3 4 5 6; do
	raw 12 'b"POST /admin/ilp/send HTTP/1.1\r\nContent-Length: 100\r\nX-Slow: abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop\r\n\r\n"' 0.3 > "$work/slow.$i" &
	slow+=($!)
done
sleep 1
t0=$(date +%s%N)
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$A/health")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$code" = 200 ]; then ok "/health during 6 slow clients: 200 in $ms ms"; else bad "/health under slowloris: $code"; fi
wait "${slow[@]}"
slow_ok=1
for i in 1 2 3 4 5 6; do
	s=$(cat "$work/slow.$i")
	case "$s" in
	closed*|timeout*) secs=$(echo "$s" | awk '{print $3}')
		python3 -c "import sys; sys.exit(0 if float('$secs') <= 10.0 else 1)" || slow_ok=0 ;;
	*) slow_ok=0 ;;
	esac
done
if [ $slow_ok = 1 ]; then ok "slow clients closed within the bound ($(cat "$work"/slow.* | tr '\n' ';'))"
else bad "slow clients: $(cat "$work"/slow.* | tr '\n' ';')"; fi

# ---- /admin/ilp/send two hops away ---------------------------------------------------------
# The sink's scheme (ilpctl-sink-v1): fulfillment = SHA-256("ilpctl-sink-v1" || data),
# condition = SHA-256(fulfillment).
read -r data64 cond64 ful64 < <(python3 -c '
import base64, hashlib, os
d = os.urandom(8) + (1).to_bytes(8, "big") + bytes(16)
f = hashlib.sha256(b"ilpctl-sink-v1" + d).digest()
c = hashlib.sha256(f).digest()
print(base64.b64encode(d).decode(), base64.b64encode(c).decode(), base64.b64encode(f).decode())')
out=$(req POST /admin/ilp/send "${authed[@]}" --data-binary "{\"destination\":\"test.b.carol.x\",\"amount\":\"10\",\"data\":\"$data64\",\"executionCondition\":\"$cond64\"}")
if [ "${out%% *}" = 200 ] && echo "$out" | grep -q '"accepted":true' && echo "$out" | grep -qF "\"fulfillment\":\"$ful64\""; then
	ok "send to test.b.carol (two hops): fulfilled with the sink's fulfillment"
else bad "fulfilled case: $out" "$work/a.log"; fi
out=$(req POST /admin/ilp/send "${authed[@]}" --data-binary "{\"destination\":\"test.b.carol.x\",\"amount\":\"10\",\"data\":\"$data64\"}")
if [ "${out%% *}" = 200 ] && echo "$out" | grep -q '"accepted":false' && echo "$out" | grep -q '"code":"F06"'; then
	ok "default condition SHA-256(SHA-256(data)) at the sink: rejected F06 (${out#* })"
else bad "rejected case: $out"; fi
out=$(req POST /admin/ilp/send "${authed[@]}" --data-binary '{"destination":"test.nowhere.x","amount":"1","data":""}')
if [ "${out%% *}" = 200 ] && echo "$out" | grep -q '"code":"F02"' && echo "$out" | grep -q '"triggeredBy":"test.a"'; then
	ok "no route: rejected F02 by A (${out#* })"
else bad "F02 case: $out"; fi
exp=$(python3 -c 'import datetime; print((datetime.datetime.utcnow() + datetime.timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))')
out=$(req POST /admin/ilp/send "${authed[@]}" --data-binary "{\"destination\":\"test.b.carol.x\",\"amount\":\"5\",\"data\":\"$data64\",\"executionCondition\":\"$cond64\",\"expiresAt\":\"$exp\"}")
if echo "$out" | grep -q '"accepted":true'; then ok "expiresAt given (now + 10 s): fulfilled"
else bad "expiresAt case: $out"; fi

# ilpctl admin send
export ILPD_ADMIN_URL="$A/"
out=$("$ilpctl" admin --token "$TOKEN" send --to test.b.carol.x --amount 3 --data "$data64" --condition "$cond64" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '"accepted":true'; then ok "ilpctl admin send (fulfilled): exit 0"
else bad "ilpctl admin send fulfilled: rc $rc $out"; fi
out=$(ILPD_ADMIN_TOKEN=$TOKEN "$ilpctl" admin send --to test.b.carol.x --amount 3 --data-text hello 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '"code":"F06"'; then ok "ilpctl admin send (rejected, token from the environment): exit 1"
else bad "ilpctl admin send rejected: rc $rc $out"; fi
out=$("$ilpctl" admin send --to test.b.carol.x --amount 3 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'HTTP 401'; then ok "ilpctl admin send without a token: exit 1, HTTP 401"
else bad "ilpctl admin no token: rc $rc $out"; fi
# /health shows ilpd's own account: 10 + 5 + 3 were fulfilled from it (the
# ledger's sign: the account owes the connector what it spent).
lb=$(curl -s --max-time 5 "$A/health" | python3 -c 'import json,sys; l=json.load(sys.stdin).get("local"); print(l["balance"] if l else "none")')
if [ "$lb" = 18 ]; then ok "/health local: balance 18 after 10 + 5 + 3 fulfilled"
else bad "/health local balance: $lb (want 18)"; fi
out=$("$ilpctl" admin --token-file "$work/token" --url "http://127.0.0.1:$P_CA" send --to test.c.x --amount 1 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '"code":"F02"'; then ok "ilpctl admin --token-file --url (C: F02, exit 1)"
else bad "ilpctl admin --token-file: rc $rc $out"; fi
out=$("$ilpctl" admin --token "$TOKEN" send --amount 3 2>&1); rc=$?
if [ $rc = 2 ]; then ok "ilpctl admin send without --to: usage error 2"; else bad "usage: rc $rc $out"; fi
out=$("$ilpctl" admin --token "$TOKEN" get /admin/nothing 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'HTTP 404'; then ok "ilpctl admin get on an unknown path: exit 1, HTTP 404"
else bad "ilpctl admin get: rc $rc $out"; fi
out=$("$ilpctl" admin --help 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^usage: ilpctl admin'; then ok "ilpctl admin --help: exit 0, usage"
else bad "ilpctl admin --help: rc $rc $out"; fi
out=$("$ilpctl" admin --url ftp://x send --to a.b --amount 1 2>&1); rc=$?
if [ $rc = 2 ]; then ok "ilpctl admin with a non-http URL: usage error 2"; else bad "bad URL: rc $rc $out"; fi
unset ILPD_ADMIN_URL

# A client that hangs up before the answer: dave holds Fulfills 3 s.
start dave "$ilpctl" sink --url "ws://127.0.0.1:$P_B/" --token dave-secret-token-3 --hold-ms 3000 --timeout-ms 60000
wait_for "$work/b.log" 'peer.up peer=dave' || bad "dave did not come up: $(tail -3 "$work/dave.log")"
hd=$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "${authed[@]}" --data-binary "{\"destination\":\"test.b.dave.y\",\"amount\":\"1\",\"data\":\"$data64\",\"executionCondition\":\"$cond64\"}" "$A/admin/ilp/send")
sleep 3.5
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$A/health")
if [ "$hd" = 000 ] && [ "$code" = 200 ] && kill -0 "${PID[a]}" 2>/dev/null; then
	ok "client gone before the answer (curl gave up after 1 s): ilpd serves on"
else bad "hang-up case: first $hd, /health $code" "$work/a.log"; fi

# Every admin slot (4) waiting for an answer: /health still gets one (the
# oldest waiting connection gives way), the other sends are answered.
held=()
for i in 1 2 3 4; do
	curl -s --max-time 10 -o "$work/held.$i" "${authed[@]}" --data-binary "{\"destination\":\"test.b.dave.z$i\",\"amount\":\"1\",\"data\":\"$data64\",\"executionCondition\":\"$cond64\"}" "$A/admin/ilp/send" &
	held+=($!)
	sleep 0.1
done
sleep 0.5
code=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$A/health")
wait "${held[@]}"
n=$(cat "$work"/held.* | grep -c '"accepted":true')
if [ "$code" = 200 ] && [ "$n" -ge 3 ]; then ok "4 sends waiting on a slow sink: /health 200 meanwhile, $n of 4 answered fulfilled"
else bad "slots all waiting: /health $code, $n of 4 fulfilled"; fi

# ---- the log never holds a token ---------------------------------------------------------------
if grep -qF -e "$TOKEN" -e "ab-secret-token-1" -e "$TOKEN-file" "$work/a.log" "$work/b.log" "$work/c.log"; then
	bad "a token is in a log: $(grep -F -e "$TOKEN" "$work"/*.log | head -2)"
else ok "no token in any ilpd log"; fi
for n in a b c; do
	kill -0 "${PID[$n]}" 2>/dev/null && ok "ilpd $n still running" || bad "ilpd $n died" "$work/$n.log"
done
finish
