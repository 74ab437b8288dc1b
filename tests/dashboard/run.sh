#!/usr/bin/env bash
# The dashboard (GET / on the admin listener, issue 14) in a real browser.
#
#   tests/dashboard/run.sh ILPD ILPCTL OUTDIR
#
# 1. The page's source (firmware/dashboard/index.html): no innerHTML-style
#    sinks, no eval, no URL to anywhere, ASCII only.
# 2. Debian's chromium: installed with apt-get when missing (the run fails
#    if it cannot be), and node (cdp.js drives the browser over the
#    DevTools protocol's pipe transport, in real time).
# 3. Two ilpd nodes peered over BTP: A (test.a, children alice and carol,
#    peer b with a stand-in settlement engine; no admin token) and B
#    (test.b, peer a, child bob; [admin] token set).
#    ilpctl sink as bob (each Fulfill held 20 ms) and ilpctl send as alice
#    to test.b.bob with 8 in flight (~400 packets/s), plus bursts of
#    Prepares from carol to test.a.nobody (F02) every 0.5 s.
# 4. GET / over HTTP: 200, gzip, the body is exactly index.html; CSP with
#    default-src 'none', Cache-Control: no-store; 406 without gzip;
#    /favicon.ico 204.
# 5. Live: A's dashboard in headless chromium for 15 s with traffic
#    flowing: no script error, no CSP violation, no request off the origin;
#    both peers up, a packet rate above zero, F02 in the reject codes, the
#    static route to test.b, the limits (from /admin/peers) and b's
#    settlement state; a full-page screenshot OUTDIR/dashboard.png
#    (the CI artifact).
# 6. Traffic stops, both nodes settle (nothing in flight, /health the same
#    twice in a row); then the peers and balances the dashboard renders on
#    A, and on B opened with /#token=T, match /health exactly; every
#    request of the token page carries "Authorization: Bearer T" and
#    /admin/peers answers it, while without the token the page still shows
#    B (/health is open), /admin/peers answers 401 and is not asked again.
# Prints "N passed, N failed" last; exit status non-zero on any failure.
# Env: DASH_LIVE_S (seconds the live page runs before the screenshot,
# default 15; 60 fills the charts' first minute, as in docs/img).
# Every wait is bounded; ports are 127.0.0.1 below 32768; only the
# processes started here are stopped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -ne 3 ]; then
	echo "usage: $0 ILPD ILPCTL OUTDIR" >&2
	exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$(pwd)" "$1" ;; esac; }
ILPD=$(abspath "$1")
ILPCTL=$(abspath "$2")
OUT=$(abspath "$3")
# shellcheck source=../hardening/lib.sh
. "$here/../hardening/lib.sh"
[ -x "$ILPD" ] || die "ilpd not found or not executable: $ILPD"
[ -x "$ILPCTL" ] || die "ilpctl not found or not executable: $ILPCTL"
mkdir -p "$OUT" || die "cannot create $OUT"
page=$root/firmware/dashboard/index.html
[ -r "$page" ] || die "no $page"

# The error-burst loop runs in its own process group (setsid) so that it
# and its current ilpctl stop together.
burst_pid=''
dash_cleanup() {
	if [ -n "$burst_pid" ]; then
		kill -KILL -- "-$burst_pid" 2>/dev/null || true
		wait "$burst_pid" 2>/dev/null || true
	fi
	hd_cleanup
}
trap dash_cleanup EXIT

