#!/bin/sh
# Settlement through RFC 38 settlement engines (issue 15), end to end.
#
#   tests/settlement/run.sh ILPD_PATH ILPCTL_PATH
#
# Two ilpd nodes peered over BTP, each beside a settlement engine built on
# ilp-settlement-core (pinned in package-lock.json; engine.js), settling on
# a toy bank the test runs (bank.js); A reaches its engine over loopback
# TCP, B over a unix socket (settlement_engine = unix:PATH) in the work
# directory. settle.js drives it: accounts and the
# engines' messages through peer.settle, settling past settle_threshold
# back to settle_to, the bank's books, the engine down / answering 5xx or
# garbage, kill -9 of ilpd with a settlement open, duplicate and unknown
# credits, bad input on the settlement listener, and no heap use after
# start-up (every ilpd runs under tests/alloc's interposer; ILPD must be a
# plain build, not a sanitizer one).
#
# Installs tests/settlement/node_modules with `npm ci` when missing or
# installed from another lock file (tests/lib/npm-ci.sh). Needs cc (the
# interposer), node >= 18 and npm. Prints "N passed, N failed" last and
# exits non-zero on any failure. Everything on 127.0.0.1, ports below 32768.
# KEEP=1 keeps the work directory (configs, logs, bank and engine files).
set -eu

case $0 in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd)

die() {
	echo "tests/settlement/run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ $# -ge 2 ] || die "usage: $0 ILPD_PATH ILPCTL_PATH"
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}
ilpd=$(abspath "$1")
ilpctl=$(abspath "$2")
[ -x "$ilpd" ] || die "ilpd not found or not executable: $ilpd"
[ -x "$ilpctl" ] || die "ilpctl not found or not executable: $ilpctl"
if grep -q -a -e __asan_init -e __tsan_init -e __msan_init "$ilpd"; then
	die "$ilpd is a sanitizer build (it replaces malloc itself): use a plain build (preset host)"
fi

# shellcheck source=../lib/npm-ci.sh
. "$here/../lib/npm-ci.sh"
ilpd_npm_ci "$here" tests/settlement/run.sh 18

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-settle-so.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$tmp/alloc_count.so" \
	"$here/../alloc/alloc_count.c" -ldl || die "cannot build tests/alloc/alloc_count.c"

node "$here/settle.js" "$ilpd" "$ilpctl" "$tmp/alloc_count.so"
