#!/usr/bin/env bash
# The chaos soak: three ilpd nodes, ilpctl and JavaScript (ilp-plugin-btp,
# raw BTP) peers under steady moderate traffic, while a seeded driver kills
# and restarts peers, ilpd B, a SOCKS5 proxy and a relay, and sends SIGHUP
# with good and broken configurations. What it checks, and the money rule
# for the books: the header of tests/soak/soak.js and docs/testing.md.
#
#   tests/soak/run.sh BUILD_DIR [--minutes N] [--seed S] [--keep]
#
# BUILD_DIR holds firmware/ilpd and tools/ilpctl/ilpctl (build/host, or
# build/host-asan: then any sanitizer report fails the run). Default 2
# minutes; the seed (random unless given) is printed first, so a failure can
# be replayed with --seed. --keep keeps the work dir (logs of every process).
# Everything runs on 127.0.0.1 with free ports; every wait is bounded and the
# whole run stops by itself (at most the soak time plus about 2 minutes).
# Last line: "N passed, N failed" (1 check: the soak).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() {
	echo "tests/soak/run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}
[ $# -ge 1 ] || die "usage: $0 BUILD_DIR [--minutes N] [--seed S] [--keep]"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build dir $1"
shift
minutes=2 seed=$(( (RANDOM << 15 | RANDOM) % 1000000000 )) keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) minutes=${2:-}; shift ;;
	--seed) seed=${2:-}; shift ;;
	--keep) keep=1 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
case "$minutes" in '' | *[!0-9.]* | .) die "--minutes takes a number" ;; esac
case "$seed" in '' | *[!0-9]*) die "--seed takes a whole number" ;; esac
ilpd=$build/firmware/ilpd
ilpctl=$build/tools/ilpctl/ilpctl
[ -x "$ilpd" ] || die "$ilpd not built"
[ -x "$ilpctl" ] || die "$ilpctl not built"
echo "soak: seed $seed, $minutes min, $ilpd"

. "$here/../lib/npm-ci.sh"
ilpd_npm_ci "$here/../interop" tests/soak/run.sh 18

work=$(mktemp -d /tmp/ilpd-soak.XXXXXX)
cleanup() { if [ "$keep" = 1 ] || [ "${rc:-1}" != 0 ]; then echo "soak: logs in $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
"$here/../tls/make-certs.sh" "$work/pki" > /dev/null || die "tests/tls/make-certs.sh failed"
# Bounded: the driver stops by itself; this is the backstop (soak + 5 min).
limit=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 300 }')
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	timeout -k 10 "$limit" node "$here/soak.js" "$ilpd" "$ilpctl" "$work/pki" "$work" "$minutes" "$seed"
rc=$?
if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else
	[ $rc -eq 124 ] && echo "soak: did not stop by itself within ${limit}s (killed)"
	echo "0 passed, 1 failed"
fi
exit $rc
