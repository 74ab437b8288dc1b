#!/usr/bin/env bash
# Prove the private network with plain tools, and time it: privnet start,
# full consensus, a client tor bootstrapped, and an onion service (a
# HiddenServiceDir on a second tor, pointing at a socat HTTP responder on
# 127.0.0.1) reached through the client's SocksPort with curl
# --socks5-hostname. Prints one line of milliseconds since launch per phase.
# Exits non-zero if any phase fails; stops everything by PID on exit.
#
# Usage: tests/tor/selftest.sh [RUNS]      (default 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
privnet=$here/privnet.sh
runs=${1:-1}
for c in tor tor-gencert curl socat; do
	command -v $c > /dev/null || { echo "selftest: $c missing (toolchain/install-deps.sh)"; exit 1; }
done
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

work=""
resp=""
cleanup() {
	[ -z "$resp" ] || kill -TERM "$resp" 2>/dev/null || true
	[ -z "$work" ] || { "$privnet" stop "$work/net" || true; rm -rf "$work"; }
}
trap cleanup EXIT

one_run() {
	local t0 t_run t_cons t_boot t_onion port onion i
	work=$(mktemp -d /tmp/privnet-selftest.XXXXXX)
	t0=$(now_ms)
	"$privnet" start "$work/net" --bound 300 --owner $$ > /dev/null
	t_run=$(( $(now_ms) - t0 ))
	"$privnet" wait "$work/net" 120 > /dev/null
	t_cons=$(( $(now_ms) - t0 ))
	port=$("$privnet" freeport "$work/net")
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\nprivnet-ok\n' > "$work/resp"
	socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "OPEN:$work/resp,rdonly" &
	resp=$!
	printf 'HiddenServiceDir %s/net/svc/hs\nHiddenServicePort 80 127.0.0.1:%s\n' "$work" "$port" > "$work/svc.torrc"
	mkdir -p "$work/net/svc"
	"$privnet" client "$work/net" svc 0 0 "$work/svc.torrc" > /dev/null
	eval "$("$privnet" client "$work/net" cli 0 0 | sed 's/^pid=[0-9]* socks=\([0-9]*\) control=\([0-9]*\)$/socks=\1 control=\2/')"
	"$privnet" bootstrapped "$work/net" cli 120
	t_boot=$(( $(now_ms) - t0 ))
	for i in $(seq 1 100); do [ -s "$work/net/svc/hs/hostname" ] && break; sleep 0.2; done
	onion=$(cat "$work/net/svc/hs/hostname")
	for i in $(seq 1 240); do
		if curl -s --max-time 10 --socks5-hostname "127.0.0.1:$socks" "http://$onion/" 2>/dev/null |
			grep -q privnet-ok; then
			t_onion=$(( $(now_ms) - t0 ))
			echo "selftest: nodes running ${t_run} ms, consensus ${t_cons} ms, client bootstrapped ${t_boot} ms, onion reachable ${t_onion} ms (control $control)"
			return 0
		fi
		sleep 0.5
	done
	echo "selftest: onion not reachable within 120 s"
	return 1
}

for r in $(seq 1 "$runs"); do
	one_run
	kill -TERM "$resp" 2>/dev/null || true
	wait "$resp" 2>/dev/null || true
	resp=""
	"$privnet" stop "$work/net"
	rm -rf "$work"
	work=""
done
