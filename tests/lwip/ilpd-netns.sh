#!/usr/bin/env bash
# Stand-in "ilpd" that runs the lwIP build of ilpd on the TAP device of the
# test's network namespace, so test suites written for a loopback ilpd
# (tests/interop, tests/alloc) run unchanged against it. tests/lwip/run.sh
# runs those suites inside the namespace with this script as ILPD_PATH.
#
# With `-c FILE` it writes FILE.lwip.ini, a copy of FILE in which
#   - `listen = 127.0.0.1:P` becomes `listen = 0.0.0.0:P` (lwIP has no
#     loopback interface), and an iptables DNAT rule in the namespace sends
#     the Linux side's connections to 127.0.0.1:P on to lwIP's address;
#   - a peer `url = ws://127.0.0.1:Q/...` becomes ws://GATEWAY:Q/... (lwIP
#     does not route 127/8), and a DNAT rule sends what arrives from the TAP
#     device for GATEWAY:Q to the Linux listener on 127.0.0.1:Q;
#   - a [local] handler_url = http://127.0.0.1:R becomes http://GATEWAY:R
#     (allow_remote = true added), DNAT'ed like a peer's url;
#   - [admin] gets allowed_ips = 127.0.0.0/8, ::1, GATEWAY/32: the Linux
#     side's connections arrive from GATEWAY;
#   - a [netif] section (device, addresses) is appended;
# then execs the real ilpd on it (under the emulator, if any): the PID,
# the signals and the exit status are ilpd's own. Other arguments (e.g.
# --check-config) go to ilpd unchanged.
#
# Environment (set by tests/lwip/run.sh): ILPD_LWIP_BIN (the lwIP ilpd),
# ILPD_LWIP_EMU (emulator command, may be empty), ILPD_LWIP_IF (TAP device),
# ILPD_LWIP_ADDR / ILPD_LWIP_GW (lwIP's and the Linux side's IPv4 address),
# ILPD_LWIP_PREFIX (IPv4 prefix length), ILPD_LWIP_ADDR6 (lwIP's IPv6
# address with /64, may be empty).
set -euo pipefail

: "${ILPD_LWIP_BIN:?}" "${ILPD_LWIP_IF:?}" "${ILPD_LWIP_ADDR:?}" "${ILPD_LWIP_GW:?}"
emu=()
if [ -n "${ILPD_LWIP_EMU:-}" ]; then
	read -r -a emu <<<"$ILPD_LWIP_EMU"
fi

# nat RULE...: add the rule to table nat unless it is there already.
nat() {
	iptables -t nat -C "$@" 2>/dev/null || iptables -t nat -A "$@"
}

rewrite() {   # IN OUT
	local line host port rest
	: >"$2"
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^([[:space:]]*listen[[:space:]]*=[[:space:]]*)127\.0\.0\.1:([0-9]+)(.*)$ ]]; then
			port=${BASH_REMATCH[2]}
			line="${BASH_REMATCH[1]}0.0.0.0:$port${BASH_REMATCH[3]}"
			nat OUTPUT -d 127.0.0.1 -p tcp --dport "$port" \
				-j DNAT --to-destination "$ILPD_LWIP_ADDR"
		elif [[ $line =~ ^([[:space:]]*handler_url[[:space:]]*=[[:space:]]*http://)(127\.0\.0\.1|localhost):([0-9]+)(.*)$ ]]; then
			# [local] handler_url: the business-logic server on the
			# Linux side's 127.0.0.1, reached at GATEWAY like a peer's url
			# (not loopback for ilpd, so allow_remote = true is added)
			port=${BASH_REMATCH[3]}
			line="${BASH_REMATCH[1]}$ILPD_LWIP_GW:$port${BASH_REMATCH[4]}"$'\n'"allow_remote = true"
			nat PREROUTING -i "$ILPD_LWIP_IF" -d "$ILPD_LWIP_GW" -p tcp --dport "$port" \
				-j DNAT --to-destination "127.0.0.1:$port"
		elif [[ $line =~ ^[[:space:]]*\[admin\][[:space:]]*$ ]]; then
			# the Linux side's connections reach lwIP from GATEWAY (the
			# namespace masquerades): let it use the admin API as 127.0.0.1
			line="$line"$'\n'"allowed_ips = 127.0.0.0/8, ::1, $ILPD_LWIP_GW/32"
		elif [[ $line =~ ^([[:space:]]*url[[:space:]]*=[[:space:]]*wss?://)(127\.0\.0\.1|localhost):([0-9]+)(.*)$ ]]; then
			host=${BASH_REMATCH[2]}
			port=${BASH_REMATCH[3]}
			rest=${BASH_REMATCH[4]}
			line="${BASH_REMATCH[1]}$ILPD_LWIP_GW:$port$rest"
			nat PREROUTING -i "$ILPD_LWIP_IF" -d "$ILPD_LWIP_GW" -p tcp --dport "$port" \
				-j DNAT --to-destination "127.0.0.1:$port"
			: "$host"
		fi
		printf '%s\n' "$line" >>"$2"
	done <"$1"
	{
		echo
		echo "; added by tests/lwip/ilpd-netns.sh"
		echo "[netif]"
		echo "driver = tap"
		echo "name = $ILPD_LWIP_IF"
		echo "address = $ILPD_LWIP_ADDR/${ILPD_LWIP_PREFIX:-24}"
		echo "gateway = $ILPD_LWIP_GW"
		if [ -n "${ILPD_LWIP_ADDR6:-}" ]; then
			echo "address6 = $ILPD_LWIP_ADDR6"
		fi
	} >>"$2"
}

args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[$i]}" in
	-c | --config)
		if [ $((i + 1)) -lt ${#args[@]} ]; then
			in=${args[$((i + 1))]}
			out=$in.lwip.ini
			rewrite "$in" "$out"
			args[i + 1]=$out
		fi
		;;
	esac
done
exec "${emu[@]}" "$ILPD_LWIP_BIN" "${args[@]}"
