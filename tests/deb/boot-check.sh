#!/bin/sh
# Runs INSIDE the systemd-nspawn container that tests/deb/run.sh boots (as
# ilpd-check.service, after ilpd.service): checks the packaged unit under a
# real systemd, writes PASS:/FAIL: lines to /root/result.txt, powers off.
exec > /root/result.txt 2>&1
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; }
cfg=/etc/ilpd/ilpd.ini

for _ in $(seq 60); do systemctl is-active -q ilpd && break; sleep 0.5; done
systemctl is-active -q ilpd && ok "ilpd.service active (Type=notify: READY=1 arrived)" ||
	bad "ilpd.service not active: $(systemctl status ilpd --no-pager | tail -5)"
st=$(systemctl show -p StatusText --value ilpd)
[ "$st" = running ] && ok "STATUS=running reached systemd" || bad "StatusText '$st'"
h=$(curl -s -m 5 http://127.0.0.1:7769/health)
case "$h" in '{"status":"ok"'*) ok "/health: ${h%%,\"uptime*}" ;; *) bad "/health: $h" ;; esac
u=$(ps -o user= -p "$(systemctl show -p MainPID --value ilpd)")
[ "$u" = ilpd ] && ok "runs as user ilpd" || bad "runs as '$u'"
exp=$(systemd-analyze security ilpd.service 2>/dev/null | sed -n 's/.*Overall exposure level for ilpd.service: \([0-9.]*\).*/\1/p')
awk -v e="$exp" 'BEGIN { exit !(e != "" && e <= 2.0) }' && ok "systemd-analyze security (online): $exp" ||
	bad "exposure '$exp'"

# reload: good file, then a bad one (refused; ilpd runs on), journal levels
systemctl reload ilpd && ok "systemctl reload (RELOADING=1 ... READY=1)" || bad "systemctl reload failed"
sleep 0.3
journalctl -u ilpd -o cat | grep -q 'event=config.reloaded' && ok "config.reloaded logged" || bad "no config.reloaded"
cp $cfg /root/good.ini
echo "bogus line" >> $cfg
systemctl reload ilpd
sleep 0.5
systemctl is-active -q ilpd && ok "a bad file on reload: ilpd runs on" || bad "ilpd died on a bad reload"
journalctl -u ilpd -p err -o cat | grep -q 'event=config.reload_failed' &&
	ok "config.reload_failed stored at priority err (<3>)" || bad "reload_failed not at priority err"
journalctl -u ilpd -p info -o verbose | grep -q 'MESSAGE=ts=.*level=info event=config.loaded' &&
	ok "info lines stored" || bad "no info lines"
journalctl -u ilpd -p warning -o cat | grep -q 'level=info' && bad "info lines stored above info" ||
	ok "no info line at warning or above"
cp /root/good.ini $cfg

# managed tor inside the sandbox (no network here: DisableNetwork)
printf 'DisableNetwork 1\nMaxMemInQueues 64 MB\n' > /etc/ilpd/torrc-append
chmod 644 /etc/ilpd/torrc-append
printf '\n[transport]\nonion_service = managed\ntor_path = /usr/bin/tor\ntorrc_append = /etc/ilpd/torrc-append\n' >> $cfg
systemctl restart ilpd && ok "restart with managed tor" || bad "restart with managed tor failed"
for _ in $(seq 40); do journalctl -u ilpd -o cat | grep -q 'event=transport.control_up' && break; sleep 0.5; done
journalctl -u ilpd -o cat | grep -q 'event=transport.daemon_started' &&
	journalctl -u ilpd -o cat | grep -q 'event=transport.control_up' &&
	ok "tor started as ilpd's child in the sandbox; control port up (cookie read)" ||
	bad "managed tor: $(journalctl -u ilpd -o cat | grep transport | tail -3)"
[ -f /var/lib/ilpd/tor/control_auth_cookie ] && [ -d /var/lib/ilpd/onion_service ] &&
	ok "tor wrote /var/lib/ilpd/tor and onion_service" || bad "no tor state in /var/lib/ilpd"
