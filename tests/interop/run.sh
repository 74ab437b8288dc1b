#!/bin/sh
# Interop tests of ilpd against the reference JavaScript Interledger stack,
# pinned in package-lock.json: ilp-plugin-btp 1.5.0, ilp-protocol-stream
# 2.7.2-alpha.3 and ilp-connector 23.0.2 (see interop.js and t_*.js).
#
#   tests/interop/run.sh ILPD_PATH [SUITE...]     suites: btp stream connector ownspace tls ccp
# (tls: ilpd's TLS against node's, see t_tls.js; needs openssl and an ilpd
# built with TLS, -DILPD_TLS=bearssl or mbedtls)
#
# Installs tests/interop/node_modules with `npm ci` when it is missing or
# older than package-lock.json. Prints "N passed, N failed" last and exits
# non-zero on any failure. Everything runs on 127.0.0.1 with free ports.
set -eu

case $0 in
*/*) here=${0%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd)

die() {
	echo "tests/interop/run.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

ilpd=${1:-${ILPD:-}}
[ -n "$ilpd" ] || die "usage: $0 ILPD_PATH [SUITE...] (or set ILPD)"
[ $# -gt 0 ] && shift
case $ilpd in
/*) ;;
*) ilpd=$(pwd)/$ilpd ;;
esac
[ -x "$ilpd" ] || die "ilpd not found or not executable: $ilpd"

. "$here/../lib/npm-ci.sh"
ilpd_npm_ci "$here" tests/interop/run.sh 18

exec node "$here/interop.js" "$ilpd" "$@"
