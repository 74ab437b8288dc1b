#!/usr/bin/env bash
# The Debian package test (step `deb` of tests/run-all.sh, issue 13):
#  1. build: toolchain/mkdeb.sh builds the amd64 package (board host) and the
#     arm64 one (board rpi, cross) with dpkg-buildpackage in a temporary copy.
#  2. lintian -I --pedantic on each arch's .changes (ilpd + ilpd-dbgsym):
#     no error, warning, info or pedantic tag (overrides in
#     debian/ilpd.lintian-overrides carry their reasons).
#  3. the unit: `systemd-analyze security --offline=true` of
#     debian/ilpd.service reports an overall exposure of 2.0 or lower.
#  4. contents: the file list (ilpd, ilpctl, man pages, unit, ilpd.ini), the
#     conffile, Depends/Recommends; the shipped ilpd.ini passes
#     `ilpd --check-config`; `man` renders both pages; the arm64 binary runs
#     under qemu-aarch64.
#  5. sd_notify and the journal, with the packaged amd64 ilpd: READY=1,
#     RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM arrive on an
#     abstract NOTIFY_SOCKET; with JOURNAL_STREAM naming stderr, lines carry
#     "<N>" priority prefixes.
#  6. install/remove/purge for real, in a throwaway Debian bookworm chroot
#     (mmdebstrap minbase + adduser, procps, systemd, tor, curl, cached as a
#     tarball for 7 days under ~/.cache/ilpd/deb-chroot) inside a private mount and network namespace
#     (unshare), so nothing on this machine changes: dpkg -i creates the
#     ilpd user (system uid, nologin), /var/lib/ilpd 0700 ilpd:ilpd,
#     ilpd.ini 0640 root:ilpd, enables the unit; ilpd runs in the chroot as
#     user ilpd and answers /health; dpkg -r keeps the edited conffile and
#     the ledger; a reinstall keeps them; dpkg --purge removes /etc/ilpd,
#     /var/lib/ilpd, the statoverride and the unit links, and leaves
#     nothing else behind but the ilpd user/group (Debian practice) and
#     dpkg's own records.
#  7. the unit under a real systemd: the same chroot, fresh, with the package
#     installed, booted with systemd-nspawn -b --private-network (its own
#     loopback; nothing of this machine is touched); tests/deb/boot-check.sh
#     runs inside as a service: Type=notify start, STATUS, /health, user ilpd,
#     the online exposure, reload (good and refused), journal priorities,
#     managed tor started inside the sandbox, external mode against Debian's
#     tor@default (no control connection without, one with the drop-in
#     SupplementaryGroups=debian-tor), clean stop, ExecStartPre refusing a
#     broken file (bounded retries, then failed for good).
# Prints PASS:/FAIL: lines, the time of each part and "N passed, N failed".
#
# Usage: tests/deb/run.sh [--no-cross] [--keep] [--worktree]
#   --worktree  package the working tree, not HEAD (toolchain/mkdeb.sh)
# Env:   ILPD_DEB_MIRROR (default: http://deb.debian.org/debian)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