t0=$(date +%s)
systemctl stop ilpd
r=$(systemctl show -p Result --value ilpd) s=$(systemctl show -p ExecMainStatus --value ilpd)
[ "$r" = success ] && [ "$s" = 0 ] && ok "stop: Result=success, exit 0, $(( $(date +%s) - t0 )) s" ||
	bad "stop: Result=$r status=$s"
journalctl -u ilpd -o cat | grep -q 'event=transport.daemon_stopped.*code=0' &&
	ok "tor stopped cleanly with ilpd" || bad "tor did not stop cleanly"
cp /root/good.ini $cfg

# external mode against Debian's tor@default: the cookie
# (/run/tor/control.authcookie, 0640 debian-tor) needs the drop-in
# SupplementaryGroups=debian-tor (docs/install.md)
printf 'ControlPort 127.0.0.1:9051\nDisableNetwork 1\n' > /etc/tor/torrc
systemctl start tor@default && ok "tor@default started" || bad "tor@default: $(systemctl status tor@default --no-pager | tail -5)"
printf '\n[transport]\nonion_service = external\ncontrol = 127.0.0.1:9051\ncontrol_auth = cookie\ncontrol_cookie_file = /run/tor/control.authcookie\n' >> $cfg
ilpd --check-config $cfg >/dev/null || bad "external config: $(ilpd --check-config $cfg 2>&1)"
count() { journalctl -u ilpd -o cat | grep -c "event=$1"; }
up0=$(count transport.control_up)
systemctl restart ilpd
sleep 4
up1=$(count transport.control_up)
[ "$up1" = "$up0" ] && ok "external, no drop-in: no control connection (/health: $(curl -s -m 3 http://127.0.0.1:7769/health | grep -o '"transport":{[^}]*}' | cut -c1-200))" ||
	bad "external without the group: control came up"
mkdir -p /etc/systemd/system/ilpd.service.d
printf '[Service]\nSupplementaryGroups=debian-tor\n' > /etc/systemd/system/ilpd.service.d/tor.conf
systemctl daemon-reload
systemctl restart ilpd
for _ in $(seq 30); do [ "$(count transport.control_up)" -gt "$up1" ] && break; sleep 0.5; done
[ "$(count transport.control_up)" -gt "$up1" ] && ok "external with SupplementaryGroups=debian-tor: control up" ||
	bad "external with the drop-in: $(journalctl -u ilpd -o cat | grep transport | tail -3)"
for _ in $(seq 20); do [ "$(count transport.hs_added)" -gt 0 ] && break; sleep 0.5; done
[ "$(count transport.hs_added)" -gt 0 ] && ok "external: ADD_ONION accepted (transport.hs_added)" ||
	bad "external: no hs_added: $(journalctl -u ilpd -o cat | grep transport | tail -3)"
systemctl stop ilpd tor@default
rm -r /etc/systemd/system/ilpd.service.d
systemctl daemon-reload
cp /root/good.ini $cfg

# a broken file: ExecStartPre refuses it, no restart loop
echo "bogus line" >> $cfg
if systemctl start ilpd 2>/dev/null; then
	bad "started with a broken file"
else
	ok "ExecStartPre refused a broken file: $(journalctl -u ilpd -o cat | grep -m1 '^/etc/ilpd/ilpd.ini:[0-9]')"
fi
# Restart= retries a failed ExecStartPre; StartLimitBurst bounds it: the
# unit ends failed (not auto-restart) and stays so past RestartSec.
for _ in $(seq 40); do
	[ "$(systemctl show -p SubState --value ilpd)" = failed ] && break
	sleep 0.5
done
n=$(systemctl show -p NRestarts --value ilpd)
sleep 3
a=$(systemctl show -p SubState --value ilpd) r=$(systemctl show -p Result --value ilpd)
n2=$(systemctl show -p NRestarts --value ilpd)
[ "$a" = failed ] && [ "$n" = "$n2" ] && [ "$n" -le 5 ] &&
	ok "a bad file: $n retries, then failed for good ($r)" || bad "a bad file: $a/$r after $n..$n2 restarts"
cp /root/good.ini $cfg
systemctl reset-failed ilpd
systemctl start ilpd && systemctl is-active -q ilpd && ok "fixed file: starts again" ||
	bad "fixed file: no start"
echo "DONE"
systemctl poweroff
