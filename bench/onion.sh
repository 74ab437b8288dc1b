#!/usr/bin/env bash
# Benchmark: two ilpd nodes over a private Tor network on 127.0.0.1 (onion
# service) versus the same two nodes dialling each other directly
# (ws://127.0.0.1). A script to run by hand, not a test: it takes a few
# minutes. See docs/benchmark.md, "Onion transport".
#
#   bench/onion.sh BUILD_DIR [--count N] [--rate-count N]
#
# Topology: ilpctl send (child alice) -> A -> B -> ilpctl sink (child bob).
# A dials B through a client tor of the private network (type = socks5);
# B publishes its BTP port with a tor it manages (onion_service = managed).
# Figures:
#   - latency: ilpctl send --window 1, N packets (default 2000): p50 / p99
#   - rate: ilpctl send --window 100, N packets (default 20000): packets/s
#   - B's first publication with a new key (new state directory)
#   - start to first fulfilled packet: from launching A (B published, A's
#     tor bootstrapped), and from launching both A and B again with their
#     state kept (B's tor restarts and republishes the same address)
# The private network has no latency of its own (every hop is loopback), so
# these numbers show ilpd's and tor's processing overhead, not what the
# public Tor network costs (there, each onion round trip crosses six relays
# around the world: hundreds of milliseconds).
set -uo pipefail
build=${1:?usage: bench/onion.sh BUILD_DIR [--count N] [--rate-count N]}
shift
count=2000
rate_count=20000
while [ $# -gt 0 ]; do
	case "$1" in
	--count) count=${2:?}; shift ;;
	--rate-count) rate_count=${2:?}; shift ;;
	*) echo "bench/onion.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
root=$(cd "$(dirname "$0")/.." && pwd)
privnet=$root/tests/tor/privnet.sh
ilpd=$(cd "$build/firmware" && pwd)/ilpd
ilpctl=$(cd "$build/tools/ilpctl" && pwd)/ilpctl
for b in "$ilpd" "$ilpctl"; do [ -x "$b" ] || { echo "bench/onion.sh: $b missing" >&2; exit 1; }; done
for c in tor tor-gencert curl; do
	command -v $c > /dev/null || { echo "bench/onion.sh: $c missing (toolchain/install-deps.sh)" >&2; exit 1; }
done
# shellcheck source=tests/onion/lib.sh
. "$root/tests/onion/lib.sh"

work=$(mktemp -d /tmp/ilpd-onion-bench.XXXXXX)
net=$work/net
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	"$privnet" stop "$net" > /dev/null 2>&1 || true
	for p in $(onion_pids_under "$work"); do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench/onion.sh: $*" >&2; for f in "${@:2}"; do tail -20 "$f" >&2; done; exit 1; }
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }
say() { echo "bench/onion.sh: $*" >&2; }

say "starting the private network"
"$privnet" start "$net" --bound 1800 --owner $$ > "$work/privnet.log" 2>&1 || die "privnet start" "$work/privnet.log"
"$privnet" wait "$net" 120 >> "$work/privnet.log" 2>&1 || die "privnet wait" "$work/privnet.log"
port() { "$privnet" freeport "$net"; }
P_A=$(port) P_AA=$(port) P_B=$(port) P_BA=$(port) P_BS=$(port) P_BC=$(port)
eval "$("$privnet" client "$net" ator 0 0 | sed 's/^pid=\([0-9]*\) socks=\([0-9]*\) control=\([0-9]*\)$/ATOR=\1 P_AS=\2/')"
"$privnet" bootstrapped "$net" ator 120 || die "A's tor did not bootstrap"
mkdir -m 700 "$work/b-state"

