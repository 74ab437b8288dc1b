#!/usr/bin/env bash
# ilpd on lwIP (issue 6), end to end, in a network namespace of its own.
#
#   tests/lwip/run.sh [--alloc] BUILD_DIR [EMULATOR...]
#
# BUILD_DIR is an ILPD_NET=lwip build (presets host-lwip, rpi-aarch64-lwip,
# rpi-armhf-lwip); its firmware/ilpd runs under EMULATOR when given (e.g.
# qemu-arm -cpu cortex-a7). The test
#  1. makes the namespace ilpd-lw<PID> with a TAP device tap0 in it: the
#     Linux side is 10.99.X.1/24 and 2001:db8:99::1/64, lwIP gets
#     10.99.X.2/24 and 2001:db8:99::2/64 ([netif], with [btp] and [admin]
#     on 0.0.0.0);
#  2. from the Linux side: ping over IPv4 (also 1400-byte frames) and IPv6,
#     GET /health with curl, `ilpctl sink` as bob and `ilpctl send` as
#     alice of LWIP_PACKETS (default 20000) packets through ilpd (all must
#     be fulfilled; the rate is printed), the load and loss steps of
#     tests/lwip/load.sh (5,000 x 16 KB with 200 in flight without T02;
#     1,000 x 16 KB with 50 in flight under 5% loss each way, timed against
#     the POSIX ilpd over a veth pair), a wrong token refused, and
#     SIGTERM: exit status 0;
#  3. the interop suite (tests/interop/run.sh: ilp-plugin-btp, STREAM,
#     ilp-connector; LWIP_SUITES to choose) with node inside the namespace,
#     against this ilpd through tests/lwip/ilpd-netns.sh (LWIP_SUITES=none
#     skips it).
# --alloc instead runs the zero-allocation test (tests/alloc/run.sh) inside
# the namespace against this ilpd (native builds only: it uses LD_PRELOAD):
# lwIP must not touch libc's heap after start-up either.
#
# ilpctl is the POSIX one: $ILPCTL, else BUILD_DIR/tools/ilpctl/ilpctl for
# a native build, else build/host/tools/ilpctl/ilpctl. Needs root (or
# CAP_NET_ADMIN), ip, iptables, curl, ping, node: toolchain/install-deps.sh
# installs them. Every process is stopped by PID and the namespace deleted
# on exit. Prints "N passed, N failed" last; non-zero exit on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
passed=0
failed=0
pids=()
ns=ilpd-lw$$
x=$(($$ % 200 + 20))
gw=10.99.$x.1
addr=10.99.$x.2
gw6=2001:db8:99::1
addr6=2001:db8:99::2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ilpd-lwip.XXXXXX")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	ip netns del "${ns}p" 2>/dev/null   # load.sh's POSIX namespace
	if [ "${KEEP:-0}" = 1 ]; then
		echo "tests/lwip: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# shellcheck source=../lib/report.sh
. "$here/../lib/report.sh"
in_ns() { ip netns exec "$ns" "$@"; }

mode=e2e
if [ "${1:-}" = --alloc ]; then
	mode=alloc
	shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--alloc] BUILD_DIR [EMULATOR...]" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
shift
emu=("$@")
ilpd=$build/firmware/ilpd
if [ -n "${ILPCTL:-}" ]; then
	ilpctl=$ILPCTL