# --- 1. the page's source -------------------------------------------------
if grep -n -E 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\("on' "$page"; then
	bad "index.html uses an HTML or code sink (lines above): node data must go in as textContent"
else
	ok "index.html sets node data as text only (no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval)"
fi
if grep -n -E -i '(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|src=|href=|@import|url\(' "$page"; then
	bad "index.html refers to another resource (lines above): the page must load nothing"
else
	ok "index.html refers to no other resource"
fi
if LC_ALL=C grep -n -P '[^\x09\x0a\x20-\x7e]' "$page" | head -3 | grep -q .; then
	bad "index.html has bytes outside printable ASCII (the CSP hashes are taken over bytes)"
else
	ok "index.html is ASCII"
fi

# --- 2. chromium and node -------------------------------------------------
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	sudo=''
	[ "$(id -u)" = 0 ] || sudo=sudo
	t0=$SECONDS
	echo "tests/dashboard: installing Debian's chromium (apt-get install -y chromium)"
	if ! { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium ||
		{ $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium; }; } \
		>"$OUT/apt-chromium.log" 2>&1; then
		tail -n 5 "$OUT/apt-chromium.log" | sed 's/^/  apt: /'
		die "cannot install Debian's chromium (apt-get install -y chromium failed; log: $OUT/apt-chromium.log)"
	fi
	chromium=$(command -v chromium || true)
	[ -n "$chromium" ] || die "apt-get installed chromium but there is no chromium command"
	echo "tests/dashboard: chromium installed in $((SECONDS - t0)) s"
fi
ok "browser: $("$chromium" --version 2>/dev/null | head -n 1)"
command -v node >/dev/null 2>&1 || die "node is required (tests/dashboard/cdp.js drives chromium)"

# cdp NAME URL UNTIL MIN_MS [--shot FILE]: the page in chromium -> $HD_WORK/NAME.json
cdp() {
	local name=$1 url=$2 until=$3 min=$4
	shift 4
	timeout $((min / 1000 + 90)) node "$here/cdp.js" "$chromium" "$url" "$HD_WORK/$name.json" \
		--until "$until" --min-ms "$min" --timeout-ms $((min + 45000)) --size 1280x900 "$@"
	local rc=$?
	cp "$HD_WORK/$name.json" "$OUT/$name.json" 2>/dev/null
	return $rc
}
# check NAME PYTHON: runs PYTHON with j = $HD_WORK/NAME.json loaded; it
# prints problems, one a line; no output = pass. Extra arguments: argv[1:].
check() {
	local name=$1 code=$2
	shift 2
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
st = j.get("state") or {}
f = st.get("fields") or {}
args = sys.argv[2:]
problems = []
def need(cond, msg):
    if not cond: problems.append(msg)
'"$code"'
print("\n".join(problems))' "$HD_WORK/$name.json" "$@"
}
# The checks every page load must pass: no script error, no CSP violation,
# no request outside the admin origin, nothing failed to load.
CLEAN='
need(not j["timedOut"], "the page never reached: " + j["until"] + " (state: " + json.dumps(st)[:600] + ")")
bad_logs = [l for l in j["logs"] if l["kind"] == "exception" or l["kind"].startswith("console.error")
            or "Content Security Policy" in l["text"] or "Refused to" in l["text"]]
need(not bad_logs, "browser errors: " + json.dumps(bad_logs)[:800])
origin = args[0]
off = [r["url"] for r in j["requests"] if not r["url"].startswith(origin)]
need(not off, "requests off the origin: " + ", ".join(off))
failed = [r["url"] + ": " + r["failed"] for r in j["requests"] if r.get("failed")]
need(not failed, "requests that failed: " + ", ".join(failed))
need(not st.get("errorShown"), "the error banner shows: " + str(f.get("err")))
'

# --- 3. two nodes, traffic ------------------------------------------------
PA=$(hd_port 0) PAA=$(hd_port 1) PB=$(hd_port 2) PBA=$(hd_port 3) PE=$(hd_port 4)
TOKEN=dash-admin-token-$$-$RANDOM
node_ini() {  # NAME ADDRESS BTP ADMIN [ADMIN_EXTRA]
	cat >"$HD_WORK/$1.ini" <<INI
[node]
address = $2
asset_code = XRP
asset_scale = 9
[btp]
listen = 127.0.0.1:$3
reconnect_min_ms = 100
reconnect_max_ms = 500
[admin]
listen = 127.0.0.1:$4
${5:-}
[log]
level = info
[ledger]
durability = off
INI
}
node_ini a test.a "$PA" "$PAA"
cat >>"$HD_WORK/a.ini" <<INI
[peer alice]
relation = child
token = alice-secret-token-1
max_balance = 1000000000000
[peer carol]
relation = child
token = carol-secret-token-4
[peer b]
relation = peer
url = ws://127.0.0.1:$PB/
token = ab-secret-token-2
settlement_engine = http://127.0.0.1:$PE
settle_threshold = -1000000000000
settle_to = 0
[routes]
test.b = b
INI
node_ini b test.b "$PB" "$PBA" "token = $TOKEN"
cat >>"$HD_WORK/b.ini" <<INI
[peer a]
relation = peer
token = ab-secret-token-2
[peer bob]
relation = child
token = bob-secret-token-3
INI
# A stand-in settlement engine for A's peer b: it answers every request 201
# {} (so A creates b's account and /health shows the engine reachable); the
# threshold is far below what the test moves, so nothing is settled and the
# balances stay the traffic's.
hd_start engine node -e '
const http = require("http");
http.createServer((q, r) => {
	q.resume();
	q.on("end", () => { r.writeHead(201, { "Content-Type": "application/json" }); r.end("{}"); });
}).listen(+process.argv[1], "127.0.0.1");
setTimeout(() => process.exit(0), 280000);' "$PE"
hd_wait_port "$PE" || die "the stand-in settlement engine did not listen on 127.0.0.1:$PE"
hd_start b "$ILPD" -c "$HD_WORK/b.ini"
hd_wait_port "$PBA" || { tail -n 20 "$HD_WORK/b.log"; die "node B did not listen on 127.0.0.1:$PBA"; }
hd_start a "$ILPD" -c "$HD_WORK/a.ini"
hd_wait_port "$PAA" || { tail -n 20 "$HD_WORK/a.log"; die "node A did not listen on 127.0.0.1:$PAA"; }
hd_wait_for "$HD_WORK/a.log" 'event=peer.up peer=b ' || die "A's link to B did not come up within 10 s"

hd_start sink timeout 300 "$ILPCTL" sink --url "ws://127.0.0.1:$PB/" --token bob-secret-token-3 \
	--username bob --hold-ms 20
hd_wait_for "$HD_WORK/sink.log" '^sink address=' || die "ilpctl sink did not connect to B within 10 s"
hd_start send timeout 300 "$ILPCTL" send --url "ws://127.0.0.1:$PA/" --token alice-secret-token-1 \
	--username alice --to test.b.bob --count 100000000 --window 8 --amount 1000
# carol: 20 Prepares every 0.5 s to an address under A's own with no child (F02)
# shellcheck disable=SC2016  # expanded by the inner bash
setsid bash -c 'for i in $(seq 1 240); do
	timeout 10 "$1" send --url "ws://127.0.0.1:$2/" --token carol-secret-token-4 --username carol \
		--to test.a.nobody --count 20 --window 1 --amount 1 >/dev/null 2>&1
	sleep 0.5
done' burst "$ILPCTL" "$PA" </dev/null >/dev/null 2>&1 &
burst_pid=$!

fulfilled=0
for _ in $(seq 1 100); do
	fulfilled=$(hd_metric "$PAA" 'ilpd_packets_total{result="fulfilled"}')
	[ "${fulfilled%.*}" -ge 200 ] 2>/dev/null && break
	sleep 0.1
done
if [ "${fulfilled%.*}" -ge 200 ] 2>/dev/null; then
	ok "traffic flows alice -> A -> B -> bob ($fulfilled fulfilled at A so far)"
else
	tail -n 5 "$HD_WORK/send.log" | sed 's/^/  send: /'
	die "no traffic through A within 10 s (fulfilled=$fulfilled)"
fi

# --- 4. GET / over HTTP ----------------------------------------------------
hdrs=$HD_WORK/get.headers
code=$(curl -s --max-time 5 -D "$hdrs" -H 'Accept-Encoding: gzip' -o "$HD_WORK/page.gz" \
	-w '%{http_code}' "http://127.0.0.1:$PAA/")
if [ "$code" = 200 ] && gzip -dc "$HD_WORK/page.gz" 2>/dev/null | cmp -s - "$page"; then
	ok "GET / is 200 and its gzip body is exactly firmware/dashboard/index.html ($(stat -c %s "$HD_WORK/page.gz") bytes)"
else
	bad "GET /: status $code, body $(gzip -dc "$HD_WORK/page.gz" 2>&1 | head -c 200) (want index.html, gzip-coded)"
fi
hget() { tr -d '\r' <"$hdrs" | sed -n "s/^$1: //Ip" | head -n 1; }
csp=$(hget Content-Security-Policy)
case "$csp" in
"default-src 'none'; script-src 'sha256-"*"connect-src 'self'"*) ok "Content-Security-Policy: $csp" ;;
*) bad "Content-Security-Policy missing or allows more than the page: '$csp'" ;;
esac
for h in "Cache-Control: no-store" "Content-Encoding: gzip" "Content-Type: text/html; charset=utf-8" \
	"X-Content-Type-Options: nosniff"; do
	if [ "$(hget "${h%%:*}")" = "${h#*: }" ]; then ok "GET / header $h"; else bad "GET / header ${h%%:*}: '$(hget "${h%%:*}")', want '${h#*: }'"; fi
