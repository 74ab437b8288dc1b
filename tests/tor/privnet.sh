#!/usr/bin/env bash
# A private Tor network on 127.0.0.1, built from Debian's tor: 3 directory
# authorities and 3 relays (every one Guard, Exit and HSDir by vote; exits
# accept 127.0.0.0/8 only), self-stopping. The recipe and the timings it was
# measured with are in shared/reference/tor-privnet.md. Nothing here touches
# the public network: every node listens on 127.0.0.1 and knows only the
# private authorities.
#
# Usage:
#   privnet.sh start DIR [--bound SECONDS] [--owner PID]
#       Create DIR (keys, torrcs, logs), start the six nodes on free ports and
#       a watchdog that stops every tor of DIR after SECONDS (default 600), or
#       as soon as process PID is gone. Every torrc has
#       __OwningControllerProcess = the watchdog, so each tor also exits by
#       itself when the watchdog goes (a cancelled job leaves nothing).
#       Writes DIR/env (shell variables: ports, pids) and
#       DIR/client.torrc-include: the lines any other tor (a client, ilpd's
#       managed tor, an external tor) needs to join this network.
#   privnet.sh wait DIR [TIMEOUT]
#       Poll every authority's consensus until it lists every node (default
#       120 s). Exit 1 on timeout.
#   privnet.sh client DIR NAME SOCKSPORT CONTROLPORT [EXTRA_TORRC]
#       Start one client tor in DIR/NAME: SocksPort with ExtendedErrors,
#       ControlPort with CookieAuthentication 1 (cookie DIR/NAME/control_auth_cookie).
#       A port of 0 picks a free one. EXTRA_TORRC is a file of more torrc lines
#       (e.g. HiddenServiceDir). Starting NAME again reuses its DataDirectory.
#       Prints "pid=P socks=S control=C" and writes DIR/NAME/env.
#   privnet.sh stopnode DIR NAME
#       Stop one node by its recorded PID (TERM, then KILL after 5 s).
#   privnet.sh bootstrapped DIR NAME [TIMEOUT]
#       Wait until client NAME reports PROGRESS=100 on its control port.
#   privnet.sh stop DIR
#       Stop every process of DIR (tors and watchdog) by recorded PID: TERM,
#       then KILL after 5 s. Safe to call twice.
#   privnet.sh freeport DIR
#       Print one more free 127.0.0.1 port from DIR's range.
# A PID is signalled only while its /proc/PID/cmdline still names DIR, so a
# recycled PID is never hit. Needs: tor, tor-gencert, curl (install-deps.sh).
set -euo pipefail

die() { echo "privnet: $*" >&2; exit 1; }
now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# --- ports ---------------------------------------------------------------------
# A base derived from our PID, below the kernel's ephemeral range, then the
# next port not listening (checked with ss, and by connecting) is taken. The
# cursor is kept in DIR/ports.next so one network never hands a port out twice.
port_in_use() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
freeport() {
	local dir=$1 p
	p=$(cat "$dir/ports.next" 2>/dev/null || echo $((12000 + ($$ % 1500) * 12)))
	while port_in_use "$p"; do p=$((p + 1)); done
	[ "$p" -lt 32000 ] || p=12000
	echo $((p + 1)) > "$dir/ports.next"
	echo "$p"
}

