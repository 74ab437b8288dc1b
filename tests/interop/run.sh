#!/bin/sh
# Interop tests of ilpd against the reference JavaScript Interledger stack,
# pinned in package-lock.json: ilp-plugin-btp 1.5.0, ilp-protocol-stream
# 2.7.2-alpha.3 and ilp-connector 23.0.2 (see interop.js and t_*.js).
#
#   tests/interop/run.sh ILPD_PATH [SUITE...]     suites: btp stream connector tls
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

command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20 (the reference stack runs on it)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (it comes with Node.js)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' ||
	die "node $(node --version) is too old: need Node.js >= 18"

stamp=$here/node_modules/.ilpd-lock-stamp
want=$(node -e 'process.stdout.write(require("crypto").createHash("sha256")
	.update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$here/package-lock.json")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	echo "tests/interop/run.sh: installing the reference stack (npm ci)"
	(cd "$here" && npm ci --no-audit --no-fund) || die "npm ci failed"
	printf '%s\n' "$want" >"$stamp"
fi

exec node "$here/interop.js" "$ilpd" "$@"