elif [ ${#emu[@]} -eq 0 ]; then
	ilpctl=$build/tools/ilpctl/ilpctl
else
	ilpctl=$root/build/host/tools/ilpctl/ilpctl
fi
case $ilpctl in
/*) ;;
*) ilpctl=$(pwd)/$ilpctl ;;
esac
packets=${LWIP_PACKETS:-20000}
suites=${LWIP_SUITES:-btp stream connector}

[ -x "$ilpd" ] || die "ilpd not found: $ilpd (configure and build an ILPD_NET=lwip preset)"
[ -x "$ilpctl" ] || die "ilpctl not found: $ilpctl (build the host preset, or set ILPCTL)"
for t in ip iptables curl ping node; do
	command -v "$t" >/dev/null || die "$t is missing: run toolchain/install-deps.sh"
done
if [ "$mode" = alloc ] && [ ${#emu[@]} -gt 0 ]; then
	die "--alloc needs a native build (the interposer is an LD_PRELOAD library)"
fi

# --- 1. the namespace ---------------------------------------------------
ip netns add "$ns" || die "cannot create network namespace $ns (root / CAP_NET_ADMIN needed)"
setup_ns() {
	in_ns ip link set lo up &&
		in_ns ip tuntap add dev tap0 mode tap &&
		in_ns ip addr add "$gw/24" dev tap0 &&
		in_ns ip addr add "$gw6/64" dev tap0 nodad &&
		in_ns ip link set tap0 up &&
		# ilpd-netns.sh's DNAT to and from 127.0.0.1 (see there)
		in_ns sysctl -qw net.ipv4.conf.all.route_localnet=1 &&
		in_ns sysctl -qw net.ipv4.conf.tap0.route_localnet=1 &&
		in_ns iptables -t nat -A POSTROUTING -o tap0 -j MASQUERADE
}
setup_ns || die "cannot set up tap0 in $ns"
ok "namespace $ns: tap0 $gw/24 $gw6/64 (lwIP: $addr, $addr6)"

export ILPD_LWIP_BIN=$ilpd ILPD_LWIP_EMU="${emu[*]}" ILPD_LWIP_IF=tap0 \
	ILPD_LWIP_ADDR=$addr ILPD_LWIP_GW=$gw ILPD_LWIP_PREFIX=24 \
	ILPD_LWIP_ADDR6=$addr6/64
wrapper=$here/ilpd-netns.sh

if [ "$mode" = alloc ]; then
	in_ns timeout 600 bash "$root/tests/alloc/run.sh" "$wrapper" "$ilpctl" \
		"${LWIP_ALLOC_PACKETS:-100000}" 2>&1 | sed 's/^/  alloc: /'
	if [ "${PIPESTATUS[0]}" -eq 0 ]; then
		ok "tests/alloc/run.sh against ilpd on lwIP: no heap use after start-up"
	else
		bad "tests/alloc/run.sh against ilpd on lwIP (see above)"
	fi
	finish
fi

# --- 2. ilpd on lwIP from the Linux side ----------------------------------
cat >"$tmp/ilpd.ini" <<EOF
; tests/lwip
[node]
address = test.lwip

[btp]
listen = 0.0.0.0:7768

[admin]
listen = 0.0.0.0:7769

[log]
level = info

[netif]
driver = tap
name = tap0
address = $addr/24
gateway = $gw
address6 = $addr6/64

[ledger]
state_file = $tmp/ledger.state

[peer alice]
relation = child
token = alice-token

[peer bob]
relation = child
token = bob-token
EOF
# Started with `ip netns exec` itself (not the in_ns function, which would
# put a subshell between $! and ilpd): ip execs the command, so $! is it.
ip netns exec "$ns" "${emu[@]}" "$ilpd" -c "$tmp/ilpd.ini" >"$tmp/ilpd.log" 2>&1 &
ilpd_pid=$!
pids+=("$ilpd_pid")

health=''
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ] && kill -0 "$ilpd_pid" 2>/dev/null; do
	health=$(in_ns curl -s -m 2 "http://$addr:7769/health") && [ -n "$health" ] && break
	sleep 0.2
done
case $health in
*'"nodeId":"test.lwip"'*) ok "GET /health over lwIP: ${health:0:60}..." ;;
*)
	sed 's/^/  ilpd: /' "$tmp/ilpd.log" | tail -n 20
	die "no answer to GET http://$addr:7769/health within 20 s"
	;;
esac
# No [admin] allowed_ips in this configuration: the default keeps only the
# admin API to loopback, and the Linux side is not loopback for lwIP.
code=$(in_ns curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$addr:7769/admin/peers")
if [ "$code" = 403 ]; then
	ok "GET /admin/peers from $gw: 403 (default allowed_ips keeps the admin API to loopback)"
else
	bad "GET /admin/peers from $gw: $code, want 403"
fi
if grep -q 'event=net.up stack=lwip' "$tmp/ilpd.log"; then
	ok "ilpd logged net.up (lwIP on tap0)"
else
	bad "no net.up line in ilpd's log"
fi

if in_ns ping -c 3 -i 0.2 -W 2 "$addr" >"$tmp/ping4" 2>&1; then
	ok "ping $addr: $(grep -o '[0-9]* received' "$tmp/ping4")"
else
	bad "ping $addr: $(tail -n 2 "$tmp/ping4" | head -n 1)"
fi
if in_ns ping -c 3 -i 0.2 -W 2 -s 1400 "$addr" >"$tmp/ping4b" 2>&1; then
	ok "ping -s 1400 $addr (full-size frames): $(grep -o '[0-9]* received' "$tmp/ping4b")"
else
	bad "ping -s 1400 $addr: $(tail -n 2 "$tmp/ping4b" | head -n 1)"
fi
ping6_ok=0
for _ in 1 2 3 4 5; do   # lwIP's duplicate address detection takes ~1 s
	if in_ns ping -6 -c 2 -i 0.2 -W 2 "$addr6" >"$tmp/ping6" 2>&1; then
		ping6_ok=1
		break
	fi
	sleep 0.5
done
if [ $ping6_ok = 1 ]; then
	ok "ping -6 $addr6: $(grep -o '[0-9]* received' "$tmp/ping6")"
else
	bad "ping -6 $addr6: $(tail -n 2 "$tmp/ping6" | head -n 1)"
fi

url=ws://$addr:7768
ip netns exec "$ns" timeout 300 "$ilpctl" sink --url "$url" --token bob-token --username bob \
	>"$tmp/sink.log" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
end=$((SECONDS + 20))
until grep -q '^sink address=' "$tmp/sink.log"; do
	if [ $SECONDS -ge $end ] || ! kill -0 "$sink_pid" 2>/dev/null; then
		tail -n 5 "$tmp/sink.log" | sed 's/^/  sink: /'
		die "ilpctl sink did not connect to $url within 20 s"
	fi
	sleep 0.1
done
ok "ilpctl sink connected as bob: $(head -n 1 "$tmp/sink.log")"

in_ns timeout 240 "$ilpctl" send --url "$url" --token alice-token --username alice \
	--to test.lwip.bob --count "$packets" --window 100 --amount 1 >"$tmp/send.log" 2>&1
rc=$?
summary=$(grep '^sent=' "$tmp/send.log" | tail -n 1)
rate=$(grep '^rate=' "$tmp/send.log" | tail -n 1)
fulfilled=$(printf '%s\n' "$summary" | tr ' ' '\n' | sed -n 's/^fulfilled=//p')
if [ $rc -eq 0 ] && [ -n "$fulfilled" ] && [ "$fulfilled" -ge "$packets" ]; then
	ok "ilpctl send through ilpd on lwIP: $summary ($rate)"
else
	tail -n 5 "$tmp/send.log" | sed 's/^/  send: /'
	bad "ilpctl send (rc $rc): want $packets fulfilled, got: ${summary:-no summary}"
fi

# Load without T02 and recovery from 5% loss each way (issue 16).
# shellcheck source=load.sh
. "$here/load.sh"

in_ns timeout 30 "$ilpctl" send --url "$url" --token wrong-token --username alice \
	--to test.lwip.bob --count 1 --window 1 --amount 1 >"$tmp/send-bad.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'auth refused' "$tmp/send-bad.log" &&
	grep -q 'event=peer.auth_failed' "$tmp/ilpd.log"; then
	ok "a wrong token is refused: $(grep 'auth refused' "$tmp/send-bad.log" | head -n 1)"
else
	bad "wrong token: want refusal, got rc $rc: $(tail -n 1 "$tmp/send-bad.log")"
fi
if grep -q -e 'wrong-token' -e 'alice-token' "$tmp/ilpd.log"; then
	bad "a token appears in ilpd's log"
else
	ok "no token in ilpd's log"
fi

kill -TERM "$sink_pid" 2>/dev/null
kill -TERM "$ilpd_pid" 2>/dev/null
rc=''
for _ in $(seq 150); do
	if ! kill -0 "$ilpd_pid" 2>/dev/null; then
		wait "$ilpd_pid"
		rc=$?
		break
	fi
	sleep 0.1
done
if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'event=lwip.assert' "$tmp/ilpd.log"; then
	grep -m 3 -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'event=lwip.assert' "$tmp/ilpd.log"
	bad "sanitizer or lwIP assertion report in ilpd's log"
fi
if [ "$rc" = 0 ]; then
	ok "ilpd exited 0 on SIGTERM ($(grep -o 'event=shutdown.done.*' "$tmp/ilpd.log"))"
else
	sed 's/^/  ilpd: /' "$tmp/ilpd.log" | tail -n 10
	bad "ilpd on SIGTERM: exit status '${rc:-still running after 15 s}'"
fi

# --- 3. the interop suite against ilpd on lwIP ------------------------------
[ "$suites" = none ] && finish   # LWIP_SUITES=none: no interop suite
# node_modules first, outside the namespace (it has no route to npm).
# shellcheck source=../lib/npm-ci.sh
. "$root/tests/lib/npm-ci.sh"
if ! ilpd_npm_ci "$root/tests/interop" tests/lwip/run.sh 18 >"$tmp/npm.log" 2>&1; then
	tail -n 5 "$tmp/npm.log"
	die "npm ci for tests/interop failed"
fi
# shellcheck disable=SC2086  # suites is a word list
in_ns timeout 900 sh "$root/tests/interop/run.sh" "$wrapper" $suites 2>&1 |
	sed 's/^/  interop: /' | tee "$tmp/interop.log"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
	ok "interop ($suites) against ilpd on lwIP: $(tail -n 1 "$tmp/interop.log" | sed 's/^  interop: //')"
else
	bad "interop ($suites) against ilpd on lwIP"
fi
finish
