#!/usr/bin/env bash
# THE test command of ilpd (README and .ci/run call it). On a fresh Debian
# bookworm machine it first installs what is missing (needs root or sudo).
#
# Steps, in order:
#   deps         toolchain/install-deps.sh
#   host         cmake --preset host; build; ctest         (gcc, native)
#   host-asan    ... host-asan                              (clang, ASan+UBSan)
#   rpi-aarch64  ... rpi-aarch64                            (tests under qemu-aarch64)
#   rpi-armhf    ... rpi-armhf                              (tests under qemu-arm)
#   be-s390x     ... be-s390x                               (tests under qemu-s390x, big-endian)
#   host-mbedtls, rpi-aarch64-mbedtls, rpi-armhf-mbedtls
#                the same with the mbedTLS TLS backend (BearSSL is the default)
#   host-lwip, rpi-aarch64-lwip, rpi-armhf-lwip
#                the same with ilpd on lwIP (ILPD_NET=lwip; lwIP fetched from Debian's
#                source package by toolchain/fetch-lwip.sh, see docs/lwip.md)
#   layering     toolchain/check-layering.sh
#   docs         tests/docs/run.sh: every torrc block in the docs passes
#                tor --verify-config; every event the code logs is in ilpd.8, and back
#   diff         tests/diff/run.sh build/host/tools/ilpctl/ilpctl
#   daemon       tests/daemon/run.sh build/host        (ilpd end to end with ilpctl)
#   daemon-asan  tests/daemon/run.sh build/host-asan   (the same under ASan+UBSan)
#   hardening    tests/hardening/run.sh build/host     (floods, lost Fulfills on
#                wss://, colluding accounts, per-peer shares, ...)
#   hardening-asan  the same against the ASan+UBSan build
#   interop      tests/interop/run.sh build/host/firmware/ilpd (ilp-plugin-btp,
#                ilp-protocol-stream and ilp-connector from npm, pinned)
#   interop-asan the same against the ASan+UBSan build
#   interop-mbedtls  the TLS interop suite against the mbedTLS build
#   alloc        tests/alloc/run.sh: no heap use after start-up, 100,000 packets
#   alloc-tls, alloc-tls-mbedtls  the same with every hop over wss://, per backend
#   onion        tests/onion/run.sh build/host: two ilpd nodes peer by onion URL on a
#                private Tor network on 127.0.0.1 (tests/tor/privnet.sh), fault tests
#   lwip         tests/lwip/run.sh build/host-lwip: ilpd on lwIP over a TAP device in
#                a network namespace (ping, curl, ilpctl, interop suite)
#   lwip-aarch64, lwip-armhf  the same with build/rpi-{aarch64,armhf}-lwip under
#                qemu-aarch64 / qemu-arm -cpu cortex-a7 (needs the *-lwip build steps)
#   alloc-lwip   tests/lwip/run.sh --alloc build/host-lwip: the alloc test on lwIP
#   apps         applications on ilpd (issue 14): tests/httpc/run.sh (the HTTP client
#                pool against a local server), tests/embed/run.sh (libilpd.a and
#                examples/paid_agent.c built with plain cc, a seller and a buyer under a
#                daemon), tests/apps/deliver.sh (local delivery to node and python
#                business-logic servers, two hops, JS sender), tests/apps/admin.sh (auth,
#                bad input, /admin/ilp/send two hops away), tests/apps/admin_peers.sh
#                (peers and routes changed under traffic, admin.ini)
#   apps-asan    the same scripts but embed against the ASan+UBSan build
#   dashboard    tests/dashboard/run.sh: GET / in headless Chromium (installed if
#                missing) with traffic flowing; screenshot in build/artifacts/
#   settlement   tests/settlement/run.sh: two ilpd nodes settle through RFC 38 engines
#                built on ilp-settlement-core (npm, pinned) and a toy bank; faults,
#                kill -9 mid-settlement, bad input on the settlement listener
#   persist      tests/persist/run.sh build/host: kill -9 ilpd 100 times under load and
#                check the recovered ledger after each restart (sync mode; 20 kills in
#                interval mode), the same with ilp-connector as a peer (10 kills), and
#                t_inflight.sh (packets held by the next hop at a crash, late
#                Fulfills); tests/persist/run.sh build/host --kills 1000 by hand
#   persist-asan the same against the ASan+UBSan build (50 kills)
#   soak         tests/soak/run.sh build/host: 2-minute chaos soak, three ilpd nodes
#                and JS peers under traffic while peers, a node, a SOCKS5 proxy and
#                links are killed and restarted and configs reloaded (books, answers,
#                fds/RSS); --minutes N for longer runs by hand
#   soak-asan    the same against the ASan+UBSan build (any sanitizer report fails)
#   deb          tests/deb/run.sh: the Debian packages (amd64 + arm64 cross) with
#                dpkg-buildpackage, lintian, the unit's systemd-analyze exposure (<= 2.0),
#                sd_notify, install/remove/purge in a throwaway bookworm chroot
#   image        tests/image/run.sh build/host build/rpi-aarch64: the Raspberry Pi image
#                (toolchain/mkimage.sh with the arm64 .deb) booted with qemu-system-aarch64
#                -M virt (first-boot config, /health, 1,000 packets, reload, journal,
#                purge/reinstall, poweroff) and -M raspi3b (smoke); 20-25 min on a loaded
#                2-core machine (image build 11-17, -M virt 4-5, -M raspi3b 4)
#   fuzz         preset fuzz; tests/fuzz/run-fuzz.sh build/fuzz SECONDS
# Every build also prints the memory map and runs the no-heap check.
# A failed step does not stop the run; the summary lists every step and the
# last line is "N passed, N failed". Exit status is non-zero if any failed.
#
# Options:
#   --quick           deps, host, layering, docs, diff, daemon, interop, alloc (no cross, no sanitizers, no fuzz)
#   --fuzz-seconds N  seconds per fuzz target for tests/fuzz/run-fuzz.sh
#                     (default: $ILPD_FUZZ_SECONDS, else 60)
#   --only STEP       run one step (names above)
# Builds reuse build/<preset>, so a second run is incremental.
set -uo pipefail
export LC_NUMERIC=C   # EPOCHREALTIME and awk agree on the decimal point

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
JOBS=2
FUZZ_SECONDS="${ILPD_FUZZ_SECONDS:-60}"
ALL_STEPS="deps host host-asan rpi-aarch64 rpi-armhf be-s390x host-mbedtls rpi-aarch64-mbedtls rpi-armhf-mbedtls host-lwip rpi-aarch64-lwip rpi-armhf-lwip layering docs diff daemon daemon-asan hardening hardening-asan interop interop-asan interop-mbedtls alloc alloc-tls alloc-tls-mbedtls onion lwip lwip-aarch64 lwip-armhf alloc-lwip apps apps-asan dashboard settlement persist persist-asan soak soak-asan deb image fuzz"
QUICK_STEPS="deps host layering docs diff daemon hardening interop alloc alloc-tls apps"
steps="$ALL_STEPS"

