#!/usr/bin/env bash
# Build the flashable Raspberry Pi image ilpd-VERSION-rpi-arm64.img (Pi 3,
# 4, 5, Zero 2 W) from Debian packages only (issue 13, section 2).
#
# Usage: toolchain/mkimage.sh [--out DIR] [--deb FILE | --bin BUILDDIR]
#                             [--cache DIR] [--update-pins]
#   --out DIR      where the image goes (default <repo>/build/image)
#   --deb FILE     ilpd's arm64 .deb (toolchain/mkdeb.sh); without it the
#                  cross-built ilpd + ilpctl of --bin BUILDDIR (default
#                  build/himage-arm64; cmake --preset rpi-aarch64) are
#                  installed the way the package does
#   --cache DIR    downloaded .debs kept between runs (default
#                  /var/cache/ilpd-image, else ~/.cache/ilpd-image)
#   --update-pins  rewrite toolchain/image-packages.txt from this build
#
# What is in it: a minimal Debian (mmdebstrap, variant minbase) with
# systemd, systemd-networkd (DHCP on e*/usb*), systemd-timesyncd, tor (its
# default instance disabled: ilpd starts a managed tor itself),
# linux-image-arm64, raspi-firmware (non-free-firmware), fdisk (sfdisk:
# first boot grows root; growpart's cloud-guest-utils would pull python3),
# ilpd and ilpd-firstboot.service. No SSH server, root locked.
# Two partitions (MBR): 1 FAT32 "ILPDBOOT" 160 MiB = /boot/firmware
# (firmware, kernel, initrd, DTBs, config.txt, cmdline.txt written by
# raspi-firmware's own kernel hook), 2 ext4 "ilpd-root" = /, grown to the
# card at first boot.
#
# Package sources: the Debian archive /etc/apt already uses, components
# main + non-free-firmware, given to mmdebstrap only (a PRIVATE sources
# list, as toolchain/fetch-lwip.sh does): the system's apt is untouched.
#
# Reproducible inputs: toolchain/image-packages.txt pins every package's
# version (apt preferences, priority 1001, during the build); afterwards the
# installed set is compared with the file and any difference fails the
# build (--update-pins accepts it and rewrites the file). ilpd itself is
# not pinned.
#
# Foreign maintainer scripts - the choice: binfmt_misc is not mounted on
# the build machines and must not be changed globally. The build runs in a
# private user + mount + pid namespace (uids 0-65535 mapped 1:1, so file
# owners in the tree are the image's real ones) that mounts its OWN
# binfmt_misc instance (Linux >= 6.7: binfmt_misc is per user namespace)
# and registers qemu-aarch64-static there with the F flag. mmdebstrap
# --mode=root then configures every package in one pass on the host, so
# the image boots ready - no second stage in a TCG-emulated VM (debootstrap
# --foreign), which would cost minutes per boot test and a two-phase
# build. The host's /proc/sys/fs/binfmt_misc stays empty. Needs root (or
# CAP_SYS_ADMIN + a writable uid_map) and kernel >= 6.7.
#
# No loop mounts: sfdisk writes the partition table into the image file,
# mkfs.vfat + mcopy fill the boot partition as a file, mkfs.ext4 -d
# fills the root file system from the directory; both are dd'ed into
# place. So it works in CI containers without /dev/loop*.
#
# Prints "mkimage: <image> <size> MB (xz: <size> MB) in <s> s".
# Needs: mmdebstrap, qemu-user-static, arch-test, dosfstools, mtools, fdisk,
# e2fsprogs, xz-utils, debian-archive-keyring (toolchain/install-deps.sh
# does not install them; apt-get install them once).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMGDIR="$ROOT/toolchain/image"
PINS="$ROOT/toolchain/image-packages.txt"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The FAT partition holds one kernel + initrd + the GPU firmware (~65 MB);
# a kernel upgrade briefly holds two.
BOOT_MB=160
t0=$EPOCHREALTIME

die() {
	echo "mkimage: ERROR: $*" >&2
	exit 1
}
elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }

