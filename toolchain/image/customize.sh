#!/bin/sh
# toolchain/image/customize.sh ROOT IMGDIR deb FILE | bin BINDIR
# mmdebstrap --customize-hook for toolchain/mkimage.sh: turns the freshly
# installed arm64 tree ROOT into the appliance. Runs on the build host in
# mkimage.sh's user namespace; `chroot ROOT cmd` runs arm64 binaries
# through the namespace's private binfmt_misc + qemu-aarch64-static.
# deb FILE: ilpd's arm64 package, installed with apt inside the chroot
# (a host path given to mmdebstrap --include is not visible to dpkg in
# the chroot). bin BINDIR (no .deb yet): a cross build directory whose
# ilpd and ilpctl are installed by hand the way the .deb would.
set -eu
R=$1 IMG=$2 MODE=$3 BIN=$4

# Host name, fstab (labels set by mkimage.sh), network (DHCP on any wired
# or USB Ethernet, systemd-networkd; no resolver needed by ilpd or tor).
echo ilpd > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tilpd\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
cat > "$R/etc/fstab" <<EOT
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
LABEL=ilpd-root	/		ext4	rw,noatime,errors=remount-ro	0	1
LABEL=ILPDBOOT	/boot/firmware	vfat	rw,noatime,umask=0077,fmask=0077	0	2
EOT
mkdir -p "$R/etc/systemd/network"
cat > "$R/etc/systemd/network/10-wired.network" <<EOT
[Match]
Name=e* usb*

[Network]
DHCP=yes
EOT
chroot "$R" systemctl enable systemd-networkd.service systemd-timesyncd.service >/dev/null 2>&1 || true
chroot "$R" systemctl enable systemd-resolved.service >/dev/null 2>&1 || true
# ilpd.service wants network-online.target: a Pi without a cable must not
# hold it back for networkd's default 2 minutes.
mkdir -p "$R/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat > "$R/etc/systemd/system/systemd-networkd-wait-online.service.d/ilpd-image.conf" <<EOT
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=20
EOT
# journald keeps its journal on the card (ilpd's events survive a reboot).
mkdir -p "$R/var/log/journal"

if [ "$MODE" = deb ]; then
	cp "$BIN" "$R/tmp/ilpd_arm64.deb"
	chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends /tmp/ilpd_arm64.deb
	rm -f "$R/tmp/ilpd_arm64.deb"
else
	# No .deb yet: install the cross-built binaries like debian/ does.
	install -m 0755 "$BIN/firmware/ilpd" "$R/usr/sbin/ilpd"
	install -m 0755 "$BIN/tools/ilpctl/ilpctl" "$R/usr/bin/ilpctl"
	chroot "$R" adduser --system --group --quiet --home /var/lib/ilpd \
		--no-create-home --gecos "Interledger connector" ilpd
	install -d -o 0 -g 0 -m 0755 "$R/etc/ilpd"
	install -d -m 0700 "$R/var/lib/ilpd"
	chroot "$R" chown ilpd:ilpd /var/lib/ilpd
	SRC=$(cd "$IMG/../.." && pwd)
	if [ -f "$SRC/debian/ilpd.ini" ]; then
		cp "$SRC/debian/ilpd.ini" "$R/etc/ilpd/ilpd.ini"
	else
		chroot "$R" /usr/sbin/ilpd --print-default-config > "$R/etc/ilpd/ilpd.ini"
	fi
	chroot "$R" chown root:ilpd /etc/ilpd/ilpd.ini
	chmod 0640 "$R/etc/ilpd/ilpd.ini"
	unit="$SRC/debian/ilpd.service"
	[ -f "$unit" ] || { echo "customize: $unit missing" >&2; exit 1; }
	if grep -q NOTIFY_SOCKET "$BIN/firmware/ilpd"; then
		cp "$unit" "$R/lib/systemd/system/ilpd.service"
	else
		sed 's/^Type=notify$/Type=exec/' "$unit" > "$R/lib/systemd/system/ilpd.service"
	fi
	chroot "$R" systemctl enable ilpd.service >/dev/null 2>&1
fi
[ -x "$R/usr/sbin/ilpd" ] || { echo "customize: /usr/sbin/ilpd missing" >&2; exit 1; }

# First boot and the CI console.
install -d "$R/usr/lib/ilpd"
install -m 0755 "$IMG/firstboot" "$R/usr/lib/ilpd/firstboot"
install -m 0644 "$IMG/ilpd-firstboot.service" "$IMG/ilpd-test-console.service" "$R/lib/systemd/system/"
chroot "$R" systemctl enable ilpd-firstboot.service ilpd-test-console.service >/dev/null 2>&1
# Appliance defaults: no SSH (not installed), tor's default instance off
# (ilpd runs a managed tor as its child when [transport] asks for it;
# `systemctl enable --now tor` for external mode).
chroot "$R" systemctl disable tor.service >/dev/null 2>&1 || true
# The root account stays locked (no password): log in on the console only
# after setting one from a rescue boot; see docs/install.md.

# Boot partition: raspi-firmware's kernel hook copies the kernel, initrd,
# DTBs and firmware into /boot/firmware and writes config.txt and
# cmdline.txt from /etc/default/raspi-firmware.
sed -i -e 's/^#\?ROOTPART=.*/ROOTPART=LABEL=ilpd-root/' \
	-e 's/^#\?CONSOLES=.*/CONSOLES="tty0 ttyS1,115200"/' "$R/etc/default/raspi-firmware"
grep -q '^ROOTPART=LABEL=ilpd-root' "$R/etc/default/raspi-firmware" ||
	echo 'ROOTPART=LABEL=ilpd-root' >> "$R/etc/default/raspi-firmware"
mkdir -p "$R/boot/firmware"
kver=$(ls "$R/lib/modules" | head -1)
DEB_MAINT_PARAMS=configure chroot "$R" /etc/kernel/postinst.d/z50-raspi-firmware "$kver" "/boot/vmlinuz-$kver"
[ -f "$R/boot/firmware/config.txt" ] && [ -f "$R/boot/firmware/cmdline.txt" ] ||
	{ echo "customize: raspi-firmware did not populate /boot/firmware" >&2; exit 1; }

# Size: docs, man pages and locales are dpkg path-excluded (mkimage.sh).
rm -rf "$R/var/lib/apt/lists/"* "$R/var/cache/apt/"*.bin
# A fresh machine-id at first boot (systemd creates it).
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
