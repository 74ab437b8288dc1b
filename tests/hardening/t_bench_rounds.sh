#!/usr/bin/env bash
# bench/run.sh over several rounds with a receiver that is slow to start,
# and with a receiver that leaves in the middle of a run (issue 10, point 5).
#
# The benchmark once stopped in round 2 with T01 Peer Unreachable for a few
# hundred packets: every round's `ilpctl sink` wrote to the same log file
# (opened for appending), so from round 2 on the harness found round 1's
# "sink address=" line at once and started sending while the new sink was
# still connecting; ilpd rightly answered T01 until bob was up. Here the
# sink starts 0.5 s late (a wrapper around ilpctl), which made round 2 fail
# every time; the harness must wait for this round's sink and for bob in
# ilpd's /health.
#
# A run that does fail must be explainable: with a sink that leaves after
# 1,000 packets, bench must fail and print ilpd's info-level log tail
# (peer.down for bob with its reason) and /health, and keep the directory.
#
# --smoke keeps each run tiny: about 10 s in all on the host build.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench=$here/../../bench/run.sh

slow=$HD_WORK/slow-ilpctl
cat >"$slow" <<EOF
#!/bin/sh
# ilpctl whose 'sink' starts 0.5 s late
[ "\$1" = sink ] && sleep 0.5
exec "$ILPCTL" "\$@"
EOF
dying=$HD_WORK/dying-ilpctl
cat >"$dying" <<EOF
#!/bin/sh
# ilpctl whose 'sink --url' leaves after 1000 Fulfills
if [ "\$1" = sink ] && [ "\$2" = --url ]; then shift; exec "$ILPCTL" sink --count 1000 "\$@"; fi
exec "$ILPCTL" "\$@"
EOF
chmod +x "$slow" "$dying"

# Removes a directory bench kept ("kept /tmp/ilpd-interop-bench-..."): only that pattern.
forget_kept() {
	local d
	sed -n 's/^kept \(\/tmp\/ilpd-interop-bench-[A-Za-z0-9]*\)$/\1/p' "$1" |
		while read -r d; do rm -rf "$d"; done
}

# 1. Three rounds with a late sink: every round of ilpd must pass.
out=$HD_WORK/slow.out
timeout 150 "$bench" "$ILPD" "$slow" --smoke --rounds 3 --no-js >"$out" 2>&1
rc=$?
forget_kept "$out"
if [ $rc -eq 0 ] && grep -q '^round 3 ilpd ' "$out"; then
	ok "3 rounds with a sink that starts 0.5 s late: every run fulfilled ($(grep -c '^round [0-9] ilpd ' "$out") ilpd rounds)"
else
	bad "3 rounds with a sink that starts 0.5 s late (exit $rc):"
	tail -n 30 "$out" | sed 's/^/  /'
fi

# 2. A sink that leaves mid-run: bench fails, and says why.
out=$HD_WORK/dying.out
timeout 150 "$bench" "$ILPD" "$dying" --smoke --rounds 1 --no-js >"$out" 2>&1
rc=$?
forget_kept "$out"
if [ $rc -ne 0 ] && grep -q 'ilpd: send .* failed: .*T01=' "$out"; then
	ok "a sink that leaves mid-run fails the bench with T01"
else
	bad "a sink that leaves mid-run: expected a failed run with T01 (exit $rc):"
	tail -n 30 "$out" | sed 's/^/  /'
fi
if grep -q 'ilpd: .*level=info event=peer.down peer=bob reason=' "$out" &&
	grep -q '/health: {.*"name":"bob"' "$out" && grep -q '^kept /tmp/' "$out"; then
	ok "the failure shows ilpd's info log (peer.down bob) and /health, and keeps the logs"
else
	bad "the failure does not explain itself (no peer.down bob, /health or kept directory):"
	tail -n 30 "$out" | sed 's/^/  /'
fi
finish