# --- the chroot part, run inside `unshare --mount --net` (see below) -------------------
if [ "${1:-}" = --inner ]; then
	shift
	chr="$1" deb="$2" out="$3"
	passed=0 failed=0
	. "$root/tests/lib/report.sh"
	ip link set lo up
	mount -t proc proc "$chr/proc"
	inc() { chroot "$chr" "$@"; }
	# No service starts inside the chroot (there is no systemd anyway).
	printf '#!/bin/sh\nexit 101\n' > "$chr/usr/sbin/policy-rc.d"
	chmod 755 "$chr/usr/sbin/policy-rc.d"
	# What the chroot holds before the package, to compare after the purge.
	list() { (cd "$chr" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg -o \
		-path ./var/log -o -path ./var/cache -o -path ./tmp -o -path ./run \) -prune -o -print | sort); }
	list > "$out/before.txt"
	cp "$deb" "$chr/tmp/ilpd.deb"

	if inc dpkg -i /tmp/ilpd.deb > "$out/install.log" 2>&1; then ok "dpkg -i in the chroot"
	else bad "dpkg -i in the chroot: $(tail -5 "$out/install.log")"; finish; fi
	pw=$(inc getent passwd ilpd || true)
	IFS=: read -r _ _ uid _ _ home shell <<< "$pw"
	if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/ilpd ] &&
		[ "$shell" = /usr/sbin/nologin ]; then ok "postinst made the system user: $pw"
	else bad "system user ilpd: '$pw'"; fi
	inc getent group ilpd >/dev/null && ok "group ilpd exists" || bad "no group ilpd"
	st=$(inc stat -c '%a %U %G' /var/lib/ilpd 2>&1)
	[ "$st" = "700 ilpd ilpd" ] && ok "/var/lib/ilpd is $st" || bad "/var/lib/ilpd is '$st'"
	st=$(inc stat -c '%a %U %G' /etc/ilpd/ilpd.ini 2>&1)
	[ "$st" = "640 root ilpd" ] && ok "/etc/ilpd/ilpd.ini is $st (statoverride)" ||
		bad "/etc/ilpd/ilpd.ini is '$st'"
	inc dpkg-query -W -f='${Conffiles}\n' ilpd | grep -q '^ /etc/ilpd/ilpd.ini ' &&
		ok "dpkg knows /etc/ilpd/ilpd.ini as a conffile" || bad "ilpd.ini is not a conffile"
	[ -L "$chr/etc/systemd/system/multi-user.target.wants/ilpd.service" ] &&
		ok "the unit is enabled (multi-user.target.wants)" || bad "the unit is not enabled"
	[ -f "$chr/lib/systemd/system/ilpd.service" ] && ok "the unit is installed" ||
		bad "no /lib/systemd/system/ilpd.service"
	r=$(inc runuser -u ilpd -- /usr/sbin/ilpd --check-config /etc/ilpd/ilpd.ini 2>&1)
	[ "$r" = "/etc/ilpd/ilpd.ini: ok" ] && ok "ExecStartPre as user ilpd: $r" ||
		bad "--check-config as ilpd: $r"

	# The packaged daemon as the unit would run it: user ilpd, its config,
	# state in /var/lib/ilpd, readiness over NOTIFY_SOCKET.
	python3 "$root/tests/deb/notify_listen.py" ilpd-deb-chroot 20 "$out/chroot-notify.txt" &
	lp=$!
	# OUT exists once the socket is bound
	for _ in $(seq 100); do [ -e "$out/chroot-notify.txt" ] && break; sleep 0.1; done
	chroot --userspec=ilpd:ilpd "$chr" env -i NOTIFY_SOCKET=@ilpd-deb-chroot \
		/usr/sbin/ilpd -c /etc/ilpd/ilpd.ini 2> "$out/chroot-ilpd.log" &
	ip=$!
	for _ in $(seq 50); do grep -q READY "$out/chroot-notify.txt" 2>/dev/null && break; sleep 0.1; done
	grep -q 'READY=1' "$out/chroot-notify.txt" && ok "ilpd (user ilpd) sent READY=1" ||
		bad "no READY=1 from ilpd in the chroot: $(tail -3 "$out/chroot-ilpd.log")"
	h=$(curl -s -m 5 http://127.0.0.1:7769/health)
	case "$h" in *'"status":"ok"'* | *healthy* | *'"ok"'*) ok "/health answers: ${h:0:80}" ;;
	*) bad "/health: '${h:0:200}'" ;; esac
	st=$(inc stat -c '%a %U' /var/lib/ilpd/ledger.state 2>&1)
	[ "$st" = "600 ilpd" ] && ok "ledger.state created $st" || bad "ledger.state: '$st'"
	kill -TERM "$ip"
	wait "$ip"
	rc=$?
	[ "$rc" = 0 ] && ok "ilpd stopped cleanly on SIGTERM" || bad "ilpd exit $rc on SIGTERM"
	wait "$lp"
	grep -q STOPPING "$out/chroot-notify.txt" && ok "STOPPING=1 sent" || bad "no STOPPING=1"

	# remove: conffile (edited) and state stay
	echo "; local edit (tests/deb)" >> "$chr/etc/ilpd/ilpd.ini"
	inc dpkg -r ilpd > "$out/remove.log" 2>&1 && ok "dpkg -r" || bad "dpkg -r: $(tail -3 "$out/remove.log")"
	[ ! -e "$chr/usr/sbin/ilpd" ] && [ ! -e "$chr/usr/bin/ilpctl" ] && ok "remove: binaries gone" ||
		bad "remove left binaries"
	grep -q 'local edit' "$chr/etc/ilpd/ilpd.ini" 2>/dev/null && ok "remove: edited conffile kept" ||
		bad "remove: conffile lost"
	[ -f "$chr/var/lib/ilpd/ledger.state" ] && ok "remove: /var/lib/ilpd/ledger.state kept" ||
		bad "remove: state lost"
	s=$(inc dpkg-query -W -f='${Status}' ilpd 2>&1)
	[ "$s" = "deinstall ok config-files" ] && ok "remove: status '$s'" || bad "remove: status '$s'"

	# reinstall (an upgrade path): the edit and the state survive
	inc dpkg -i /tmp/ilpd.deb > "$out/reinstall.log" 2>&1 && ok "reinstall" ||
		bad "reinstall: $(tail -3 "$out/reinstall.log")"
	grep -q 'local edit' "$chr/etc/ilpd/ilpd.ini" && [ -f "$chr/var/lib/ilpd/ledger.state" ] &&
		ok "reinstall kept the edited conffile and the ledger" || bad "reinstall lost conffile or state"
	st=$(inc stat -c '%a %U %G' /etc/ilpd/ilpd.ini 2>&1)
	[ "$st" = "640 root ilpd" ] && ok "reinstall: ilpd.ini still $st" || bad "reinstall: ilpd.ini '$st'"

	# purge: everything of ilpd's goes, but its user (Debian practice)
	inc dpkg --purge ilpd > "$out/purge.log" 2>&1 && ok "dpkg --purge" ||
		bad "dpkg --purge: $(tail -3 "$out/purge.log")"
	[ ! -e "$chr/etc/ilpd" ] && ok "purge: /etc/ilpd gone" || bad "purge: /etc/ilpd left: $(ls -la "$chr/etc/ilpd")"
	[ ! -e "$chr/var/lib/ilpd" ] && ok "purge: /var/lib/ilpd gone" || bad "purge: /var/lib/ilpd left"
	inc dpkg-statoverride --list /etc/ilpd/ilpd.ini >/dev/null 2>&1 &&
		bad "purge: statoverride left" || ok "purge: statoverride removed"
	s=$(inc dpkg-query -W -f='${Status}' ilpd 2>/dev/null || true)
	[ -z "$s" ] || [ "$s" = "unknown ok not-installed" ] && ok "purge: dpkg forgot ilpd" ||
		bad "purge: status '$s'"
	list > "$out/after.txt"
	# Expected differences: the user in the account files (and their
	# backups), deb-systemd-helper's state, policy-rc.d of this test.
	# /run (adduser's lock file) is a tmpfs on a real system: not compared.
	left=$(comm -13 "$out/before.txt" "$out/after.txt" |
		grep -v -E '^\./etc/(passwd|group|shadow|gshadow)-?$|^\./var/lib/systemd(/deb-systemd-helper-(enabled|masked))?$|^\./usr/sbin/policy-rc\.d$' || true)
	gone=$(comm -23 "$out/before.txt" "$out/after.txt" || true)
	[ -z "$left" ] && ok "purge left nothing else behind" || bad "purge left: $(echo $left)"
	[ -z "$gone" ] && ok "purge removed nothing it did not install" || bad "gone after purge: $(echo $gone)"
	umount "$chr/proc"
	finish
