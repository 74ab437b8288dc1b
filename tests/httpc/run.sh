#!/bin/sh
# run.sh - the HTTP client pool (firmware/httpc_glue.c) against a real HTTP
# server: starts tests/httpc/server.py on a free 127.0.0.1 port below 32768
# and on a unix socket in its work directory, runs test_httpc_glue against
# both, stops the server (by its PID only).
# Fails loudly (no skips): a missing python3 or binary is a failure.
#
#   tests/httpc/run.sh BUILD_DIR        (e.g. build/host)
#   tests/httpc/run.sh path/to/test_httpc_glue
set -u
here=$(cd "$(dirname "$0")" && pwd)
arg=${1:-}
# The rest of the arguments: the emulator a cross build runs its tests under
# (ctest passes CMAKE_CROSSCOMPILING_EMULATOR, e.g. qemu-s390x -L ...).
[ $# -gt 0 ] && shift
if [ -d "$arg" ]; then
	bin="$arg/tests/test_httpc_glue"
else
	bin=$arg
fi
fail() { echo "httpc/run.sh: FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no test binary '$bin' (usage: $0 BUILD_DIR|BINARY)"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed"

work=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-httpc.XXXXXX")
spid=""
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A free port below 32768 (the test also uses the next few for a refused one).
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 20 ]; do
	tries=$((tries + 1))
	p=$(python3 -c 'import random; print(random.randrange(20000, 31900))')
	if python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $p)); s.close()" 2>/dev/null; then
		port=$p
	fi
done
[ -n "$port" ] || fail "no free port"

python3 "$here/server.py" "$port" "$work/ready" "$work/httpc.sock" > "$work/server.log" 2>&1 &
spid=$!
i=0
while [ ! -f "$work/ready" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { cat "$work/server.log" >&2; fail "server did not start in 10 s"; }
	kill -0 "$spid" 2>/dev/null || { cat "$work/server.log" >&2; fail "server exited"; }
	sleep 0.1
done

timeout 120 "$@" "$bin" "$port" "$work/httpc.sock"
rc=$?
if [ $rc -ne 0 ]; then
	echo "--- server log" >&2
	cat "$work/server.log" >&2
	fail "test_httpc_glue exited $rc"
fi
echo "httpc/run.sh: ok"