usage() {
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) steps="$QUICK_STEPS" ;;
	--fuzz-seconds)
		[ $# -ge 2 ] || { echo "run-all: --fuzz-seconds needs a number" >&2; exit 2; }
		FUZZ_SECONDS="$2"
		shift ;;
	--only)
		[ $# -ge 2 ] || { echo "run-all: --only needs a step name" >&2; exit 2; }
		case " $ALL_STEPS " in
		*" $2 "*) steps="$2" ;;
		*) echo "run-all: unknown step '$2' (steps: $ALL_STEPS)" >&2; exit 2 ;;
		esac
		shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run-all: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$FUZZ_SECONDS" in
'' | *[!0-9]*) echo "run-all: --fuzz-seconds must be a whole number" >&2; exit 2 ;;
esac

# configure + build + ctest one preset, in build/<preset>. The build keeps
# going past a failed target (ninja -k 0) and ctest runs even after a failed
# build, so one run shows every broken file and every failing test; the step
# fails if either did.
run_preset() {
	local build_rc=0 test_rc=0
	cmake --preset "$1" || return
	cmake --build --preset "$1" -j "$JOBS" -- -k 0 || build_rc=$?
	ctest --preset "$1" -j "$JOBS" || test_rc=$?
	if [ "$build_rc" -ne 0 ]; then
		echo "run-all: $1: build FAILED (rc $build_rc); see the errors above"
		return "$build_rc"
	fi
	return "$test_rc"
}

# A script another part of the project provides: missing means FAIL.
run_script() {
	local script="$1"
	shift
	if [ ! -f "$script" ]; then
		echo "run-all: $script is missing: this step cannot pass without it"
		return 1
	fi
	if [ -x "$script" ]; then "$script" "$@"; else bash "$script" "$@"; fi
}

# The durable-ledger tests against one build: the kill -9 loop (sync, then
# interval), the same with ilp-connector as a peer, packets in flight at a
# crash. All run; the step fails if any did.
run_persist() {
	local rc=0
	run_script tests/persist/run.sh "$1" --kills "$2" || rc=1
	run_script tests/persist/run.sh "$1" --kills 20 --mode interval || rc=1
	run_script tests/persist/run.sh "$1" --kills 10 --connector || rc=1
	run_script tests/persist/t_inflight.sh "$1" || rc=1
	return "$rc"
}

# The application tests (issue 14) against one build; all run, the step
# fails if any did. The embedded library is checked on the plain build only
# (the sanitizer build's archive needs the sanitizer runtimes to link).
run_apps() {
	local b=$1 rc=0
	run_script tests/httpc/run.sh "$b" || rc=1
	if [ "$b" = build/host ]; then run_script tests/embed/run.sh "$b" || rc=1; fi
	run_script tests/apps/deliver.sh "$b/firmware/ilpd" "$b/tools/ilpctl/ilpctl" || rc=1
	run_script tests/apps/admin.sh "$b/firmware/ilpd" "$b/tools/ilpctl/ilpctl" || rc=1
	run_script tests/apps/admin_peers.sh "$b/firmware/ilpd" "$b/tools/ilpctl/ilpctl" || rc=1
	return "$rc"
}