fi

passed=0 failed=0
. "$root/tests/lib/report.sh"
cross=1 keep=0 src=""
for a in "$@"; do
	case "$a" in
	--no-cross) cross=0 ;;
	--keep) keep=1 ;;
	--worktree) src=--worktree ;;
	*) echo "usage: tests/deb/run.sh [--no-cross] [--keep] [--worktree]" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/ilpd-deb-test.XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
t_all=$(date +%s)
stamp() { echo "time: $1 $(( $(date +%s) - $2 )) s"; }

# --- 1. build ----------------------------------------------------------------------------
t=$(date +%s)
arches="amd64"
[ "$cross" = 1 ] && arches="amd64 arm64"
# shellcheck disable=SC2086
if "$root/toolchain/mkdeb.sh" $arches $src --out "$work/out" > "$work/mkdeb.log" 2>&1; then
	ok "mkdeb.sh $arches ($(grep -m1 '^mkdeb: source:' "$work/mkdeb.log" | cut -d' ' -f3-))"
else
	cat "$work/mkdeb.log"
	die "mkdeb.sh $arches failed"
fi
stamp build "$t"
ver=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
deb64="$work/out/ilpd_${ver}_amd64.deb"
[ -f "$deb64" ] || die "no $deb64"

# --- 2. lintian --------------------------------------------------------------------------
t=$(date +%s)
# Per .changes, so each arch's ilpd and ilpd-dbgsym are checked together (the
# dbgsym's doc symlink points into ilpd: alone it gets an info tag).
for d in "$work"/out/*.changes; do
	l=$(lintian -I --pedantic "$d" 2>&1 | grep -v 'running with root privileges' || true)
	[ -z "$l" ] && ok "lintian -I --pedantic $(basename "$d"): clean" ||
		bad "lintian $(basename "$d"): $l"
done
stamp lintian "$t"

# --- 3. the unit's exposure --------------------------------------------------------------
sa=$(systemd-analyze security --offline=true "$root/debian/ilpd.service" 2>&1)
exp=$(echo "$sa" | sed -n 's/.*Overall exposure level for ilpd.service: \([0-9.]*\).*/\1/p')
if [ -n "$exp" ] && awk -v e="$exp" 'BEGIN { exit !(e <= 2.0) }'; then
	ok "systemd-analyze security: exposure $exp (<= 2.0)"
