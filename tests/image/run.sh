#!/usr/bin/env bash
# The appliance image under qemu-system (issue 13, section 3). No hardware,
# no SSH, no root-only loop mounts.
#
# Usage: tests/image/run.sh HOST_BUILD [ARM64_BUILD]
#   HOST_BUILD   a host build (its ilpctl and ilpd drive and check the VM)
#   ARM64_BUILD  cross build used when no arm64 .deb can be made
#                (default build/rpi-aarch64)
# Env: IMAGE_DIR=DIR  reuse an image built by toolchain/mkimage.sh --out DIR
#      DEB=FILE       with IMAGE_DIR: the arm64 .deb for the purge/reinstall test
#      KEEP=1         keep the work directory (console logs)
#      SKIP_RASPI=1   skip the -M raspi3b smoke boot
#
# 1. firstboot unit on the host: a good ilpd.ini is installed and removed
#    from the boot dir, a bad one is refused (reason in ilpd.ini.error),
#    the previous config stays.
# 2. Build the image once (toolchain/mkdeb.sh arm64 + toolchain/mkimage.sh
#    --deb; without xz): downloads are cached in /var/cache/ilpd-image.
# 3. -M virt -cpu cortex-a72: the image's kernel + initrd, the image as a
#    virtio disk, virtio-net with user networking (hostfwd on 127.0.0.1,
#    ports < 32768) and a virtio console hvc0 on which the image's
#    ilpd-test-console.service (only with ilpd.test=1 on the kernel command
#    line, which this test passes) runs a root shell: the test's ilpd.ini is
#    put on the boot partition (mcopy) and installed by first boot; the test
#    waits for /health (bounded), sends 1,000 packets alice -> bob with the
#    host's ilpctl over the forwarded BTP port, runs `systemctl reload ilpd`,
#    checks the journal for ilpd's events, checks the root fs was grown,
#    purges the package (what is left), reinstalls it from the boot
#    partition, starts it, checks /health, and powers off (QEMU must exit 0).
#    Prints boot-to-health seconds.
# 4. -M raspi3b with the Pi 3's own DTB from the boot partition, the image
#    as the SD card, usb-net: /health over the emulated USB network; if that
#    fails, ilpd's start on the serial console is the fallback proof (the
#    result line says which).
# Every wait is bounded. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HB=${1:?usage: tests/image/run.sh HOST_BUILD [ARM64_BUILD]}
AB=${2:-build/rpi-aarch64}
ilpctl=$ROOT/$HB/tools/ilpctl/ilpctl
hilpd=$ROOT/$HB/firmware/ilpd
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for f in "$@"; do echo "---- $f"; tail -30 "$f"; done; }
finish() { echo "$passed passed, $failed failed"; [ $failed -eq 0 ]; exit $?; }
for b in "$ilpctl" "$hilpd"; do
	[ -x "$b" ] || { echo "image-test: $b missing (build $HB first)"; failed=1; finish; }
done
for t in qemu-system-aarch64 mcopy; do
	command -v $t >/dev/null || { echo "image-test: $t missing (apt-get install qemu-system-arm mtools)"; failed=1; finish; }
done

work=$(mktemp -d /tmp/ilpd-image.XXXXXX)
qpid=""
cleanup() {
	[ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
	[ -n "${catpid:-}" ] && kill "$catpid" 2>/dev/null
	[ -n "${sinkpid:-}" ] && kill "$sinkpid" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "image-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
port_base=$((20000 + ($$ % 1000) * 10))
port() {
	local p=$((port_base + $1))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 100)); done
	echo $p
}
health() {  # port -> JSON of GET /health (empty on failure); bounded by timeout
	timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 1
		printf "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" >&3
		sed -n "/^{/p" <&3' 2>/dev/null
}
wait_health() {  # port seconds -> 0 once /health answers
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		health "$1" | grep -q '"status"' && return 0
		[ -n "$qpid" ] && ! kill -0 "$qpid" 2>/dev/null && return 1
		sleep 1
	done
	return 1
}
wait_file() {  # file pattern seconds
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do grep -qa -- "$2" "$1" 2>/dev/null && return 0; sleep 1; done
	return 1
}

# --- 1. first boot logic on the host ----------------------------------------
fb=$work/fb
mkdir -p "$fb/boot" "$fb/etc"
echo "old = config" > "$fb/etc/ilpd.ini"
printf '[node]\naddress = test.fb\n[peer p]\nrelation = child\ntoken = fb-secret-token-1\n[ledger]\ndurability = off\n' > "$fb/boot/ilpd.ini"
env ILPD_BOOT_DIR="$fb/boot" ILPD_ETC_DIR="$fb/etc" ILPD_BACKUP_DIR="$fb/backups" ILPD_BIN="$hilpd" ILPD_FIRSTBOOT_NOGROW=1 \
	sh toolchain/image/firstboot > "$fb/good.log" 2>&1
