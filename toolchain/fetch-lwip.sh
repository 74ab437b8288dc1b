#!/usr/bin/env bash
# Fetch Debian's lwIP source package (2.1.3+dfsg1-*) and unpack it, with
# Debian's patches applied, for the ILPD_NET=lwip build (toolchain/lwip.cmake).
# lwIP is never vendored into the repository: every machine fetches it.
#
# Usage: toolchain/fetch-lwip.sh [DEST]     (default: <repo>/build/_deps/lwip)
#
# - apt runs on a PRIVATE configuration under $(dirname DEST)/lwip-apt: its
#   own sources list (deb-src of the Debian archive /etc/apt already uses,
#   signed-by the Debian archive keyring), package lists and cache. The
#   system's apt state is never read or written beyond its apt.conf.d
#   (proxies). No root needed; as root, downloads run as _apt like apt's own.
# - Idempotent: a DEST holding the expected version (stamp file
#   DEST/.ilpd-lwip-version) is left alone. Concurrent runs serialise on a
#   lock file next to DEST; the tree appears in DEST only when complete.
# - Prints "fetch-lwip: <version> in <DEST> (<seconds> s)" on success; any
#   failure prints why and exits non-zero.
# Needs: apt, dpkg-dev (dpkg-source), debian-archive-keyring, xz-utils, flock
# (all installed by toolchain/install-deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/build/_deps/lwip}"
WANT_RE='^2\.1\.3\+dfsg1-[0-9.]+$'   # the lwIP ilpd's lwipopts.h was written for
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
t0=$EPOCHREALTIME

die() {
	echo "fetch-lwip: ERROR: $*" >&2
	exit 1
}

for tool in apt-get dpkg-source flock; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (run toolchain/install-deps.sh: apt, dpkg-dev, util-linux)"
done
[ -r "$KEYRING" ] || die "$KEYRING missing (install debian-archive-keyring)"

mkdir -p "$(dirname "$DEST")"
DEST="$(cd "$(dirname "$DEST")" && pwd)/$(basename "$DEST")"
PRIV="$(dirname "$DEST")/lwip-apt"
STAMP="$DEST/.ilpd-lwip-version"

elapsed() {
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# A complete, expected tree: nothing to do.
have_tree() {
	[ -f "$STAMP" ] && [ -f "$DEST/src/Filelists.cmake" ] &&
		grep -Eq "$WANT_RE" "$STAMP"
}

# The Debian archive the system already uses (deb822 .sources or one-line
# .list), and the release codename.
archive_uri() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++)
			if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")"
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++)
				if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }')"
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

codename() {
	local c=""
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && c="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
	echo "${c:-bookworm}"
}

# apt-get on the private configuration only.
papt() {
	apt-get -q \
		-o Dir::Etc::SourceList="$PRIV/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$PRIV/lists" \
		-o Dir::Cache="$PRIV/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		"$@"
}

fetch_and_unpack() {
	local uri suite dsc ver tmp f
	uri="$(archive_uri)"
	suite="$(codename)"
	mkdir -p "$PRIV/lists/partial" "$PRIV/cache/archives/partial" "$PRIV/dl"
	printf 'deb-src [signed-by=%s] %s %s main\n' "$KEYRING" "$uri" "$suite" \
		>"$PRIV/sources.list"
	printf 'deb-src [signed-by=%s] %s %s-updates main\n' "$KEYRING" "$uri" "$suite" \
		>>"$PRIV/sources.list"
	# As root apt downloads as _apt: let it write to the private dirs.
	if [ "$(id -u)" = 0 ] && getent passwd _apt >/dev/null; then
		chown -R _apt:root "$PRIV/lists" "$PRIV/cache" "$PRIV/dl"
	fi
	echo "fetch-lwip: apt-get update (private lists, $uri $suite deb-src)"
	papt update || die "apt-get update on the private deb-src list failed"
	rm -f "$PRIV"/dl/lwip_* "$PRIV"/dl/*.dsc
	(cd "$PRIV/dl" && papt source --download-only lwip) ||
		die "apt-get source --download-only lwip failed"
	dsc=""
	for f in "$PRIV"/dl/lwip_*.dsc; do
		[ -f "$f" ] && dsc="$f"
	done
	[ -n "$dsc" ] || die "no lwip_*.dsc downloaded into $PRIV/dl"
	ver="$(awk '/^Version:/ { print $2; exit }' "$dsc")"
	echo "$ver" | grep -Eq "$WANT_RE" ||
		die "Debian's lwip is version '$ver'; ilpd's lwipopts.h needs 2.1.3+dfsg1-*" \
			"(check boards/*/lwipopts.h against the new version, then WANT_RE here)"
	tmp="$DEST.tmp.$$"
	rm -rf "$tmp"
	# dpkg-source checks the .dsc's checksums (apt already verified the .dsc
	# against the signed Sources index) and applies debian/patches/series.
	dpkg-source --no-copy -x "$dsc" "$tmp" >"$PRIV/dpkg-source.log" 2>&1 || {
		cat "$PRIV/dpkg-source.log" >&2
		rm -rf "$tmp"
		die "dpkg-source -x $dsc failed"
	}
	[ -f "$tmp/src/Filelists.cmake" ] || {
		rm -rf "$tmp"
		die "unpacked tree has no src/Filelists.cmake"
	}
	echo "$ver" >"$tmp/.ilpd-lwip-version"
	rm -rf "$DEST"
	mv "$tmp" "$DEST"
}

exec 9>"$DEST.lock"
flock 9 || die "cannot lock $DEST.lock"
if ! have_tree; then
	fetch_and_unpack
	have_tree || die "$DEST is incomplete after unpacking"
fi
echo "fetch-lwip: lwip $(cat "$STAMP") in $DEST ($(elapsed) s)"