else
	echo "$sa" | grep -E '✗|Overall'
	bad "systemd-analyze security: exposure '${exp:-?}' (want <= 2.0)"
fi
for k in Type=notify "ExecStartPre=/usr/sbin/ilpd --check-config /etc/ilpd/ilpd.ini" \
	"ExecStart=/usr/sbin/ilpd -c /etc/ilpd/ilpd.ini" "ExecReload=/bin/kill -HUP \$MAINPID" \
	User=ilpd StateDirectory=ilpd StateDirectoryMode=0700 CapabilityBoundingSet= \
	ProtectSystem=strict NoNewPrivileges=yes MemoryDenyWriteExecute=yes \
	SystemCallFilter=@system-service ReadWritePaths=/var/lib/ilpd UMask=0077; do
	grep -q -F -x -- "$k" "$root/debian/ilpd.service" && ok "unit has $k" || bad "unit lacks $k"
done

# --- 4. contents -------------------------------------------------------------------------
t=$(date +%s)
files=$(dpkg-deb -c "$deb64" | awk '{ print $NF }')
for f in ./usr/sbin/ilpd ./usr/bin/ilpctl ./usr/share/man/man8/ilpd.8.gz \
	./usr/share/man/man1/ilpctl.1.gz ./lib/systemd/system/ilpd.service ./etc/ilpd/ilpd.ini \
	./usr/share/doc/ilpd/copyright ./usr/share/doc/ilpd/install.md.gz; do
	echo "$files" | grep -qx -- "$f" && ok "package holds $f" || bad "package lacks $f"
done
dpkg-deb -e "$deb64" "$work/ctl"
grep -qx /etc/ilpd/ilpd.ini "$work/ctl/conffiles" && ok "conffiles: /etc/ilpd/ilpd.ini" ||
	bad "conffiles: $(cat "$work/ctl/conffiles" 2>&1)"