if grep -q "address = test.fb" "$fb/etc/ilpd.ini" && [ ! -e "$fb/boot/ilpd.ini" ] &&
   grep -q "old = config" "$fb/backups/ilpd.ini.prev" && grep -q "installed" "$fb/good.log"; then
	ok "firstboot: a good ilpd.ini is installed, removed from the boot partition, previous kept"
else bad "firstboot good" "$fb/good.log"; fi
printf '[node]\naddress = test.fb2\n[peer p]\nrelation = child\ntoken = fb-secret-token-2\nbogus = 1\n' > "$fb/boot/ilpd.ini"
env ILPD_BOOT_DIR="$fb/boot" ILPD_ETC_DIR="$fb/etc" ILPD_BACKUP_DIR="$fb/backups" ILPD_BIN="$hilpd" ILPD_FIRSTBOOT_NOGROW=1 \
	sh toolchain/image/firstboot > "$fb/bad.log" 2>&1
if grep -q "address = test.fb$" "$fb/etc/ilpd.ini" && [ -f "$fb/boot/ilpd.ini.bad" ] &&
   grep -q "ilpd.ini:6: " "$fb/boot/ilpd.ini.error" && grep -q "REJECTED" "$fb/bad.log" &&
   ! grep -q fb-secret-token-2 "$fb/bad.log" "$fb/boot/ilpd.ini.error"; then
	ok "firstboot: a bad ilpd.ini is refused with FILE:LINE on the console and ilpd.ini.error, config kept ($(grep -o 'ilpd.ini:6: .*' "$fb/boot/ilpd.ini.error" | head -1))"
else bad "firstboot bad" "$fb/bad.log" "$fb/boot/ilpd.ini.error"; fi

# --- 2. the image -------------------------------------------------------------
t_build=$(now)
deb=""
if [ -z "${IMAGE_DIR:-}" ]; then
	IMAGE_DIR=$ROOT/build/image-ci
	if [ -x toolchain/mkdeb.sh ] && toolchain/mkdeb.sh arm64 --out "$ROOT/build/image-ci-deb" > "$work/mkdeb.log" 2>&1; then
		deb=$(sed -n '/^mkdeb: packages:/,$p' "$work/mkdeb.log" | grep '_arm64\.deb$' | grep -v dbgsym | head -1)
	fi
	if [ -n "$deb" ]; then
		echo "image-test: ilpd from $deb"
		MKIMAGE_XZ=${MKIMAGE_XZ:-0} toolchain/mkimage.sh --out "$IMAGE_DIR" --deb "$deb" > "$work/mkimage.log" 2>&1
	else
		echo "image-test: no arm64 .deb (see mkdeb.log); ilpd from $AB"
		[ -x "$AB/firmware/ilpd" ] || { cmake --preset rpi-aarch64 -B "$AB" >/dev/null && cmake --build "$AB" -j2 >/dev/null; }
		MKIMAGE_XZ=${MKIMAGE_XZ:-0} toolchain/mkimage.sh --out "$IMAGE_DIR" --bin "$AB" > "$work/mkimage.log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then ok "image built in $(secs "$t_build" "$(now)") s: $(tail -1 "$work/mkimage.log")"
	else bad "toolchain/mkimage.sh (rc=$rc)" "$work/mkimage.log" "$work/mkdeb.log"; finish; fi
fi
img=$(ls "$IMAGE_DIR"/ilpd-*-rpi-arm64.img 2>/dev/null | head -1)
[ -f "$img" ] && [ -f "$IMAGE_DIR/vmlinuz" ] && [ -f "$IMAGE_DIR/initrd.img" ] ||
	{ bad "no image in $IMAGE_DIR"; finish; }
[ -z "$deb" ] && deb=${DEB:-$(ls "$IMAGE_DIR"/../image-ci-deb/ilpd_*_arm64.deb 2>/dev/null | head -1)}

# The test's copy: 2 GiB (a card bigger than the image: first boot grows
# root; a power of two, as -M raspi3b wants for an SD card), config on the
# boot partition (FAT at 4 MiB), the .deb next to it for the reinstall.
disk=$work/disk.img
cp --sparse=always "$img" "$disk" && truncate -s 2G "$disk"
P_BTP=$(port 0) P_ADM=$(port 1)
cat > "$work/ilpd.ini" <<EOF
[node]
address = test.vm
[btp]
listen = 0.0.0.0:7768
[admin]
listen = 0.0.0.0:7769
[peer alice]
relation = child
token = alice-vm-token-1
[peer bob]
relation = child
token = bob-vm-token-2
[ledger]
durability = sync
state_file = /var/lib/ilpd/ledger.state
EOF
mcopy -o -i "$disk@@4M" "$work/ilpd.ini" ::/ilpd.ini || { bad "mcopy ilpd.ini onto the boot partition"; finish; }
[ -n "$deb" ] && mcopy -o -i "$disk@@4M" "$deb" ::/ilpd.deb

