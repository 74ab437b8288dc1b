#!/usr/bin/env bash
# Builds ilpd's Debian packages with Debian's own tools (dpkg-buildpackage,
# debhelper; the packaging is debian/). The source is copied to a temporary
# directory and built there, so the repository stays clean and several
# builds may run at once. The source is the committed tree (git archive
# HEAD) by default: a package never contains half-done work of whoever is
# editing the checkout; --worktree takes the working tree instead (tracked
# and untracked files, not ignored, no build/), e.g. to try a change to
# debian/ before committing it.
#
# Usage: toolchain/mkdeb.sh [amd64|arm64|armhf|all]... [--out DIR] [--worktree]
#   amd64 is the native build (board host); arm64 and armhf are cross builds
#   (board rpi) with the toolchains toolchain/install-deps.sh installs.
#   Default: the native arch. --out DIR (default build/deb) receives the
#   .deb, .buildinfo and .changes files; the .deb paths are printed last,
#   one per line, after the line "mkdeb: packages:".
# Env: ILPD_DEB_KEEP=1 keeps the temporary build directory.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
out="$ROOT/build/deb"
arches=()
worktree=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out)
		[ $# -ge 2 ] || { echo "mkdeb: --out needs a directory" >&2; exit 2; }
		out="$2"; shift ;;
	--worktree) worktree=1 ;;
	amd64 | arm64 | armhf) arches+=("$1") ;;
	all) arches+=(amd64 arm64 armhf) ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "mkdeb: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
native="$(dpkg --print-architecture)"
[ ${#arches[@]} -gt 0 ] || arches=("$native")
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for t in dpkg-buildpackage dh fakeroot; do
	command -v "$t" >/dev/null || { echo "mkdeb: $t missing (run toolchain/install-deps.sh)" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ilpd-deb.XXXXXX")"
cleanup() { if [ "${ILPD_DEB_KEEP:-0}" = 1 ]; then echo "mkdeb: kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

version="$(dpkg-parsechangelog -l debian/changelog -S Version)"
debs=()
rev=""
if [ "$worktree" = 0 ] && git rev-parse --verify -q HEAD >/dev/null; then
	rev="$(git rev-parse HEAD)"   # once: HEAD may move during the build
fi
for a in "${arches[@]}"; do
	start=$(date +%s)
	src="$tmp/$a/ilpd-$version"
	mkdir -p "$src"
	if [ -n "$rev" ]; then
		git archive --format=tar "$rev" | tar -C "$src" -xf -
		echo "mkdeb: source: commit ${rev:0:12}"
	elif git rev-parse --git-dir >/dev/null 2>&1; then
		# What git knows (tracked + untracked, not ignored), minus build/.
		echo "mkdeb: source: the working tree"
		git ls-files -z --cached --others --exclude-standard |
			grep -zv -e '^build/' -e '^\.ci/' |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar -C "$ROOT" --null -T - -cf - | tar -C "$src" -xf -
	else
		tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
	fi
	if [ "$a" = "$native" ]; then aflag=(); else aflag=(-a "$a"); fi
	echo "mkdeb: building $a in $src"
	(cd "$src" && dpkg-buildpackage -b -us -uc "${aflag[@]}" \
		-j"${ILPD_DEB_JOBS:-2}" >"$tmp/$a/build.log" 2>&1) || {
		tail -60 "$tmp/$a/build.log" >&2
		echo "mkdeb: $a FAILED (log: $tmp/$a/build.log)" >&2
		ILPD_DEB_KEEP=1
		exit 1
	}
	cp "$tmp/$a/build.log" "$out/ilpd_${version}_$a.build.log"
	for f in "$tmp/$a"/*.deb "$tmp/$a"/*.buildinfo "$tmp/$a"/*.changes; do
		[ -e "$f" ] || continue
		cp "$f" "$out/"
		case "$f" in *.deb) debs+=("$out/$(basename "$f")") ;; esac
	done
	echo "mkdeb: $a done in $(( $(date +%s) - start )) s"
done
echo "mkdeb: packages:"
printf '%s\n' "${debs[@]}"
