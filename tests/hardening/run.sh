#!/usr/bin/env bash
# Hardening tests: ilpd end to end against hostile or failing neighbours
# (connection floods, lost Fulfills on wss://, colluding accounts, one peer
# taking the pending table, ...). Each tests/hardening/t_*.sh is a script
# that prints PASS:/FAIL: lines and "N passed, N failed"; this runs them
# all (or the ones named) and sums up.
#
# Usage: tests/hardening/run.sh BUILD_DIR [t_NAME ...]   (e.g. build/host)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: tests/hardening/run.sh BUILD_DIR [t_NAME ...]}
shift
build=$(cd "$build" && pwd)
export ILPD=$build/firmware/ilpd ILPCTL=$build/tools/ilpctl/ilpctl BUILD_DIR=$build
for b in "$ILPD" "$ILPCTL"; do
	[ -x "$b" ] || { echo "hardening: $b is missing (build first)"; echo "0 passed, 1 failed"; exit 1; }
done
command -v curl >/dev/null || { echo "hardening: curl is missing (toolchain/install-deps.sh installs it)"; echo "0 passed, 1 failed"; exit 1; }
if [ $# -gt 0 ]; then
	tests=()
	for t in "$@"; do tests+=("$here/${t%.sh}.sh"); done
else
	tests=("$here"/t_*.sh)
fi
tp=0 tf=0
for t in "${tests[@]}"; do
	echo "---- $(basename "$t")"
	if [ ! -f "$t" ]; then echo "FAIL: $t is missing"; tf=$((tf + 1)); continue; fi
	out=$(timeout 600 bash "$t" 2>&1); rc=$?
	echo "$out"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | awk '{print $1}') f=$(echo "$line" | awk '{print $3}')
	if [ -z "$line" ]; then
		echo "FAIL: $(basename "$t") printed no summary (rc $rc)"
		f=1 p=0
	elif [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "FAIL: $(basename "$t") exited $rc"
		f=1
	fi
	tp=$((tp + ${p:-0})) tf=$((tf + ${f:-0}))
done
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