run_step() {
	case "$1" in
	deps) toolchain/install-deps.sh ;;
	host | host-asan | rpi-aarch64 | rpi-armhf | be-s390x | host-mbedtls | \
	rpi-aarch64-mbedtls | rpi-armhf-mbedtls | \
	host-lwip | rpi-aarch64-lwip | rpi-armhf-lwip) run_preset "$1" ;;
	layering) toolchain/check-layering.sh "$ROOT" ;;
	docs) run_script tests/docs/run.sh ;;
	diff)
		if [ ! -x build/host/tools/ilpctl/ilpctl ]; then
			echo "run-all: build/host/tools/ilpctl/ilpctl not built (run the host step)"
		fi
		run_script tests/diff/run.sh build/host/tools/ilpctl/ilpctl ;;
	daemon) run_script tests/daemon/run.sh build/host ;;
	daemon-asan) run_script tests/daemon/run.sh build/host-asan ;;
	hardening) run_script tests/hardening/run.sh build/host ;;
	hardening-asan) run_script tests/hardening/run.sh build/host-asan ;;
	interop) run_script tests/interop/run.sh build/host/firmware/ilpd ;;
	interop-asan) run_script tests/interop/run.sh build/host-asan/firmware/ilpd ;;
	interop-mbedtls) run_script tests/interop/run.sh build/host-mbedtls/firmware/ilpd tls ;;
	alloc) run_script tests/alloc/run.sh build/host/firmware/ilpd build/host/tools/ilpctl/ilpctl ;;
	alloc-tls) run_script tests/alloc/run.sh --tls build/host/firmware/ilpd build/host/tools/ilpctl/ilpctl ;;
	alloc-tls-mbedtls)
		run_script tests/alloc/run.sh --tls build/host-mbedtls/firmware/ilpd \
			build/host-mbedtls/tools/ilpctl/ilpctl ;;
	onion) run_script tests/onion/run.sh build/host ;;
	lwip) run_script tests/lwip/run.sh build/host-lwip ;;
	lwip-aarch64)
		ILPCTL=build/host-lwip/tools/ilpctl/ilpctl \
			run_script tests/lwip/run.sh build/rpi-aarch64-lwip qemu-aarch64 ;;
	lwip-armhf)
		ILPCTL=build/host-lwip/tools/ilpctl/ilpctl \
			run_script tests/lwip/run.sh build/rpi-armhf-lwip qemu-arm -cpu cortex-a7 ;;
	alloc-lwip) run_script tests/lwip/run.sh --alloc build/host-lwip ;;
	apps) run_apps build/host ;;
	apps-asan) run_apps build/host-asan ;;
	dashboard)
		run_script tests/dashboard/run.sh build/host/firmware/ilpd \
			build/host/tools/ilpctl/ilpctl build/artifacts ;;
	settlement)
		run_script tests/settlement/run.sh build/host/firmware/ilpd \
			build/host/tools/ilpctl/ilpctl ;;
	persist) run_persist build/host 100 ;;
	persist-asan) run_persist build/host-asan 50 ;;
	soak) run_script tests/soak/run.sh build/host ;;
	soak-asan) run_script tests/soak/run.sh build/host-asan ;;
	deb) run_script tests/deb/run.sh ;;
	image) run_script tests/image/run.sh build/host build/rpi-aarch64 ;;
	fuzz)
		cmake --preset fuzz &&
			cmake --build --preset fuzz -j "$JOBS" &&
			run_script tests/fuzz/run-fuzz.sh build/fuzz "$FUZZ_SECONDS" ;;
	esac
}

names=()
results=()
times=()
passed=0
failed=0
total=$(echo $steps | wc -w)
i=0
run_start=$EPOCHREALTIME
for s in $steps; do
	i=$((i + 1))
	echo
	echo "================================================================"
	echo "== [$i/$total] $s"
	echo "================================================================"
	t0=$EPOCHREALTIME
	(set -e; run_step "$s")
	rc=$?
	dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	if [ $rc -eq 0 ]; then
		res=PASS
		passed=$((passed + 1))
	else
		res="FAIL (rc $rc)"
		failed=$((failed + 1))
	fi
	echo "== $s: $res in ${dt}s"
	names+=("$s")
	results+=("$res")
	times+=("$dt")
done
wall=$(awk -v a="$run_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

echo
echo "================================================================"
echo "== Summary (wall ${wall}s)"
echo "================================================================"
printf '%-14s %-14s %10s\n' step result seconds
for k in "${!names[@]}"; do
	printf '%-14s %-14s %10s\n' "${names[$k]}" "${results[$k]}" "${times[$k]}"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