# --- the stage inside the namespace ----------------------------------------
if [ "${1:-}" = --in-ns ]; then
	shift
	WORK=$1 SUITE=$2 URI=$3 SECURI=$4 CACHE=$5 DEB=$6 BIN=$7 PINMODE=$8
	mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
		die "cannot mount a private binfmt_misc (needs Linux >= 6.7)"
	# binfmt_misc decodes the \x escapes itself: pass them literally.
	printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' \
		> /proc/sys/fs/binfmt_misc/register
	# mmdebstrap mounts a fresh /proc in the chroot: it needs ours first.
	mount -t proc proc /proc
	pkgs=systemd,systemd-sysv,systemd-timesyncd,systemd-resolved,udev,kmod,iproute2,procps,linux-image-arm64,raspi-firmware,initramfs-tools,zstd,tor,fdisk,e2fsprogs,dosfstools,adduser,ca-certificates
	inc=(--include="$pkgs")
	if [ -n "$DEB" ]; then how=(deb "$DEB"); else how=(bin "$BIN"); fi
	hooks=(
		--skip=essential/unlink
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
		--setup-hook="sync-in $CACHE /var/cache/apt/archives/"
		# Before the kernel's postinst builds the initramfs: the short list.
		--setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"'
		--setup-hook="copy-in $IMGDIR/initramfs.conf /etc/initramfs-tools/conf.d/"
		--setup-hook="copy-in $IMGDIR/initramfs-modules /usr/share/initramfs-tools/modules.d/"
		--setup-hook='mv "$1/etc/initramfs-tools/conf.d/initramfs.conf" "$1/etc/initramfs-tools/conf.d/ilpd-image"'
		--setup-hook='mv "$1/usr/share/initramfs-tools/modules.d/initramfs-modules" "$1/usr/share/initramfs-tools/modules.d/ilpd-image"'
	)
	if [ "$PINMODE" = pin ]; then
		awk '!/^#/ && NF == 2 { printf "Package: %s\nPin: version %s\nPin-Priority: 1001\n\n", $1, $2 }' \
			"$WORK/pins.txt" > "$WORK/pins.pref"
		hooks+=(--setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\" && cp $WORK/pins.pref \"\$1/etc/apt/preferences.d/ilpd-image-pins\"")
	fi
	hooks+=(
		--customize-hook="sync-out /var/cache/apt/archives $CACHE"
		--customize-hook="$IMGDIR/customize.sh \"\$1\" $IMGDIR ${how[*]}"
		--customize-hook='rm -f "$1/etc/apt/preferences.d/ilpd-image-pins"'
		--customize-hook="chroot \"\$1\" dpkg-query -W -f '\${Package} \${Version}\n' | sort > $WORK/installed.txt"
		--customize-hook="sync-out /boot/firmware $WORK/boot"
		--customize-hook='rm -rf "$1"/boot/firmware/*'
		# The initramfs stays in /boot too (kernel upgrades need it there).
	)
	# Kernel modules no Pi-class connector uses (about 90 MB): GPUs, cameras
	# and TV, sound, InfiniBand, IIO sensors, staging, ISDN, Wi-Fi and
	# Ethernet chips other than Broadcom's (the Pi's). dpkg path-exclude
	# (/etc/dpkg/dpkg.cfg.d/99mmdebstrap) keeps them out on kernel upgrades
	# too; delete those lines there to get every module back.
	modx=()
	for d in /lib /usr/lib; do
		for x in drivers/gpu drivers/media sound drivers/infiniband drivers/iio \
			drivers/staging drivers/isdn drivers/net/wireless drivers/net/ethernet; do
			modx+=(--dpkgopt="path-exclude=$d/modules/*/kernel/$x/*")
		done
		modx+=(--dpkgopt="path-include=$d/modules/*/kernel/drivers/net/wireless/broadcom/*"
			--dpkgopt="path-include=$d/modules/*/kernel/drivers/net/ethernet/broadcom/*")
	done
	rm -rf "$WORK/root" "$WORK/boot"
	mkdir -p "$WORK/boot"
	mmdebstrap --mode=root --arch=arm64 --variant=minbase \
		--aptopt='APT::Install-Recommends "false"' \
		--aptopt='Binary::apt::APT::Keep-Downloaded-Packages "true"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/ilpd/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-include=/usr/share/man/man[18]/ilp*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		"${modx[@]}" \
		"${inc[@]}" "${hooks[@]}" \
		"$SUITE" "$WORK/root" \
		"deb [signed-by=$KEYRING] $URI $SUITE main non-free-firmware" \
		"deb [signed-by=$KEYRING] $URI $SUITE-updates main non-free-firmware" \
		"deb [signed-by=$KEYRING] $SECURI $SUITE-security main non-free-firmware"
	# ext4 root from the tree (owners are the namespace's = the image's).
	used_mb=$(du -sm "$WORK/root" | cut -f1)
	# Little headroom: first boot grows it to the card.
	root_mb=$(( used_mb * 108 / 100 + 64 ))
	rm -f "$WORK/root.ext4"
	mkfs.ext4 -q -L ilpd-root -d "$WORK/root" -E root_owner=0:0 -m 1 \
		-O ^metadata_csum_seed "$WORK/root.ext4" "${root_mb}M" ||
		die "mkfs.ext4 -d failed"
	echo "$root_mb" > "$WORK/root.mb"
	exit 0
