#!/bin/sh
# run-fuzz.sh - runs every ilpd libFuzzer target for a bounded time.
#
#   tests/fuzz/run-fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]   (default 60)
#
# BUILD_DIR is a tree configured with -DILPD_FUZZ=ON (preset `fuzz`). Each
# target starts from a temporary copy of its seed corpus in
# tests/fuzz/corpus/<name>/, so the committed corpus never grows. Crash,
# timeout and OOM inputs are kept in BUILD_DIR/fuzz-artifacts/, full logs
# in BUILD_DIR/fuzz-logs/. Prints one summary line per target and exits
# non-zero if any target found something or is missing.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. -jobs is not used).
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILD_DIR [SECONDS_PER_TARGET]" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "run-fuzz: no build dir $1" >&2; exit 2; }
secs=${2:-60}
case $secs in
''|*[!0-9]*) echo "run-fuzz: SECONDS_PER_TARGET must be a number" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

targets="fuzz_oer fuzz_ilp_packet fuzz_btp fuzz_ildcp fuzz_switch fuzz_switch_small"
if [ -f "$src/ilp/src/journal.c" ]; then
	targets="$targets fuzz_journal"
fi
if [ -f "$src/ilp/src/ccp.c" ]; then
	targets="$targets fuzz_ccp"
fi
if [ -f "$src/net/src/json.c" ] && [ -f "$here/fuzz_json.c" ]; then
	targets="$targets fuzz_json"
fi
if [ -f "$src/net/src/handle_packet.c" ]; then
	targets="$targets fuzz_handle_packet"
fi
if [ -f "$src/firmware/admin_ini.c" ]; then
	targets="$targets fuzz_admin_ini"
fi
if [ -f "$src/net/src/ws.c" ] && [ -f "$src/net/src/http.c" ]; then
	targets="$targets fuzz_ws fuzz_http"
fi
if [ -f "$src/net/src/http_req.c" ]; then
	targets="$targets fuzz_http_req"
fi
if [ -f "$src/net/src/socks5.c" ]; then
	targets="$targets fuzz_socks5"
fi
if [ -f "$src/net/src/torctl.c" ]; then
	targets="$targets fuzz_torctl"
fi
if [ -f "$src/net/src/httpc.c" ]; then
	targets="$targets fuzz_httpc"
fi
if [ -f "$src/net/src/settle_req.c" ]; then
	targets="$targets fuzz_settle_req"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
logs="$build/fuzz-logs"
arts="$build/fuzz-artifacts"
mkdir -p "$logs" "$arts"

failed=0
summary=""

# stat NAME LOG: value of libFuzzer's final "stat::NAME:" line, or "?".
stat() {
	v=$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)
	echo "${v:-?}"
}

for t in $targets; do
	bin="$build/tests/fuzz/$t"
	name=${t#fuzz_}
	name=${name%_small}   # fuzz_switch_small shares the switch corpus
	log="$logs/$t.log"
	if [ ! -x "$bin" ]; then
		line="$t: MISSING binary $bin (not built? see cmake output)"
		echo "run-fuzz: $line" >&2
		summary="$summary$line
"
		failed=1
		continue
	fi
	corpus="$work/$t"
	mkdir -p "$corpus" "$arts/$t"
	if [ -d "$here/corpus/$name" ]; then
		cp "$here/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	fi
	seeds=$(ls "$corpus" | wc -l)
	before=$(ls "$arts/$t" | wc -l)
	echo "run-fuzz: $t for ${secs}s ($seeds seeds)"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$arts/$t/" \
		${FUZZ_FLAGS:-} "$corpus" > "$log" 2>&1
	rc=$?
	after=$(ls "$arts/$t" | wc -l)
	runs=$(stat number_of_executed_units "$log")
	eps=$(stat average_exec_per_sec "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	units=$(ls "$corpus" | wc -l)
	if [ $rc -eq 0 ] && [ "$after" -eq "$before" ]; then
		line="$t: OK runs=$runs exec/s=$eps cov=${cov:-?} corpus=$seeds->$units"
	else
		crash=$(ls -t "$arts/$t"/* 2>/dev/null | head -n 1)
		why=$(grep -m 1 -E '^SUMMARY: |ERROR: libFuzzer|==ERROR' "$log" || true)
		# first stack frame in our own sources: where the property broke
		at=$(grep -m 1 -E '^ *#[0-9]+ .* in [^ ]+ /[^ ]+\.c:[0-9]+' "$log" |
			sed 's/.* in \([^ ]*\) \([^ ]*\)$/\1 \2/' || true)
		line="$t: FAIL rc=$rc crash=${crash:-none} at=${at:-?} ${why:-see $log}"
		echo "run-fuzz: $line" >&2
		echo "run-fuzz: log $log; reproduce with: $bin ${crash:-}" >&2
		failed=1
	fi
	summary="$summary$line
"
done

echo "---- fuzz summary (${secs}s per target) ----"
printf '%s' "$summary"
exit $failed