# --- 3. -M virt ---------------------------------------------------------------
mkfifo "$work/tc.in" "$work/tc.out"
: > "$work/hvc.log"
cat "$work/tc.out" >> "$work/hvc.log" & catpid=$!
t0=$(now)
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -display none -monitor none \
	-kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
	-append "root=LABEL=ilpd-root rw rootwait console=ttyAMA0 ilpd.test=1" \
	-drive file="$disk",format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0 \
	-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$P_BTP-:7768,hostfwd=tcp:127.0.0.1:$P_ADM-:7769 \
	-device virtio-net-device,netdev=n0 \
	-device virtio-serial-device -chardev pipe,id=tc,path="$work/tc" -device virtconsole,chardev=tc \
	-serial file:"$work/console.log" < /dev/null > "$work/qemu.log" 2>&1 &
qpid=$!
exec 5> "$work/tc.in"
vm() {  # command seconds -> runs it on hvc0, waits for its end marker; output in $work/out
	local m="END$RANDOM$RANDOM"
	: > "$work/hvc.log"
	printf '%s; echo %s rc=$?\n' "$1" "$m" >&5
	wait_file "$work/hvc.log" "^$m rc=" "$2" || { cp "$work/hvc.log" "$work/out"; return 124; }
	sed -n "/^$m rc=/q;p" "$work/hvc.log" | tr -d '\r' > "$work/out"
	return "$(sed -n "s/^$m rc=\([0-9]*\).*/\1/p" "$work/hvc.log" | tr -d '\r' | head -1)"
}
if wait_health "$P_ADM" 420; then
	t_h=$(secs "$t0" "$(now)")
	ok "virt: /health through the forwarded admin port $t_h s after QEMU started (boot to health)"
else
	bad "virt: no /health within 420 s" "$work/console.log"
	finish
fi
health "$P_ADM" > "$work/h0.json"
grep -q '"name":"alice"' "$work/h0.json" && grep -q '"name":"bob"' "$work/h0.json" &&
	ok "virt: the boot partition's ilpd.ini is in use (peers alice, bob)" || bad "virt: config from first boot" "$work/h0.json"

"$ilpctl" sink --url "ws://127.0.0.1:$P_BTP/" --token bob-vm-token-2 --timeout-ms 120000 > "$work/sink.log" 2>&1 & sinkpid=$!
wait_file "$work/sink.log" "address=test.vm.bob" 30 || bad "virt: sink bob" "$work/sink.log"
ts=$(now)
timeout 180 "$ilpctl" send --url "ws://127.0.0.1:$P_BTP/" --token alice-vm-token-1 --to test.vm.bob \
	--count 1000 --window 20 --amount 10 > "$work/send.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "^sent=1000 fulfilled=1000 rejected=0" "$work/send.log"; then
	ok "virt: 1,000 packets alice -> ilpd in the VM -> bob fulfilled in $(secs "$ts" "$(now)") s"
else bad "virt: 1,000 packets (rc=$rc)" "$work/send.log" "$work/sink.log"; fi
health "$P_ADM" | grep -q '"name":"bob","relation":"child","connected":true,"balance":"-10000"' &&
	ok "virt: bob's balance is -10000 after the packets" || bad "virt: balance" "$work/h0.json"

# The console: stty and a prompt-free shell make the output parseable.
vm "stty -echo; uname -m" 30; rc=$?
[ $rc -eq 0 ] && grep -q aarch64 "$work/out" && ok "virt: root shell on hvc0 (ilpd.test=1 only)" ||
	bad "virt: hvc0 console (rc=$rc)" "$work/out" "$work/console.log"
vm "systemctl reload ilpd && sleep 2 && systemctl is-active ilpd" 60; rc=$?
[ $rc -eq 0 ] && grep -q '^active' "$work/out" && ok "virt: systemctl reload ilpd" || bad "virt: reload (rc=$rc)" "$work/out"
vm "journalctl -b -u ilpd -u ilpd-firstboot -o cat --no-pager" 60
cp "$work/out" "$work/journal.txt"
miss=""
for ev in "event=config.reloaded" "event=peer.up peer=alice" "event=peer.up peer=bob" "ilpd-firstboot: installed"; do
	grep -q "$ev" "$work/journal.txt" || miss="$miss '$ev'"
done
[ -z "$miss" ] && ok "virt: the journal has ilpd's events (config.reloaded, peer.up alice/bob, firstboot install)" ||
	bad "virt: journal lacks$miss" "$work/journal.txt"
