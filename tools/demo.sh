#!/usr/bin/env bash
# ilpd demo: a small local Interledger network on 127.0.0.1, moving real
# packets and printing what happened.
#
#   sender (ilpctl send, child "alice")
#     -> ilpd A   test.ilpd         built-in default configuration, no file
#     -> ilpd B   test.ilpd.bob     dials A as its child "bob"
#     -> receiver (ilpctl sink, child "carol" of B, address test.ilpd.bob.carol)
#
# Usage: tools/demo.sh [--count N] [--window W] [--amount A]
# It installs missing Debian packages (root or sudo), builds the host preset,
# runs the network, and stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

count=10000 window=100 amount=1000
while [ $# -gt 0 ]; do
	case "$1" in
	--count) count=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	--amount) amount=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; exit 2 ;;
	esac
done

ILPD_DEPS_QUICK=1 toolchain/install-deps.sh >/dev/null
echo "== building (cmake --preset host)"
cmake --preset host >/dev/null
cmake --build --preset host -j2 >/dev/null
ilpd=$root/build/host/firmware/ilpd
ilpctl=$root/build/host/tools/ilpctl/ilpctl

for port in 7768 7769 7778 7779; do
	if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
		echo "demo: port $port on 127.0.0.1 is in use; stop what uses it first" >&2
		exit 1
	fi
done

work=$(mktemp -d /tmp/ilpd-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/b.ini" <<EOF
; ilpd B: a child connector of A (A's default config has the child "bob").
; Its ledger is durable (durability = sync, the default) in the demo's
; work dir; A, the built-in demo node, keeps balances in RAM only.
[node]
address = test.ilpd.bob
[btp]
listen = 127.0.0.1:7778
[admin]
listen = 127.0.0.1:7779
[peer up]
relation = parent
url = ws://127.0.0.1:7768/
token = bob-token
[peer carol]
relation = child
token = carol-token
[routes]
default = up
[ledger]
state_file = $work/b.state
EOF

wait_health() {  # port
	for _ in $(seq 1 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "demo: nothing listens on port $1" >&2
	return 1
}
health() {  # port
	exec 3<>/dev/tcp/127.0.0.1/$1
	printf 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
	sed -n '/^{/p' <&3
	exec 3<&-
}

echo "== starting ilpd A (built-in defaults) and ilpd B ($work/b.ini)"
"$ilpd" > "$work/a.log" 2>&1 & pids+=($!)
wait_health 7769
"$ilpd" -c "$work/b.ini" > "$work/b.log" 2>&1 & pids+=($!)
wait_health 7779
for _ in $(seq 1 100); do
	health 7769 | grep -q '"name":"bob","relation":"child","connected":true' && break
	sleep 0.05
done

echo "== receiver: ilpctl sink as carol on B"
"$ilpctl" sink --url ws://127.0.0.1:7778/ --token carol-token --count "$count" \
	--timeout-ms 60000 > "$work/sink.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q 'address=' "$work/sink.log" && break; sleep 0.05; done

echo "== sender: ilpctl send as alice on A, $count packets of $amount, $window in flight"
set +e
"$ilpctl" send --url ws://127.0.0.1:7768/ --token alice-token \
	--to test.ilpd.bob.carol --count "$count" --window "$window" --amount "$amount" \
	| tee "$work/send.log"
rc=${PIPESTATUS[0]}
set -e

echo "== what the connectors say"
echo "A /health: $(health 7769)"
echo "B /health: $(health 7779)"
echo "== A's log"; cat "$work/a.log"
echo "== B's log"; cat "$work/b.log"
if [ "$rc" -eq 0 ]; then
	echo "demo: all $count packets crossed two connectors and were fulfilled"
else
	echo "demo: send exited $rc" >&2
fi
exit "$rc"