[ "$(dpkg-deb -f "$deb64" Recommends)" = tor ] && ok "Recommends: tor" || bad "Recommends: $(dpkg-deb -f "$deb64" Recommends)"
dpkg-deb -x "$deb64" "$work/x"
r=$("$work/x/usr/sbin/ilpd" --check-config "$work/x/etc/ilpd/ilpd.ini" 2>&1)
case "$r" in *": ok") ok "shipped ilpd.ini passes --check-config" ;; *) bad "ilpd.ini: $r" ;; esac
for k in "listen = 127.0.0.1:7768" "listen = 127.0.0.1:7769" "durability = sync" \
	"state_file = /var/lib/ilpd/ledger.state"; do
	grep -qx "$k" "$work/x/etc/ilpd/ilpd.ini" && ok "ilpd.ini: $k" || bad "ilpd.ini lacks '$k'"
done
grep -q '^\[peer' "$work/x/etc/ilpd/ilpd.ini" && bad "ilpd.ini has a peer" || ok "ilpd.ini: no peers"
for m in man8/ilpd.8.gz man1/ilpctl.1.gz; do
	n=$(MANWIDTH=80 man -l "$work/x/usr/share/man/$m" 2>"$work/man.err" | wc -l)
	[ "$n" -gt 20 ] && [ ! -s "$work/man.err" ] && ok "man renders $m ($n lines)" ||
		bad "man $m: $n lines, $(head -3 "$work/man.err")"
done
if [ "$cross" = 1 ]; then
	d=$work/out/ilpd_${ver}_arm64.deb
	dpkg-deb -x "$d" "$work/x64"
	[ "$(dpkg-deb -f "$d" Architecture)" = arm64 ] && ok "arm64 package: Architecture arm64" || bad "arm64 arch"
	v=$(qemu-aarch64 "$work/x64/usr/sbin/ilpd" --version 2>&1)
	[ "$v" = "ilpd $ver (board rpi)" ] && ok "arm64 ilpd runs under qemu: $v" || bad "arm64 ilpd: $v"
fi
stamp contents "$t"

# --- 5. sd_notify and the journal prefixes, packaged binary ------------------------------
t=$(date +%s)
port0=$((20000 + $$ % 5000))
sed -e "s/127.0.0.1:7768/127.0.0.1:$port0/; s/127.0.0.1:7769/127.0.0.1:$((port0 + 1))/" \
	-e "s#/var/lib/ilpd/ledger.state#$work/ledger.state#" "$work/x/etc/ilpd/ilpd.ini" > "$work/t.ini"
name="ilpd-deb-test-$$"
python3 "$root/tests/deb/notify_listen.py" "$name" 20 "$work/notify.txt" &
lp=$!
for _ in $(seq 100); do [ -e "$work/notify.txt" ] && break; sleep 0.1; done
: > "$work/journal.txt"
js=$(stat -c '%d:%i' "$work/journal.txt")
NOTIFY_SOCKET="@$name" JOURNAL_STREAM="$js" "$work/x/usr/sbin/ilpd" -c "$work/t.ini" 2>> "$work/journal.txt" &
ip=$!
for _ in $(seq 50); do grep -q READY "$work/notify.txt" 2>/dev/null && break; sleep 0.1; done
kill -HUP "$ip"
for _ in $(seq 50); do [ "$(grep -c READY "$work/notify.txt")" -ge 2 ] && break; sleep 0.1; done
kill -TERM "$ip"
wait "$ip"
wait "$lp"
got=$(tr '\n' ' ' < "$work/notify.txt")
want="'READY=1\\nSTATUS=running' 'RELOADING=1' 'READY=1' 'STOPPING=1' "
[ "$got" = "$want" ] && ok "sd_notify: $got" || bad "sd_notify: got [$got], want [$want]"
grep -q '^<6>ts=.* level=info event=config.loaded' "$work/journal.txt" &&
	! grep -q -v '^<[3467]>ts=' "$work/journal.txt" &&
	ok "JOURNAL_STREAM: every line has its <N> priority" ||
	bad "journal prefixes: $(head -3 "$work/journal.txt")"