vm "df -m --output=size / | tail -1" 30
sz=$(tr -dc 0-9 < "$work/out")
[ "${sz:-0}" -gt 1500 ] && ok "virt: root filesystem grown to the 2 GiB card (${sz} MB)" || bad "virt: root not grown (${sz:-?} MB)" "$work/journal.txt"
vm "systemctl is-enabled ssh 2>&1; ls /usr/sbin/sshd 2>&1" 30
grep -q "No such file" "$work/out" && ok "virt: no SSH server in the image" || bad "virt: ssh present" "$work/out"

# The package in the booted VM: purge leaves what policy allows, reinstall works.
if [ -n "$deb" ]; then
	vm "systemctl stop ilpd; DEBIAN_FRONTEND=noninteractive apt-get purge -y ilpd >/dev/null 2>&1; echo purged=\$?; ls -d /etc/ilpd /var/lib/ilpd /usr/sbin/ilpd 2>&1; getent passwd ilpd; dpkg -l ilpd 2>&1 | tail -1" 180
	cp "$work/out" "$work/purge.txt"
	if grep -q "purged=0" "$work/purge.txt" && grep -q "/etc/ilpd'\\{0,1\\}: No such file" "$work/purge.txt" &&
	   grep -q "/var/lib/ilpd'\\{0,1\\}: No such file" "$work/purge.txt" && grep -q "/usr/sbin/ilpd'\\{0,1\\}: No such file" "$work/purge.txt"; then
		ok "virt: apt purge ilpd removes /etc/ilpd, /var/lib/ilpd and the binaries (user left: $(grep -c '^ilpd:' "$work/purge.txt"), as policy allows)"
	else bad "virt: purge" "$work/purge.txt"; fi
	vm "cp /boot/firmware/ilpd.deb /tmp/ilpd_arm64.deb && DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/ilpd_arm64.deb >/dev/null 2>&1; echo inst=\$?; sed -i 's/^listen = 127.0.0.1:7769/listen = 0.0.0.0:7769/' /etc/ilpd/ilpd.ini; systemctl restart ilpd; systemctl is-active ilpd" 240
	cp "$work/out" "$work/reinstall.txt"
	if grep -q "inst=0" "$work/reinstall.txt" && wait_health "$P_ADM" 60; then
		ok "virt: the .deb reinstalled in the VM, systemctl start, /health answers"
	else bad "virt: reinstall" "$work/reinstall.txt"; fi
fi

printf 'systemctl poweroff\n' >&5
exec 5>&-
end=$((SECONDS + 120))
while kill -0 "$qpid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 1; done
if kill -0 "$qpid" 2>/dev/null; then bad "virt: no clean power-off within 120 s" "$work/console.log"
else
	wait "$qpid"; rc=$?; qpid=""
	[ $rc -eq 0 ] && grep -q "reboot: Power down" "$work/console.log" &&
		ok "virt: clean power-off (QEMU exit 0) after $(secs "$t0" "$(now)") s in all" || bad "virt: poweroff rc=$rc" "$work/console.log"
fi
kill "$catpid" 2>/dev/null; catpid=""
kill "$sinkpid" 2>/dev/null; sinkpid=""

# --- 4. -M raspi3b smoke ------------------------------------------------------
if [ "${SKIP_RASPI:-0}" != 1 ]; then
	dtb=$IMAGE_DIR/bcm2837-rpi-3-b.dtb
	cp --sparse=always "$img" "$disk" && truncate -s 2G "$disk"
	mcopy -o -i "$disk@@4M" "$work/ilpd.ini" ::/ilpd.ini
	t1=$(now)
	qemu-system-aarch64 -M raspi3b -m 1G -display none -monitor none \
		-kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" -dtb "$dtb" \
		-append "root=LABEL=ilpd-root rw rootwait console=ttyAMA0 earlycon=pl011,0x3f201000" \
		-drive file="$disk",format=raw,if=sd \
		-netdev user,id=n1,hostfwd=tcp:127.0.0.1:$P_ADM-:7769 -device usb-net,netdev=n1 \
		-serial file:"$work/raspi.log" < /dev/null > "$work/qemu-raspi.log" 2>&1 &
	qpid=$!
	if wait_health "$P_ADM" 420; then
		ok "raspi3b: /health over the emulated USB network $(secs "$t1" "$(now)") s after QEMU started"
	elif sed 's/\x1b\[[0-9;]*m//g' "$work/raspi.log" | grep -aq "Started ilpd.service"; then
		ok "raspi3b: no /health over usb-net, but the serial console shows 'Started ilpd.service'"
	else
		bad "raspi3b: neither /health nor ilpd's start on the console in 420 s" "$work/raspi.log"
	fi
	grep -a -m1 "Machine model" "$work/raspi.log"
	kill -KILL "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=""
fi
finish