fi

# --- the outer stage ---------------------------------------------------------
OUT="$ROOT/build/image" DEB="" BIN="$ROOT/build/himage-arm64" CACHE="" UPDATE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--deb) DEB=$(readlink -f "$2"); shift 2 ;;
	--bin) BIN=$(readlink -f "$2"); shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	--update-pins) UPDATE=1; shift ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
for tool in mmdebstrap qemu-aarch64-static sfdisk mkfs.vfat mcopy mkfs.ext4 unshare xz; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found: apt-get install mmdebstrap qemu-user-static arch-test dosfstools mtools fdisk e2fsprogs xz-utils"
done
[ -r "$KEYRING" ] || die "$KEYRING missing (install debian-archive-keyring)"
[ "$(id -u)" = 0 ] || die "run as root (the user namespace maps uids 0-65535 1:1)"
if [ -n "$DEB" ]; then
	[ -f "$DEB" ] || die "--deb $DEB: no such file"
	dpkg-deb -f "$DEB" Architecture | grep -qx arm64 || die "--deb $DEB is not an arm64 package"
	VERSION=$(dpkg-deb -f "$DEB" Version)
	BIN=""
else
	[ -x "$BIN/firmware/ilpd" ] && [ -x "$BIN/tools/ilpctl/ilpctl" ] ||
		die "no --deb and no cross build in $BIN (cmake --preset rpi-aarch64 -B $BIN && cmake --build $BIN)"
	file -L "$BIN/firmware/ilpd" | grep -q aarch64 || die "$BIN/firmware/ilpd is not an arm64 binary"
	VERSION=$(sed -n 's/^project(ilpd VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
fi
if [ -z "$CACHE" ]; then
	CACHE=/var/cache/ilpd-image
	mkdir -p "$CACHE" 2>/dev/null || CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ilpd-image"
fi
mkdir -p "$CACHE/debs" "$OUT"
CACHE=$(readlink -f "$CACHE") OUT=$(readlink -f "$OUT")

# The archive the system already uses (same logic as fetch-lwip.sh).
archive_uri() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri="$(awk -v want="$1" '/^URIs:/ { for (i = 2; i <= NF; i++)
			if ($i ~ ("/" want "/?$")) { print $i; exit } }' "$f")"
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk -v want="$1" '$1 == "deb" { for (i = 2; i <= NF; i++)
				if ($i ~ ("^[a-z]+://.*/" want "/?$")) { print $i; exit } }')"
	fi
	echo "${uri:-http://deb.debian.org/$1}"
}
SUITE="$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null)"
SUITE=${SUITE:-bookworm}
URI=$(archive_uri debian) SECURI=$(archive_uri debian-security)

WORK="$OUT/work"
exec 9>"$CACHE/lock"
flock 9 || die "cannot lock $CACHE/lock"
rm -rf "$WORK"
mkdir -p "$WORK"
PINMODE=pin
if [ $UPDATE = 1 ] || [ ! -f "$PINS" ]; then PINMODE=free; else cp "$PINS" "$WORK/pins.txt"; fi
echo "mkimage: ilpd $VERSION, Debian $SUITE from $URI (+ non-free-firmware), cache $CACHE, pins: $PINMODE"