stamp notify "$t"

# --- 6. install, remove, purge in a throwaway chroot -------------------------------------
t=$(date +%s)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ilpd/deb-chroot"
mkdir -p "$cache"
tarball="$cache/bookworm-ilpd-test.tar"
mirror="${ILPD_DEB_MIRROR:-http://deb.debian.org/debian}"
if [ -z "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
	if mmdebstrap --mode=root --variant=minbase \
		--include=adduser,init-system-helpers,procps,systemd,systemd-sysv,dbus,tor,curl \
		bookworm "$tarball.tmp.tar" "$mirror" > "$work/mmdebstrap.log" 2>&1; then
		mv "$tarball.tmp.tar" "$tarball"
	else
		tail -20 "$work/mmdebstrap.log"
		rm -f "$tarball.tmp.tar"
	fi
fi
if [ -f "$tarball" ]; then
	mkdir "$work/chroot"
	tar -C "$work/chroot" -xf "$tarball"
	stamp chroot-ready "$t"
	unshare --mount --net --fork -- "$0" --inner "$work/chroot" "$deb64" "$work"
	rc=$?
	# The inner run printed its own PASS/FAIL lines and counts.
	[ "$rc" = 0 ] && ok "chroot install/remove/purge" || bad "chroot install/remove/purge (see above)"
else
	bad "no bookworm chroot (mmdebstrap failed, see above)"
fi
stamp chroot "$t"

# --- 7. the unit under systemd (systemd-nspawn boot) -------------------------------------
t=$(date +%s)
if ! command -v systemd-nspawn >/dev/null; then
	bad "systemd-nspawn missing (systemd-container; toolchain/install-deps.sh)"
elif [ -f "$tarball" ]; then
	ns="$work/ns"
	mkdir "$ns"
	tar -C "$ns" -xf "$tarball"
	cp "$deb64" "$ns/tmp/ilpd.deb"
	printf '#!/bin/sh\nexit 101\n' > "$ns/usr/sbin/policy-rc.d"
	chmod 755 "$ns/usr/sbin/policy-rc.d"
	chroot "$ns" dpkg -i /tmp/ilpd.deb > "$work/ns-install.log" 2>&1 ||
		bad "dpkg -i for the boot: $(tail -3 "$work/ns-install.log")"
	rm -f "$ns/usr/sbin/policy-rc.d" "$ns/etc/systemd/system/multi-user.target.wants/tor.service"
	install -m 755 "$root/tests/deb/boot-check.sh" "$ns/usr/local/bin/ilpd-check"
	printf '[Unit]\nAfter=ilpd.service\n[Service]\nType=oneshot\nExecStart=/usr/local/bin/ilpd-check\n' \
		> "$ns/etc/systemd/system/ilpd-check.service"
	ln -s /etc/systemd/system/ilpd-check.service \
		"$ns/etc/systemd/system/multi-user.target.wants/ilpd-check.service"
	# No machined or systemd on this host: --register=no --keep-unit.
	timeout 180 systemd-nspawn -q --register=no --keep-unit -D "$ns" -b --private-network \
		> "$work/nspawn.log" 2>&1 < /dev/null
	rc=$?
	if [ -f "$ns/root/result.txt" ]; then
		while IFS= read -r line; do
			case "$line" in
			PASS:*) ok "boot: ${line#PASS: }" ;;
			FAIL:*) bad "boot: ${line#FAIL: }" ;;
			esac
		done < "$ns/root/result.txt"
		grep -q '^DONE$' "$ns/root/result.txt" && ok "boot: checks ran to the end" ||
			bad "boot: checks did not finish: $(tail -5 "$ns/root/result.txt")"
	else
		bad "boot: no result (nspawn rc $rc): $(tail -15 "$work/nspawn.log")"
	fi
	[ "$rc" = 0 ] && ok "boot: container powered off (rc 0)" || bad "boot: nspawn rc $rc"
else
	bad "no chroot tarball for the boot test"
fi
stamp boot "$t"
stamp total "$t_all"
finish