node() {  # name btp admin
	printf '[node]\naddress = test.%s\n[btp]\nlisten = 127.0.0.1:%s\nreconnect_min_ms = 100\n' "$1" "$2"
	printf 'reconnect_max_ms = 1000\n[admin]\nlisten = 127.0.0.1:%s\n' "$3"
	printf '[ledger]\nstate_file = %s/%s.ledger.state\n' "$work" "$1"
}
conf_a() {  # mode (onion|direct) url
	node a "$P_A" "$P_AA"
	[ "$1" = direct ] || printf '[transport]\ntype = socks5\nproxy = socks5h://127.0.0.1:%s\n' "$P_AS"
	printf '[peer alice]\nrelation = child\ntoken = alice-bench-token\n'
	printf '[peer b]\nrelation = peer\nurl = %s\ntoken = ab-bench-token\n[routes]\ntest.b = b\n' "$2"
}
conf_b() {  # mode
	node b "$P_B" "$P_BA"
	[ "$1" = direct ] || printf '[transport]\nonion_service = managed\ntor_path = %s\ntorrc_append = %s\nstate_dir = %s\nsocks_port = %s\ncontrol_port = %s\nexternal_url = auto\n' \
		"$(command -v tor)" "$net/client.torrc-include" "$work/b-state" "$P_BS" "$P_BC"
	printf '[peer bob]\nrelation = child\ntoken = bob-bench-token\n[peer a_in]\nrelation = peer\ntoken = ab-bench-token\n'
}
start() {  # name ini -> PID_name
	"$ilpd" -c "$2" >> "$work/$1.log" 2>&1 &
	eval "PID_$1=$!"
	pids+=($!)
}
start_sink() {
	onion_until 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$P_B) 2>/dev/null" || die "B not listening" "$work/b.log"
	"$ilpctl" sink --url "ws://127.0.0.1:$P_B/" --token bob-bench-token --timeout-ms 1800000 > "$work/sink.log" 2>&1 &
	SINK=$!
	pids+=($SINK)
	onion_until 10 grep -q "address=test.b.bob" "$work/sink.log" || die "sink" "$work/sink.log"
}
first_packet() {  # t0 -> ms from t0 to the first fulfilled packet (bounded: 300 s)
	local end=$((SECONDS + 300))
	while [ $SECONDS -lt $end ]; do
		if "$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-bench-token --to test.b.bob \
			--count 1 --timeout-ms 5000 > /dev/null 2>&1; then
			echo $(( $(now_ms) - $1 ))
			return 0
		fi
		sleep 0.2
	done
	return 1
}
measure() {  # label -> LAT_<label>, RATE_<label>
	local out
	"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-bench-token --to test.b.bob \
		--count "$count" --window 1 --timeout-ms 600000 > "$work/lat-$1.log" 2>&1 ||
		die "$1: latency run" "$work/lat-$1.log"
	out=$(sed -n 's/^latency_us p50=\([0-9]*\) p90=[0-9]* p99=\([0-9]*\) .*/\1 \2/p' "$work/lat-$1.log")
	eval "LAT_$1='$out'"
	"$ilpctl" send --url "ws://127.0.0.1:$P_A/" --token alice-bench-token --to test.b.bob \
		--count "$rate_count" --window 100 --timeout-ms 600000 > "$work/rate-$1.log" 2>&1 ||
		die "$1: rate run" "$work/rate-$1.log"
	eval "RATE_$1=$(sed -n 's/^rate=\([0-9]*\) pps.*/\1/p' "$work/rate-$1.log")"
	eval "P99W_$1=$(sed -n 's/^latency_us p50=[0-9]* p90=[0-9]* p99=\([0-9]*\) .*/\1/p' "$work/rate-$1.log")"
}

# --- onion ---------------------------------------------------------------------------
say "B publishes a new onion service"
conf_b onion > "$work/b.ini"
t0=$(now_ms)
start b "$work/b.ini"
onion_until 300 onion_published "$P_BA" || die "B did not publish" "$work/b.log"
T_PUBLISH=$(( $(now_ms) - t0 ))
URL_B=$(onion_url "$P_BA")
start_sink
conf_a onion "$URL_B" > "$work/a.ini"
say "A dials B's onion"
t0=$(now_ms)
start a "$work/a.ini"
T_FIRST_COLD=$(first_packet "$t0") || die "no packet over onion" "$work/a.log" "$work/b.log"
say "measuring over onion"
measure onion
say "restarting both nodes (state kept)"
onion_stop_pid "$SINK" > /dev/null 2>&1
onion_stop_pid "$PID_a" > /dev/null
onion_stop_pid "$PID_b" > /dev/null
t0=$(now_ms)
start b "$work/b.ini"
start a "$work/a.ini"
start_sink
T_FIRST_WARM=$(first_packet "$t0") || die "no packet after the restart" "$work/a.log" "$work/b.log"
[ "$(onion_url "$P_BA")" = "$URL_B" ] || say "warning: B's onion URL changed across the restart"

# --- direct ------------------------------------------------------------------------------
say "the same nodes, direct"
onion_stop_pid "$SINK" > /dev/null 2>&1
onion_stop_pid "$PID_a" > /dev/null
onion_stop_pid "$PID_b" > /dev/null
conf_b direct > "$work/b-direct.ini"
conf_a direct "ws://127.0.0.1:$P_B/" > "$work/a-direct.ini"
start b "$work/b-direct.ini"
start_sink
t0=$(now_ms)
start a "$work/a-direct.ini"
T_FIRST_DIRECT=$(first_packet "$t0") || die "no packet direct" "$work/a.log"
measure direct

read -r l50o l99o <<< "$LAT_onion"
read -r l50d l99d <<< "$LAT_direct"
cat <<EOF

ilpd over a private Tor network on 127.0.0.1 vs direct ($(nproc) cores, $(date -u +%Y-%m-%d))
sender -> A -> B -> sink; A dials B through SOCKS5 (tor) to B's onion service, or ws://127.0.0.1

| | onion (private network) | direct ws:// |
|---|---|---|
| latency, window 1, $count packets: p50 / p99 | $l50o / $l99o us | $l50d / $l99d us |
| packets/s, window 100, $rate_count packets | $RATE_onion (p99 $P99W_onion us) | $RATE_direct (p99 $P99W_direct us) |
| start of A to first fulfilled packet | $T_FIRST_COLD ms (B published, A's tor running) | $T_FIRST_DIRECT ms |
| restart of A and B to first fulfilled packet | $T_FIRST_WARM ms (B's tor restarts, same key) | - |
| B's first publication (new key, tor started by ilpd) | $T_PUBLISH ms | - |

Every relay of this network is on 127.0.0.1: these figures show the overhead of
ilpd's SOCKS5 layer and of tor's onion circuits (six relay hops, each a TLS
link plus cell crypto, all on the same two cores), not the latency of the
public Tor network, where an onion round trip typically costs hundreds of
milliseconds.
EOF
