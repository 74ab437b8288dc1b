#!/usr/bin/env bash
# CCP route broadcasting (issue 12), ilpd <-> ilpd <-> ilpd with no static
# routes anywhere: A (test.a) peers B (test.b), B peers C (test.c).
#  - A learns test.b (path [b]) and test.c across two hops (path [b, c]),
#    C learns test.a likewise; GET /routes shows them as "learned"
#  - A's child alice pays C's child carol (test.c.carol) and C's child dave
#    pays A's child bob (test.a.bob), every packet fulfilled
#  - C stops: B drops C's routes when the link drops and withdraws them;
#    A stops using test.c within the broadcast interval (1 s here): F02
#  - ilpctl routes URL prints the table
. "$(dirname "$0")/lib.sh"
PA=$(hd_port 0) PAA=$(hd_port 1) PB=$(hd_port 2) PBA=$(hd_port 3) PC=$(hd_port 4) PCA=$(hd_port 5)
node_ini() {  # NAME ADDRESS BTP ADMIN -> header
	cat > "$HD_WORK/$1.ini" <<INI
[node]
address = $2
route_broadcast_interval_ms = 1000
route_expiry_ms = 3000
[btp]
listen = 127.0.0.1:$3
reconnect_min_ms = 100
reconnect_max_ms = 500
[admin]
listen = 127.0.0.1:$4
[ledger]
durability = off
INI
}
node_ini a test.a "$PA" "$PAA"
cat >> "$HD_WORK/a.ini" <<INI
[peer b]
relation = peer
url = ws://127.0.0.1:$PB/
token = ab-secret-token-1
[peer alice]
relation = child
token = alice-secret-token-2
[peer bob]
relation = child
token = bob-secret-token-3
INI
node_ini b test.b "$PB" "$PBA"
cat >> "$HD_WORK/b.ini" <<INI
[peer a]
relation = peer
token = ab-secret-token-1
[peer c]
relation = peer
token = bc-secret-token-4
INI
node_ini c test.c "$PC" "$PCA"
cat >> "$HD_WORK/c.ini" <<INI
[peer b]
relation = peer
url = ws://127.0.0.1:$PB/
token = bc-secret-token-4
[peer carol]
relation = child
token = carol-secret-token-5
[peer dave]
relation = child
token = dave-secret-token-6
INI
routes() { curl -s --max-time 5 "http://127.0.0.1:$1/routes"; }
has_route() {  # ADMIN PREFIX NEXT_HOP SOURCE
	routes "$1" | python3 -c 'import json,sys
t=json.load(sys.stdin)
sys.exit(0 if any(r["prefix"]==sys.argv[1] and r["next_hop"]==sys.argv[2] and r["source"]==sys.argv[3] for r in t["routes"]) else 1)' "$2" "$3" "$4"
}
wait_route() {  # ADMIN PREFIX NEXT_HOP SOURCE [present=1|0] (10 s)
	local _
	for _ in $(seq 1 100); do
		if has_route "$1" "$2" "$3" "$4"; then [ "${5:-1}" = 1 ] && return 0
		else [ "${5:-1}" = 0 ] && return 0; fi
		sleep 0.1
	done
	return 1
}
send() {  # url token to -> ilpctl's summary line
	timeout 30 "$ILPCTL" send --url "$1" --token "$2" --to "$3" --count 5 --window 1 \
		--amount 1 --expiry-ms 30000 --timeout-ms 20000 2>&1 | tail -1
}

hd_start b "$ILPD" -c "$HD_WORK/b.ini"
hd_wait_port "$PBA" || die "B did not start: $(tail -3 "$HD_WORK/b.log")"
hd_start a "$ILPD" -c "$HD_WORK/a.ini"
hd_start c "$ILPD" -c "$HD_WORK/c.ini"
hd_wait_port "$PAA" || die "A did not start: $(tail -3 "$HD_WORK/a.log")"
hd_wait_port "$PCA" || die "C did not start: $(tail -3 "$HD_WORK/c.log")"

