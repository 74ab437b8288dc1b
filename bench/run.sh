#!/bin/sh
# Benchmark: ilpd against the reference ilp-connector 23.0.2, alternately
# on this machine, with the same load tool (ilpctl send/sink) and the same
# packets. A script to run by hand, not a test (see docs/benchmark.md).
#
#   bench/run.sh ILPD_PATH ILPCTL_PATH [--rounds N] [--quick] [--smoke] [--tls] [--no-js] [--json FILE]
#
# Default: 3 rounds, about 1.5 minutes. --quick: 1 round of short runs
# (~10 s). --smoke: tiny runs that only check the harness (a few seconds;
# tests/hardening/t_bench_rounds.sh). --tls: adds ilpd over wss:// (the TLS backend ilpd
# and ilpctl were built with) and TLS handshake times; --no-js: leaves
# ilp-connector out. Prints one line per round and connector, then a
# table of medians, the ratios and the targets. Uses the npm
# packages pinned in tests/interop/package-lock.json (npm ci when
# tests/interop/node_modules is missing or stale). Build ilpd and ilpctl
# optimised (RelWithDebInfo or Release), not with sanitizers.
# ilpd logs at info into one directory per round and connector; when a run
# fails, bench prints the tail of those logs and ilpd's /health, and keeps
# the directory ("kept DIR").
set -eu

case $0 in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd)
interop=$here/../tests/interop

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

[ $# -ge 2 ] || die "usage: $0 ILPD_PATH ILPCTL_PATH [--rounds N] [--quick] [--smoke] [--tls] [--no-js] [--json FILE]"
ilpd=$1
ilpctl=$2
shift 2
[ -x "$ilpd" ] || die "ilpd not found or not executable: $ilpd"
[ -x "$ilpctl" ] || die "ilpctl not found or not executable: $ilpctl"
"$ilpctl" send --help >/dev/null 2>&1 || die "$ilpctl has no 'send' command (built without net/?)"
[ -r /proc/self/stat ] || die "/proc is needed for CPU and memory figures"
. "$here/../tests/lib/npm-ci.sh"
ilpd_npm_ci "$interop" bench/run.sh 18

exec node "$here/bench.js" --ilpd "$ilpd" --ilpctl "$ilpctl" "$@"
