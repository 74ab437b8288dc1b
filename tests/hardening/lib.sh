# Shared by the hardening tests (tests/hardening/*.sh): ports, waits, the
# admin endpoints, process bookkeeping, PASS/FAIL. Source it from a test
# script after setting ILPD and ILPCTL (run.sh exports them).
#   hd_port N         a free port (base from the PID, probed)
#   hd_wait_port P    until 127.0.0.1:P accepts (10 s)
#   hd_wait_for F RE  until file F matches RE (10 s)
#   hd_health P       GET /health -> the JSON body
#   hd_metric P NAME  a value from GET /metrics (0 if absent)
#   hd_start NAME ARGS...  start ARGS in the background, log in $HD_WORK/NAME.log,
#                     its PID in HD_PID[NAME]; hd_cleanup kills only these
# Every wait is bounded; nothing here sends to any address but 127.0.0.1.
set -uo pipefail
passed=0 failed=0
# shellcheck source=../lib/report.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/report.sh"
HD_WORK=$(mktemp -d /tmp/ilpd-hard.XXXXXX)
declare -A HD_PID=()
hd_cleanup() {
	local p
	for p in "${HD_PID[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${HD_PID[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$HD_WORK"
}
trap hd_cleanup EXIT
# Ports below the kernel's ephemeral range (32768 and up): a listener there
# could collide with the local port of any outgoing connection on the
# machine (floods make tens of thousands of them).
hd_port_base=$(( ($$ % 550) * 20 ))
hd_port() {
	local off=$((hd_port_base + $1)) p
	p=$((21000 + off % 11700))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do
		off=$((off + 1000))
		p=$((21000 + off % 11700))
	done
	echo $p
}
hd_wait_port() {
	local _
	for _ in $(seq 1 200); do
		(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
hd_wait_for() {
	local _
	for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
hd_health() {
	curl -s --max-time 5 "http://127.0.0.1:$1/health"
}
hd_metric() {
	local v
	v=$(curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | grep -F "$2 " | grep -v '^#' | head -1 | awk '{print $2}')
	echo "${v:-0}"
}
hd_start() {
	local name=$1
	shift
	"$@" > "$HD_WORK/$name.log" 2>&1 &
	HD_PID[$name]=$!
}
hd_stop() {  # NAME [SIGNAL]: signal one started process and wait for it (10 s)
	local p=${HD_PID[$1]:-} _
	[ -n "$p" ] || return 0
	kill -"${2:-TERM}" "$p" 2>/dev/null || true
	for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	unset "HD_PID[$1]"
}
