#!/usr/bin/env bash
# Install every Debian package that building and testing ilpd needs, on a fresh
# Debian bookworm machine. Idempotent: a second run installs nothing new.
#
# Usage: toolchain/install-deps.sh            (needs root, or sudo)
# Env:   ILPD_DEPS_QUICK=1  skip when a stamp says this package set is installed
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

FOREIGN_ARCHES="arm64 armhf s390x"
# Libraries the targets link against: BearSSL (SHA-256 for tests and the
# daemon), inih (config), mbedTLS (TLS backend).  Installed for the host and
# for every cross target through Debian multiarch.
TARGET_LIBS="libbearssl-dev libinih-dev libmbedtls-dev"
HOST_PKGS="build-essential cmake ninja-build pkgconf clang llvm libclang-rt-14-dev
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-s390x-linux-gnu
  libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-s390x-cross
  binutils-aarch64-linux-gnu binutils-arm-linux-gnueabihf binutils-s390x-linux-gnu
  qemu-user ca-certificates openssl"
# The onion tests (tests/onion/run.sh) build a private Tor network on
# 127.0.0.1 from Debian's tor (tor-gencert comes with it); socat is their
# counting TCP listener, curl polls the authorities' consensus.
HOST_PKGS="$HOST_PKGS tor socat curl"
# The lwIP tests (tests/lwip/run.sh) make a network namespace with a TAP
# device (ip), ping ilpd over it, and NAT loopback ports to it (iptables).
HOST_PKGS="$HOST_PKGS iproute2 iputils-ping iptables"
# toolchain/fetch-lwip.sh (ILPD_NET=lwip builds) downloads Debian's lwip
# source package with apt on a private deb-src list: dpkg-source unpacks it,
# the archive keyring checks the Sources index, xz unpacks the tarball.
HOST_PKGS="$HOST_PKGS dpkg-dev debian-archive-keyring xz-utils"
# The Debian packages (debian/, toolchain/mkdeb.sh, tests/deb/run.sh):
# debhelper + fakeroot build them, lintian checks them, mmdebstrap makes the
# throwaway bookworm chroot the install/purge test runs in (cached under
# ~/.cache/ilpd/deb-chroot), man-db renders the man pages, python3 plays
# the service manager's end of sd_notify.
# systemd-nspawn (systemd-container) boots that chroot to run the unit
# under a real systemd.
HOST_PKGS="$HOST_PKGS debhelper fakeroot lintian mmdebstrap man-db python3 systemd-container"
# The Raspberry Pi image (toolchain/mkimage.sh, tests/image/run.sh):
# qemu-user-static runs arm64 maintainer scripts in the build's private
# binfmt_misc, arch-test is mmdebstrap's check, dosfstools + mtools + fdisk
# make the FAT partition and the table without loop devices,
# qemu-system-arm boots the image (-M virt and -M raspi3b).
HOST_PKGS="$HOST_PKGS qemu-user-static arch-test dosfstools mtools fdisk e2fsprogs qemu-system-arm"
# node/npm drive the differential and interop tests. Some images ship node
# from another source with npm bundled; Debian's npm package would conflict
# with that, so each is installed only when its command is missing.
command -v node >/dev/null 2>&1 || HOST_PKGS="$HOST_PKGS nodejs"
command -v npm >/dev/null 2>&1 || HOST_PKGS="$HOST_PKGS npm"

# Every library is named with its architecture (libbearssl-dev:amd64): once
# several arches are installed, a bare name is ambiguous to dpkg-query.
NATIVE_ARCH="$(dpkg --print-architecture)"
pkgs="$HOST_PKGS"
for a in $NATIVE_ARCH $FOREIGN_ARCHES; do
  for l in $TARGET_LIBS; do pkgs="$pkgs $l:$a"; done
done

stamp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ilpd"
stamp="$stamp_dir/deps-$(echo "$pkgs" | sha256sum | cut -c1-16)"
if [ "${ILPD_DEPS_QUICK:-0}" = 1 ] && [ -f "$stamp" ]; then
  echo "install-deps: package set already installed ($stamp)"
  exit 0
fi

# Outputs are captured before matching: with pipefail, `cmd | grep -q` can
# fail when grep exits first and cmd gets SIGPIPE.
missing=""
foreign=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
for a in $FOREIGN_ARCHES; do
  case "$foreign" in
  *" $a "*) ;;
  *) $SUDO dpkg --add-architecture "$a"; missing="$missing (arch $a)" ;;
  esac
done
for p in $pkgs; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  # apt-get update exits 100 on this mirror because of one foreign-arch security
  # index (see shared/reference/cross-and-qemu.md); the lists it needs still land.
  $SUDO apt-get update || echo "install-deps: apt-get update exited $? (tolerated)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
else
  echo "install-deps: everything already installed"
fi
# Debian's tor package starts a system tor that joins the public network
# where an init system runs services. The tests start their own tors on
# 127.0.0.1 only: keep the system one stopped.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet tor 2>/dev/null; then
  $SUDO systemctl disable --now tor || echo "install-deps: could not stop the system tor service"
fi
mkdir -p "$stamp_dir" && touch "$stamp"