if wait_route "$PAA" test.b b learned; then ok "A learned test.b from its peer B"
else bad "A's routes: $(routes "$PAA")"; fi
if wait_route "$PAA" test.c b learned; then ok "A learned test.c across two hops (via B)"
else bad "A's routes: $(routes "$PAA")"; fi
if wait_route "$PCA" test.a b learned; then ok "C learned test.a across two hops (via B)"
else bad "C's routes: $(routes "$PCA")"; fi
plen=$(routes "$PAA" | python3 -c 'import json,sys
print([r.get("path_length") for r in json.load(sys.stdin)["routes"] if r["prefix"]=="test.c"][0])')
if [ "$plen" = 2 ]; then ok "test.c at A has path length 2"; else bad "test.c path length $plen"; fi
if has_route "$PAA" test.a "(self)" local && has_route "$PAA" test.a.alice alice local; then
	ok "/routes shows the local routes (own address, children)"
else bad "A's local routes: $(routes "$PAA")"; fi
out=$("$ILPCTL" routes "http://127.0.0.1:$PAA/" 2>&1)
if echo "$out" | grep -E '^test\.c +b +learned' >/dev/null; then ok "ilpctl routes prints the table"
else bad "ilpctl routes: $out"; fi

hd_start carol "$ILPCTL" sink --url "ws://127.0.0.1:$PC/" --token carol-secret-token-5 --timeout-ms 60000
hd_start bob "$ILPCTL" sink --url "ws://127.0.0.1:$PA/" --token bob-secret-token-3 --timeout-ms 60000
hd_wait_for "$HD_WORK/c.log" 'peer.up peer=carol' || bad "carol did not come up"
hd_wait_for "$HD_WORK/a.log" 'peer.up peer=bob' || bad "bob did not come up"
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.c.carol.x)
if echo "$out" | grep -q "fulfilled=5 "; then ok "alice (A) -> test.c.carol: all fulfilled over learned routes ($out)"
else bad "alice -> test.c.carol: $out"; fi
out=$(send "ws://127.0.0.1:$PC/" dave-secret-token-6 test.a.bob.x)
if echo "$out" | grep -q "fulfilled=5 "; then ok "dave (C) -> test.a.bob: all fulfilled over learned routes ($out)"
else bad "dave -> test.a.bob: $out"; fi

if [ "$(hd_metric "$PAA" ilpd_routes_learned)" = 2 ] && [ "$(hd_metric "$PAA" ilpd_routes_learned_capacity)" -gt 0 ] &&
   [ "$(hd_metric "$PAA" ilpd_ccp_updates_received_total)" -gt 0 ] && [ "$(hd_metric "$PBA" ilpd_ccp_updates_sent_total)" -gt 0 ]; then
	ok "/metrics: ilpd_routes_learned 2 at A, updates counted"
else bad "/metrics: $(curl -s "http://127.0.0.1:$PAA/metrics" | grep -E '^ilpd_(routes|ccp)')"; fi

# C goes away: B drops its routes at once and withdraws them from A.
t0=$(date +%s%N)
hd_stop c KILL
if wait_route "$PAA" test.c b learned 0; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$ms" -le 5000 ]; then ok "C's link dropped: A no longer has test.c after ${ms} ms (bound 5 s)"
	else bad "withdrawal took ${ms} ms"; fi
else bad "A still routes test.c: $(routes "$PAA")"; fi
out=$(send "ws://127.0.0.1:$PA/" alice-secret-token-2 test.c.carol.x)
if echo "$out" | grep -q "F02=5"; then ok "test.c.carol after the withdrawal: F02 at A ($out)"
else bad "after the withdrawal: $out"; fi
if has_route "$PAA" test.b b learned; then ok "A keeps test.b"
else bad "A lost test.b: $(routes "$PAA")"; fi
finish