# The namespace: unshare creates it, we (real root) write its uid/gid maps.
unshare --user --mount --pid --fork --propagation private -- \
	sh -c 'while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.02; done; exec "$@"' sh \
	"$0" --in-ns "$WORK" "$SUITE" "$URI" "$SECURI" "$CACHE/debs" "$DEB" "$BIN" "$PINMODE" &
ns=$!
for _ in $(seq 250); do
	[ "$(readlink /proc/$ns/ns/user 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] && break
	sleep 0.02
done
echo "0 0 65536" > /proc/$ns/uid_map && echo "0 0 65536" > /proc/$ns/gid_map ||
	{ kill $ns 2>/dev/null; die "cannot map uids into the build namespace"; }
wait $ns || die "the build in the namespace failed"

# Pins: compare (or write) the installed package set.
grep -v '^ilpd ' "$WORK/installed.txt" > "$WORK/installed.pins"
if [ $PINMODE = free ]; then
	{
		echo "# Debian arm64 packages in ilpd-*-rpi-arm64.img, pinned (toolchain/mkimage.sh)."
		echo "# Regenerate: toolchain/mkimage.sh --update-pins   (then review the diff)"
		cat "$WORK/installed.pins"
	} > "$PINS"
	echo "mkimage: wrote $PINS ($(wc -l < "$WORK/installed.pins") packages)"
else
	if ! diff <(grep -v '^#' "$PINS") "$WORK/installed.pins" > "$WORK/pins.diff"; then
		cat "$WORK/pins.diff" >&2
		die "installed packages differ from $PINS (a pinned version left the mirror?); review and rerun with --update-pins"
	fi
fi

exec 9>&-   # the cache is no longer used

# Boot partition as a file: FAT32, filled with mcopy.
rm -f "$WORK/boot.vfat"
mkfs.vfat -F 32 -n ILPDBOOT -C "$WORK/boot.vfat" $((BOOT_MB * 1024)) >/dev/null
(cd "$WORK/boot" && mcopy -s -i "$WORK/boot.vfat" ./* ::/) || die "mcopy into the boot partition failed"

# The disk: MBR, partition 1 at 4 MiB (FAT32 LBA), partition 2 (Linux).
ROOT_MB=$(cat "$WORK/root.mb")
IMG="$OUT/ilpd-$VERSION-rpi-arm64.img"
rm -f "$IMG" "$IMG.xz"
truncate -s $((4 + BOOT_MB + ROOT_MB))M "$IMG"
sfdisk -q "$IMG" <<EOF || die "sfdisk failed"
label: dos
start=4MiB, size=${BOOT_MB}MiB, type=c, bootable
start=$((4 + BOOT_MB))MiB, size=${ROOT_MB}MiB, type=83
EOF
dd if="$WORK/boot.vfat" of="$IMG" bs=1M seek=4 conv=notrunc,sparse status=none
dd if="$WORK/root.ext4" of="$IMG" bs=1M seek=$((4 + BOOT_MB)) conv=notrunc,sparse status=none
# The kernel and initrd for qemu -M virt (tests/image/run.sh) next to it.
cp "$WORK/boot/vmlinuz-"* "$OUT/vmlinuz" 2>/dev/null || cp "$WORK"/boot/vmlinuz* "$OUT/vmlinuz"
cp "$WORK"/boot/initrd.img* "$OUT/initrd.img"
cp "$WORK/boot/bcm2837-rpi-3-b.dtb" "$OUT/" 2>/dev/null || true
cp "$WORK/boot/cmdline.txt" "$WORK/boot/config.txt" "$OUT/"
if [ "${MKIMAGE_XZ:-1}" = 1 ]; then
	xz -T2 -6 -k -f "$IMG"
	xz_mb=$(( $(stat -c %s "$IMG.xz") / 1048576 ))
else
	xz_mb="not built"
fi
rm -rf "$WORK/root" "$WORK/root.ext4" "$WORK/boot.vfat"
echo "mkimage: $IMG $(( $(stat -c %s "$IMG") / 1048576 )) MB (xz: $xz_mb MB) in $(elapsed) s"
