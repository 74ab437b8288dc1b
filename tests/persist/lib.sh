# Shared by the durable-ledger tests (tests/persist/*.sh): on top of
# tests/hardening/lib.sh (ports, bounded waits, PASS/FAIL, processes killed
# by PID on exit) it adds the ledger's views:
#   ps_dump CONF OUT    ilpd --dump-state -c CONF > OUT (ilpd stopped; 15 s);
#                       prints the exit code
#   ps_jbal FILE PEER   balance of PEER in a --dump-state JSON file ("" if absent)
#   ps_jful FILE PEER   its fulfilled count
#   ps_hbal JSON PEER   balance of PEER in a /health body
#   ps_hfield JSON PEER FIELD   any string/number field of PEER in /health
#   ps_persist JSON KEY a field of /health's "persistence" object
#   ps_sanitizer FILE... prints the first sanitizer report line, if any
#   ps_wait_exit NAME S until HD_PID[NAME] exited (S seconds), then reaps it;
#                       1 if it is still running
# Needs ILPD, ILPCTL and python3 (JSON parsing only). KEEP=1 keeps the work dir.
# shellcheck source=../hardening/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../hardening/lib.sh"
command -v python3 >/dev/null || die "python3 is missing (the tests parse JSON with it)"
# KEEP=1 keeps the work directory (configs, logs, state file) for a look
ps_cleanup() {
	local p
	if [ "${KEEP:-0}" = 1 ]; then
		for p in "${HD_PID[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
		echo "persist: kept $HD_WORK"
	else
		hd_cleanup
	fi
}
trap ps_cleanup EXIT

ps_dump() {
	local rc
	timeout 15 "$ILPD" --dump-state -c "$1" > "$2" 2> "$2.err"
	rc=$?
	echo "$rc"
}

ps_py() {  # EXPR FILE...: evaluates EXPR with j = the parsed first file
	python3 - "$@" <<'PY' 2>/dev/null
import json, sys
expr, path = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
try:
	with open(path) as f:
		txt = f.read()
	j = json.loads(txt[txt.index('{'):])
	v = eval(expr, {"j": j, "a": args})
except Exception:
	v = ""
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
PY
}

ps_jbal() { ps_py 'j["peers"][a[0]]["balance"]' "$1" "$2"; }
ps_jful() { ps_py 'j["peers"][a[0]]["fulfilled"]' "$1" "$2"; }

ps_tmpjson() {  # JSON: into a temp file, prints its name
	local f
	f=$(mktemp "$HD_WORK/json.XXXXXX")
	printf '%s\n' "$1" > "$f"
	echo "$f"
}
ps_hfield() {
	local f v
	f=$(ps_tmpjson "$1")
	v=$(ps_py '[p for p in j["peers"] if p["name"] == a[0]][0][a[1]]' "$f" "$2" "$3")
	rm -f "$f"
	echo "$v"
}
ps_hbal() { ps_hfield "$1" "$2" balance; }
ps_persist() {
	local f v
	f=$(ps_tmpjson "$1")
	v=$(ps_py 'j["persistence"][a[0]]' "$f" "$2")
	rm -f "$f"
	echo "$v"
}

ps_wait_exit() {
	local p=${HD_PID[$1]:-} i
	[ -n "$p" ] || return 0
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$p" 2>/dev/null && return 1
	wait "$p" 2>/dev/null
	unset "HD_PID[$1]"
	return 0
}

# ps_sanitizer FILE...: 0 (and the first report line printed) if any file
# holds an ASan/UBSan/LSan report
ps_sanitizer() {
	local line
	line=$(grep -h -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$@" 2>/dev/null | head -n 1)
	[ -n "$line" ] && echo "$line"
}

# ps_field FILE NAME: NAME=value from the last line of FILE holding it
ps_field() {
	grep -o "\(^\| \)$2=[^ ]*" "$1" 2>/dev/null | tail -n 1 | sed "s/^ \{0,1\}$2=//"
}