done
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: identity' "http://127.0.0.1:$PAA/")
if [ "$code" = 406 ]; then ok "GET / without gzip acceptable: 406"; else bad "GET / with Accept-Encoding: identity: $code, want 406"; fi
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PAA/favicon.ico")
if [ "$code" = 204 ]; then ok "GET /favicon.ico: 204"; else bad "GET /favicon.ico: $code, want 204"; fi
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data x "http://127.0.0.1:$PAA/")
case "$code" in 4??) ok "POST /: $code (read-only)" ;; *) bad "POST /: $code, want a 4xx" ;; esac

# --- 5. live, with traffic ------------------------------------------------
originA=http://127.0.0.1:$PAA/
live_ms=$(( ${DASH_LIVE_S:-15} * 1000 ))
cdp live "$originA" \
	"+document.body.dataset.polls >= 6 && document.querySelectorAll('#peers tr[data-peer]').length === 3 && parseFloat(document.getElementById('rate-fulfilled').textContent) > 0 && document.querySelector('#codes tr[data-code=\"F02\"]') !== null" \
	"$live_ms" --shot "$OUT/dashboard.png"
problems=$(check live "$CLEAN"'
peers = {p["key"]: p for p in st.get("peers", [])}
need(set(peers) == {"alice", "b", "carol"}, "peer rows: %s, want alice, b, carol" % sorted(peers))
for n, p in peers.items():
    if n == "carol": continue   # connects for each burst only
    need(p.get("state") == "up" and p.get("data-connected") == "true", "peer %s not shown up: %s" % (n, p))
need(float(f.get("rate-fulfilled") or 0) > 0, "fulfilled rate %r, want > 0" % f.get("rate-fulfilled"))
need(int(f.get("tot-fulfilled") or 0) > 0, "fulfilled total %r" % f.get("tot-fulfilled"))
codes = {c["key"]: c for c in st.get("codes", [])}
need("F02" in codes and int(codes["F02"]["count"]) > 0, "no F02 in the reject codes: %s" % codes)
routes = st.get("routes", [])
need(any(r["key"] == "test.b" and r.get("next-hop") == "b" and r.get("source") == "static" for r in routes),
     "no static route test.b via b: %s" % [r for r in routes if r["key"] == "test.b"])
need(f.get("node-address") == "test.a" and f.get("node-source") == "config", "node: %s %s" % (f.get("node-address"), f.get("node-source")))
need(f.get("tp-type") == "direct", "transport type %r" % f.get("tp-type"))
need(st.get("polls", 0) >= 6, "polls %r" % st.get("polls"))
ap = [r for r in j["requests"] if r["url"] == origin + "admin/peers"]
need(any(r["status"] == 200 for r in ap), "/admin/peers (no token set on A): %s" % ap)  # the last may be in flight
need("max balance 1000000000000" in peers.get("alice", {}).get("limits", ""), "alice limits %r, want her max_balance" % peers.get("alice", {}).get("limits"))
need("settle below -1000000000000" in peers.get("b", {}).get("limits", ""), "b limits %r, want its settle_threshold" % peers.get("b", {}).get("limits"))
need(peers.get("b", {}).get("settlement", "").startswith("engine reachable"), "b settlement %r, want its engine reachable" % peers.get("b", {}).get("settlement"))
need(peers.get("alice", {}).get("settlement") == "-", "alice settlement %r, want - (no engine)" % peers.get("alice", {}).get("settlement"))
' "$originA")
if [ -z "$problems" ] && [ -s "$OUT/dashboard.png" ]; then
	ok "live dashboard of A with traffic: peers up, $(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["state"]["fields"]; print(f["rate-fulfilled"], "fulfilled/s,", f["tot-fulfilled"], "fulfilled")' "$HD_WORK/live.json"), F02 shown, routes shown; screenshot $OUT/dashboard.png"
else
	bad "live dashboard of A:"
	printf '%s\n' "$problems" | sed 's/^/  /'
fi

# --- 6. traffic stops; the rendered books match /health ---------------------
kill -KILL -- "-$burst_pid" 2>/dev/null
wait "$burst_pid" 2>/dev/null
burst_pid=''
hd_stop send TERM
settled() {  # ADMIN_PORT: /health with nothing in flight, the same twice 0.3 s apart
	local a b
	a=$(hd_health "$1") || return 1
	sleep 0.3
	b=$(hd_health "$1") || return 1
	[ "$a" != "" ] && [ "$(printf '%s' "$a" | sed 's/"uptime":[0-9]*//')" = "$(printf '%s' "$b" | sed 's/"uptime":[0-9]*//')" ] &&
		printf '%s' "$b" | python3 -c '
import json, sys
h = json.load(sys.stdin)
sys.exit(0 if all(p["pendingIn"] == "0" and p["pendingOut"] == "0" and p["inFlight"] == 0 for p in h["peers"]) else 1)'
}
ok_settled=0
for _ in $(seq 1 40); do
	if settled "$PAA" && settled "$PBA"; then ok_settled=1; break; fi
	sleep 0.2
done
[ "$ok_settled" = 1 ] || die "A and B did not settle within ~30 s of stopping the traffic"
ok "traffic stopped; A and B settled (nothing in flight, /health stable)"

# compare NAME ADMIN_PORT: the page's peers vs /health right before and after
compare() {
	local name=$1 port=$2
	hd_health "$port" >"$HD_WORK/$name.before.json"
	shift 2
	cdp "$name" "$@"
	local rc=$?
	hd_health "$port" >"$HD_WORK/$name.after.json"
	return $rc
}
BOOKS='
before = json.load(open(args[1])); after = json.load(open(args[2]))
strip = lambda h: [(p["name"], p["balance"], p["connected"]) for p in h["peers"]]
need(strip(before) == strip(after), "/health changed during the page load: %s vs %s" % (strip(before), strip(after)))
peers = st.get("peers", [])
need([p["key"] for p in peers] == [p["name"] for p in after["peers"]],
     "peer rows %s, /health peers %s" % ([p["key"] for p in peers], [p["name"] for p in after["peers"]]))
for hp in after["peers"]:
    row = next((p for p in peers if p["key"] == hp["name"]), None)
    if row is None: continue
    need(row.get("balance") == hp["balance"], "%s: balance shown %r, /health %r" % (hp["name"], row.get("balance"), hp["balance"]))
    need(row.get("relation") == hp["relation"], "%s: relation %r vs %r" % (hp["name"], row.get("relation"), hp["relation"]))
    need(row.get("data-connected") == ("true" if hp["connected"] else "false"), "%s: connected %r vs %r" % (hp["name"], row.get("data-connected"), hp["connected"]))
    need(row.get("pending") == "%s / %s" % (hp["pendingIn"], hp["pendingOut"]), "%s: pending %r" % (hp["name"], row.get("pending")))
need(f.get("node-address") == after["address"], "address %r vs %r" % (f.get("node-address"), after["address"]))
need(f.get("node-version") == after["version"], "version %r vs %r" % (f.get("node-version"), after["version"]))
need(f.get("node-status") == after["status"], "status %r vs %r" % (f.get("node-status"), after["status"]))
'
ROWS2="+document.body.dataset.polls >= 2 && document.querySelectorAll('#peers tr[data-peer]').length >= 2"
compare books-a "$PAA" "$originA" "$ROWS2" 0
problems=$(check books-a "$CLEAN$BOOKS" "$originA" "$HD_WORK/books-a.before.json" "$HD_WORK/books-a.after.json")
if [ -z "$problems" ]; then
	ok "A's dashboard shows /health's peers and balances exactly: $(python3 -c 'import json,sys; print(", ".join("%s=%s" % (p["name"], p["balance"]) for p in json.load(open(sys.argv[1]))["peers"]))' "$HD_WORK/books-a.after.json")"
else
	bad "A's dashboard against /health:"
	printf '%s\n' "$problems" | sed 's/^/  /'
fi

originB=http://127.0.0.1:$PBA/
compare books-b-token "$PBA" "${originB}#token=$TOKEN" "$ROWS2 && document.getElementById('peers-note').textContent === ''" 0 \
	--shot "$OUT/dashboard-token.png"
problems=$(check books-b-token "$CLEAN$BOOKS"'
api = [r for r in j["requests"] if r["url"] != origin and not r["url"].endswith("/favicon.ico")]
need(api, "no requests")
noauth = [r["url"] for r in api if r["authorization"] != "Bearer " + args[3]]
need(not noauth, "requests without the bearer token: %s" % noauth)
ap = [r for r in api if r["url"] == origin + "admin/peers"]
need(ap and all(r["status"] == 200 for r in ap), "/admin/peers with the token: %s" % ap)
' "$originB" "$HD_WORK/books-b-token.before.json" "$HD_WORK/books-b-token.after.json" "$TOKEN")
if [ -z "$problems" ]; then
	ok "B's dashboard with /#token=: every request carries the bearer token, /admin/peers answers 200, peers and balances match /health"
else
	bad "B's dashboard with /#token=:"
	printf '%s\n' "$problems" | sed 's/^/  /'
fi

cdp b-notoken "$originB" "$ROWS2 && document.body.dataset.polls >= 5 && document.getElementById('peers-note').textContent !== ''" 0
problems=$(check b-notoken "$CLEAN"'
api = [r for r in j["requests"] if r["url"] != origin and not r["url"].endswith("/favicon.ico")]
need(all(r["authorization"] is None for r in api), "a request carried a token: %s" % api)
ap = [r for r in api if r["url"] == origin + "admin/peers"]
need(len(ap) == 1 and ap[0]["status"] == 401, "/admin/peers without the token: %s, want one request, 401 (not asked again)" % ap)
need("token" in (f.get("peers-note") or ""), "no hint about the token: %r" % f.get("peers-note"))
need(len(st.get("peers", [])) == 2, "peers not shown without the token (/health is open)")
' "$originB")
if [ -z "$problems" ]; then
	ok "B's dashboard without the token: /health shown, /admin/peers 401 once (not asked again) and the page says a token is needed"
else
	bad "B's dashboard without the token:"
	printf '%s\n' "$problems" | sed 's/^/  /'
fi

hd_stop sink TERM
hd_stop engine TERM
hd_stop a TERM
hd_stop b TERM
finish
