#!/bin/sh
# Differential test of ilpd's codecs against the pinned reference JavaScript
# codecs (see docs/deliberate-differences.md).
#
#   tests/diff/run.sh ILPCTL_PATH
#
# Installs tests/diff/node_modules with `npm ci` when it is missing or older
# than package-lock.json, then runs diff.js. DIFF_SEED, DIFF_VALID,
# DIFF_MUTATED, DIFF_JOBS and DIFF_SHOW are passed through. Prints
# "N passed, N failed" last and exits non-zero on any failure.
set -eu

case $0 in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd)

die() {
	echo "tests/diff/run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

ilpctl=${1:-${ILPCTL:-}}
[ -n "$ilpctl" ] || die "usage: $0 ILPCTL_PATH (or set ILPCTL)"
case $ilpctl in
/*) ;;
*) ilpctl=$(pwd)/$ilpctl ;;
esac
[ -x "$ilpctl" ] || die "ilpctl not found or not executable: $ilpctl"

. "$here/../lib/npm-ci.sh"
ilpd_npm_ci "$here" tests/diff/run.sh 18
node -e 'process.exit(typeof require("buffer").isUtf8 === "function" ? 0 : 1)' ||
	die "node $(node --version) is too old: need Node.js >= 18.14 (buffer.isUtf8)"

exec node "$here/diff.js" "$ilpctl"