# --- processes -----------------------------------------------------------------
ours() {  # pid dir: the process is alive and its command line names dir
	[ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$2"
}
stop_pids() {  # dir pid...: TERM, wait up to 5 s, KILL what is left
	local dir=$1 p i left
	shift
	for p in "$@"; do ours "$p" "$dir" && kill -TERM "$p" 2>/dev/null || true; done
	for i in $(seq 1 50); do
		left=0
		for p in "$@"; do ours "$p" "$dir" && left=1; done
		[ $left -eq 0 ] && return 0
		sleep 0.1
	done
	for p in "$@"; do ours "$p" "$dir" && kill -KILL "$p" 2>/dev/null || true; done
	return 0
}

# --- torrc pieces ----------------------------------------------------------------
common_torrc() {  # dir name wpid
	cat <<EOF
TestingTorNetwork 1
DataDirectory $1/$2
Nickname $2
PidFile $1/$2/tor.pid
Log notice file $1/$2/notice.log
RunAsDaemon 0
Sandbox 0
ClientUseIPv6 0
GeoIPFile ""
GeoIPv6File ""
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteGuard *
TestingDirAuthVoteHSDir *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
__OwningControllerProcess $3
%include $1/dirauth.torrc
EOF
}
relay_torrc() {  # orport
	cat <<EOF
SocksPort 0
ORPort 127.0.0.1:$1
Address 127.0.0.1
AssumeReachable 1
ContactInfo ilpd-privnet@localhost
ExitRelay 1
ExitPolicyRejectPrivate 0
ExitPolicy accept 127.0.0.0/8:*
ExitPolicy reject *:*
ServerDNSDetectHijacking 0
ServerDNSTestAddresses
ServerDNSResolvConfFile /dev/null
EOF
}
auth_torrc() {  # dirport
	cat <<EOF
DirPort 127.0.0.1:$1
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval 5
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVotingInterval 10
V3AuthVoteDelay 2
V3AuthDistDelay 2
EOF
}

launch() {  # dir name: start DIR/NAME/torrc, record the pid
	local dir=$1 name=$2 pid
	tor -f "$dir/$name/torrc" --ignore-missing-torrc > "$dir/$name/stdout.log" 2>&1 < /dev/null &
	pid=$!
	echo "$pid" > "$dir/$name/pid"
	echo "$pid $name" >> "$dir/pids"
}

watchdog() {  # dir bound owner: runs in the background until the bound
	local dir=$1 end=$(( $(date +%s) + $2 )) owner=$3
	while [ "$(date +%s)" -lt "$end" ]; do
		[ -f "$dir/stopped" ] && exit 0
		if [ "$owner" != 0 ] && ! kill -0 "$owner" 2>/dev/null; then break; fi
		sleep 1
	done
	echo "privnet: watchdog stopping $dir (bound or owner gone)" >> "$dir/watchdog.log"
	# shellcheck disable=SC2046
	stop_pids "$dir" $(awk -v me="$BASHPID" '$1 != me {print $1}' "$dir/pids" 2>/dev/null)
}

cmd_start() {
	local dir=$1 bound=600 owner=0 i name or dp v3 fp wpid t0
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--bound) bound=${2:?}; shift ;;
		--owner) owner=${2:?}; shift ;;
		*) die "start: unknown option $1" ;;
		esac
		shift
	done
	command -v tor > /dev/null && command -v tor-gencert > /dev/null ||
		die "tor and tor-gencert are needed (toolchain/install-deps.sh installs Debian's tor)"
	[ ! -e "$dir/env" ] || die "$dir already holds a network"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	t0=$(now_ms)
	: > "$dir/pids"
	# The watchdog first: its PID goes into every torrc.
	"$0" __watchdog "$dir" "$bound" "$owner" > /dev/null 2>&1 < /dev/null &
	wpid=$!
	echo "$wpid watchdog" >> "$dir/pids"
	: > "$dir/dirauth.torrc"
	{
		echo "PRIVNET_DIR=$dir"
		echo "PRIVNET_WATCHDOG=$wpid"
		echo "PRIVNET_T0_MS=$t0"
	} > "$dir/env"
	for i in 1 2 3; do
		name=auth$i
		or=$(freeport "$dir") dp=$(freeport "$dir")
		mkdir -p "$dir/$name/keys"
		chmod 700 "$dir/$name"
		(cd "$dir/$name/keys" && echo "" | tor-gencert --create-identity-key -m 12 \
			-a "127.0.0.1:$dp" -i authority_identity_key -s authority_signing_key \
			-c authority_certificate --passphrase-fd 0 > /dev/null 2>&1) ||
			die "tor-gencert failed for $name"
		tor --list-fingerprint --datadirectory "$dir/$name" --orport 1 --nickname "$name" \
			-f /dev/null --ignore-missing-torrc > /dev/null 2>&1 || die "no fingerprint for $name"
		v3=$(awk '$1 == "fingerprint" { print $2 }' "$dir/$name/keys/authority_certificate")
		fp=$(awk '{ print $2 }' "$dir/$name/fingerprint")
		echo "DirAuthority $name orport=$or no-v2 v3ident=$v3 127.0.0.1:$dp $fp" >> "$dir/dirauth.torrc"
		{ common_torrc "$dir" "$name" "$wpid"; relay_torrc "$or"; auth_torrc "$dp"; } > "$dir/$name/torrc"
		echo "PRIVNET_AUTH${i}_OR=$or PRIVNET_AUTH${i}_DIR=$dp" >> "$dir/env"
	done
	for i in 1 2 3; do
		name=relay$i
		or=$(freeport "$dir")
		mkdir -p "$dir/$name"
		chmod 700 "$dir/$name"
		{ common_torrc "$dir" "$name" "$wpid"; relay_torrc "$or"; echo "DirCache 0"; } > "$dir/$name/torrc"
		echo "PRIVNET_RELAY${i}_OR=$or" >> "$dir/env"
	done
	# What another tor needs to join: the authorities and the test-network
	# options. No DataDirectory, ports or __OwningControllerProcess here: the
	# includer owns those.
	{
		echo "# Written by tests/tor/privnet.sh: join the private network in $dir"
		echo "TestingTorNetwork 1"
		cat "$dir/dirauth.torrc"
		echo "Sandbox 0"
		echo "ClientUseIPv6 0"
		echo 'GeoIPFile ""'
		echo 'GeoIPv6File ""'
		echo "PathsNeededToBuildCircuits 0.67"
		echo "V3AuthNIntervalsValid 2"
	} > "$dir/client.torrc-include"
	for name in auth1 auth2 auth3 relay1 relay2 relay3; do launch "$dir" "$name"; done
	sleep 0.5
	for name in auth1 auth2 auth3 relay1 relay2 relay3; do
		ours "$(cat "$dir/$name/pid")" "$dir" || {
			tail -5 "$dir/$name/stdout.log" "$dir/$name/notice.log" >&2 2>/dev/null || true
			cmd_stop "$dir"
			die "$name exited at start"
		}
	done
	awk '{ printf "PRIVNET_PID_%s=%s\n", $2, $1 }' "$dir/pids" >> "$dir/env"
	echo "privnet: 6 nodes running in $dir after $(( $(now_ms) - t0 )) ms (bound ${bound}s, watchdog $wpid)"
}

