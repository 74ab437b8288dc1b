# Helpers shared by tests/onion/run.sh and bench/onion.sh (sourced, bash).
# They read ilpd's /health on 127.0.0.1 with bash's /dev/tcp (no jq, no
# curl needed) and poll with a bound. Nothing here starts a process.

# admin port -> the /health JSON (one line), or nothing within 5 s
onion_health() {
	timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 || exit 1
		printf "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" >&3
		sed -n "/^{/p" <&3' _ "$1" 2>/dev/null
}
# stdin JSON, key -> its string value / its bare value (true, false, null, a number)
onion_jstr() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
onion_jraw() { grep -o "\"$1\":[a-z0-9]*" | head -1 | cut -d: -f2; }
# admin port, peer name -> status 0 if /health shows the peer connected (or not)
onion_peer_up() { onion_health "$1" | grep -q "\"name\":\"$2\",\"relation\":\"[a-z]*\",\"connected\":true"; }
onion_peer_down() { onion_health "$1" | grep -q "\"name\":\"$2\",\"relation\":\"[a-z]*\",\"connected\":false"; }
onion_published() { onion_health "$1" | grep -q '"onionService":"published"'; }
onion_proxy_is() { [ "$(onion_health "$1" | onion_jraw proxyOk)" = "$2" ]; }
onion_url() { onion_health "$1" | onion_jstr externalUrl; }
# ws://<56 chars>.onion:PORT -> the 56-character id, or nothing
onion_id_of() { echo "$1" | sed -n 's|^ws://\([a-z2-7]\{56\}\)\.onion:[0-9]*/\{0,1\}$|\1|p'; }
# admin port, peer name -> times the peer's link came up (/metrics), or nothing
onion_connects() {
	curl -s --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null |
		sed -n "s/^ilpd_peer_connects_total{peer=\"$2\"} \([0-9]*\)\$/\1/p"
}
# the wall clock in ms (bash's EPOCHREALTIME), for durations of seconds
onion_now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
# seconds command...: run the command every 0.5 s until it succeeds; 1 on timeout
onion_until() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt "$end" ]; do "$@" && return 0; sleep 0.5; done
	return 1
}
# pid -> its exit status; SIGTERM, then SIGKILL after 20 s
onion_stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && { kill -KILL "$p"; echo "onion: pid $p needed SIGKILL" >&2; }
	wait "$p"
}
# dir -> every live process whose command line names dir (a private mktemp
# directory, so only processes this run started), excluding the caller
onion_pids_under() {
	local f p
	for f in /proc/[0-9]*/cmdline; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" != $$ ] && [ "$p" != "$BASHPID" ] || continue
		{ tr '\0' ' ' < "$f"; } 2>/dev/null | grep -qF -- "$1" && echo "$p"
	done
}