consensus_count() {  # dirport: number of routers in that authority's consensus
	curl -s --max-time 2 "http://127.0.0.1:$1/tor/status-vote/current/consensus" 2>/dev/null |
		grep -c '^r ' || true
}

cmd_wait() {
	local dir=$1 timeout=${2:-120} end n i dp ok
	# shellcheck disable=SC1091
	. "$dir/env"
	end=$(( $(date +%s) + timeout ))
	while :; do
		ok=1
		for i in 1 2 3; do
			dp=$(eval echo "\$PRIVNET_AUTH${i}_DIR")
			n=$(consensus_count "$dp")
			[ "${n:-0}" -ge 6 ] || ok=0
		done
		if [ $ok -eq 1 ]; then
			echo "privnet: consensus lists all 6 nodes at every authority, $(( $(now_ms) - PRIVNET_T0_MS )) ms after start"
			return 0
		fi
		[ "$(date +%s)" -lt "$end" ] || die "no full consensus within ${timeout}s (see $dir/*/notice.log)"
		sleep 0.5
	done
}

cmd_client() {
	local dir=$1 name=$2 socks=$3 control=$4 extra=${5:-} wpid
	[ -f "$dir/env" ] || die "$dir has no network"
	dir=$(cd "$dir" && pwd)
	# shellcheck disable=SC1091
	. "$dir/env"
	wpid=$PRIVNET_WATCHDOG
	[ "$socks" != 0 ] || socks=$(freeport "$dir")
	[ "$control" != 0 ] || control=$(freeport "$dir")
	mkdir -p "$dir/$name"
	chmod 700 "$dir/$name"
	{
		common_torrc "$dir" "$name" "$wpid"
		echo "SocksPort 127.0.0.1:$socks ExtendedErrors"
		echo "ControlPort 127.0.0.1:$control"
		echo "CookieAuthentication 1"
		echo "CookieAuthFile $dir/$name/control_auth_cookie"
		[ -z "$extra" ] || cat "$extra"
	} > "$dir/$name/torrc"
	launch "$dir" "$name"
	echo "PRIVNET_CLIENT_PID=$(cat "$dir/$name/pid") PRIVNET_CLIENT_SOCKS=$socks PRIVNET_CLIENT_CONTROL=$control" > "$dir/$name/env"
	echo "pid=$(cat "$dir/$name/pid") socks=$socks control=$control"
}

# Ask a control port: authenticate with the cookie, send one command.
control_ask() {  # port cookiefile command
	local hex
	hex=$(od -An -tx1 -v "$2" | tr -d ' \n')
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'AUTHENTICATE %s\r\n%s\r\nQUIT\r\n' "$hex" "$3" >&3
	timeout 5 cat <&3 || true
	exec 3<&-
}

cmd_bootstrapped() {
	local dir=$1 name=$2 timeout=${3:-120} end
	dir=$(cd "$dir" && pwd)
	# shellcheck disable=SC1091
	. "$dir/$name/env"
	end=$(( $(date +%s) + timeout ))
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ -f "$dir/$name/control_auth_cookie" ] &&
			control_ask "$PRIVNET_CLIENT_CONTROL" "$dir/$name/control_auth_cookie" \
				'GETINFO status/bootstrap-phase' 2>/dev/null | grep -q 'PROGRESS=100'; then
			return 0
		fi
		sleep 0.5
	done
	die "$name not bootstrapped within ${timeout}s (see $dir/$name/notice.log)"
}

cmd_stopnode() {
	local dir=$1 name=$2
	dir=$(cd "$dir" && pwd)
	[ -f "$dir/$name/pid" ] || die "no node $name in $dir"
	stop_pids "$dir" "$(cat "$dir/$name/pid")"
}

cmd_stop() {
	local dir=$1
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd)
	touch "$dir/stopped"
	# shellcheck disable=SC2046
	stop_pids "$dir" $(awk '{print $1}' "$dir/pids" 2>/dev/null)
}

[ $# -ge 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
cmd=$1
shift
case "$cmd" in
start) cmd_start "$@" ;;
wait) cmd_wait "$@" ;;
client) [ $# -ge 4 ] || die "usage: client DIR NAME SOCKSPORT CONTROLPORT [EXTRA_TORRC]"; cmd_client "$@" ;;
bootstrapped) cmd_bootstrapped "$@" ;;
stopnode) cmd_stopnode "$@" ;;
stop) cmd_stop "$@" ;;
freeport) freeport "$(cd "$1" && pwd)" ;;
__watchdog) watchdog "$@" ;;
*) die "unknown command $cmd" ;;
esac
