#!/usr/bin/env bash
# Configuration paths that are not plain files or plain names (issue 10,
# point 9):
#  - `ilpd --check-config FIFO` returns at once with "FILE:0: not a regular
#    file" (it used to block in open(2) forever);
#  - a running ilpd whose config path was replaced by a FIFO gets SIGHUP:
#    /health still answers at once (the event loop did not stop) and the
#    reload is refused with a logged reason;
#  - a path of about 1000 bytes (nested directories) gives the whole
#    `FILE:LINE: message`, not a cut one;
#  - a path with an ESC byte is printed escaped (\x1b), never raw.
# Every wait is bounded (timeout, curl --max-time, hd_wait_*).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
esc=$'\x1b'

# --- --check-config on a FIFO -------------------------------------------------------
mkfifo "$HD_WORK/fifo.ini"
t0=$(date +%s%N)
out=$(timeout 5 "$ILPD" --check-config "$HD_WORK/fifo.ini" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$rc" = 1 ] && [ "$out" = "$HD_WORK/fifo.ini:0: not a regular file (a FIFO, device or directory is never read)" ] &&
   [ "$ms" -lt 2000 ]; then
	ok "--check-config FIFO: refused in ${ms} ms: $out"
else bad "--check-config FIFO: rc=$rc after ${ms} ms (124 = blocked until timeout): $out"; fi
out=$(timeout 5 "$ILPD" --check-config "$HD_WORK" 2>&1); rc=$?
[ "$rc" = 1 ] && [ "$out" = "$HD_WORK:0: not a regular file (a FIFO, device or directory is never read)" ] &&
	ok "--check-config DIRECTORY: refused: $out" || bad "--check-config DIRECTORY: rc=$rc: $out"

# --- SIGHUP when the config path has become a FIFO -----------------------------------
# (a port probed free can still be taken by a client's ephemeral port
# before ilpd binds it: up to three pairs are tried)
for try in 0 4 8; do
	P_BTP=$(hd_port $((10 + try))) P_ADM=$(hd_port $((11 + try)))
	printf '[node]\naddress = test.paths\n[btp]\nlisten = 127.0.0.1:%s\n[admin]\nlisten = 127.0.0.1:%s\n[peer alice]\nrelation = child\ntoken = alice-paths-token\n[ledger]\nstate_file = %s/run.state\n' \
		"$P_BTP" "$P_ADM" "$HD_WORK" > "$HD_WORK/run.ini"
	hd_start run "$ILPD" -c "$HD_WORK/run.ini"
	hd_wait_for "$HD_WORK/run.log" 'event=config.loaded\|listen_failed'
	grep -q 'event=config.loaded' "$HD_WORK/run.log" && break
	hd_stop run
done
if hd_wait_port "$P_ADM" && hd_wait_for "$HD_WORK/run.log" 'event=config.loaded'; then
	rm "$HD_WORK/run.ini" && mkfifo "$HD_WORK/run.ini"
	kill -HUP "${HD_PID[run]}"
	hd_wait_for "$HD_WORK/run.log" 'event=config.reload_failed' ||
		true   # the checks below report it
	t0=$(date +%s%N)
	h=$(curl -s --max-time 2 "http://127.0.0.1:$P_ADM/health"); crc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$crc" = 0 ] && echo "$h" | grep -q '"nodeId":"test.paths"'; then
		ok "SIGHUP with a FIFO at the config path: /health answers (${ms} ms)"
	else bad "SIGHUP with a FIFO at the config path: /health did not answer within 2 s (curl rc $crc)"; fi
	if grep -q "level=error event=config.reload_failed reason=\".*run.ini:0: not a regular file" "$HD_WORK/run.log"; then
		ok "the reload is refused with a logged reason: $(grep -o 'event=config.reload_failed.*' "$HD_WORK/run.log" | head -1)"
	else bad "no config.reload_failed naming the FIFO: $(tail -3 "$HD_WORK/run.log")"; fi
	# a regular file again: the next SIGHUP reloads
	rm "$HD_WORK/run.ini"
	printf '[node]\naddress = test.paths\n[btp]\nlisten = 127.0.0.1:%s\n[admin]\nlisten = 127.0.0.1:%s\n[peer alice]\nrelation = child\ntoken = alice-paths-token-2\n[ledger]\nstate_file = %s/run.state\n' \
		"$P_BTP" "$P_ADM" "$HD_WORK" > "$HD_WORK/run.ini"
	kill -HUP "${HD_PID[run]}"
	hd_wait_for "$HD_WORK/run.log" 'event=config.reloaded' &&
		ok "a regular file at the path again: the next SIGHUP reloads" ||
		bad "no config.reloaded after the file came back: $(tail -3 "$HD_WORK/run.log")"
else bad "ilpd did not start: $(tail -5 "$HD_WORK/run.log")"; fi
hd_stop run

# --- a path of about 1000 bytes ------------------------------------------------------
long=$HD_WORK
seg=$(printf 'd%.0s' $(seq 1 120))
for i in 1 2 3 4 5 6 7 8; do long="$long/$i$seg"; done
mkdir -p "$long"
long="$long/$(printf 'f%.0s' $(seq 1 60)).ini"
printf '[node]\naddress = test.long\nno_such_key = 1\n' > "$long"
want="$long:3: unknown key 'no_such_key' in [node]"
out=$(timeout 5 "$ILPD" --check-config "$long" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$out" = "$want" ]; then
	ok "--check-config with a ${#long}-byte path: the whole FILE:LINE: message (${#out} bytes)"
else bad "--check-config with a ${#long}-byte path: rc=$rc, got ${#out} bytes, want ${#want}: ...${out: -120}"; fi
out=$(timeout 5 "$ILPD" -c "$long" 2>&1); rc=$?
[ "$rc" = 1 ] && [ "$out" = "$want" ] && ok "-c with a ${#long}-byte path: the same whole message, exit 1" ||
	bad "-c with a ${#long}-byte path: rc=$rc, ${#out} bytes: ...${out: -120}"
printf '[node]\naddress = test.long\n' > "$long"
out=$(timeout 5 "$ILPD" --check-config "$long" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "$long: ok" ] && ok "--check-config with a ${#long}-byte path: FILE: ok, whole" ||
	bad "--check-config ok with a long path: rc=$rc: ...${out: -80}"

# --- a path with an ESC byte ----------------------------------------------------------
edir="$HD_WORK/e${esc}[31mred"
mkdir -p "$edir"
printf '[node]\naddress = test.esc\nno_such_key = 1\n' > "$edir/a.ini"
shown="$HD_WORK/e\\x1b[31mred/a.ini"
out=$(timeout 5 "$ILPD" --check-config "$edir/a.ini" 2>&1); rc=$?
if [ "$rc" = 1 ] && [ "$out" = "$shown:3: unknown key 'no_such_key' in [node]" ] && [[ "$out" != *"$esc"* ]]; then
	ok "a path with ESC is printed escaped: $out"
else bad "a path with ESC: rc=$rc: $(printf '%s' "$out" | od -c | head -3)"; fi
printf '[node]\naddress = test.esc\n' > "$edir/a.ini"
out=$(timeout 5 "$ILPD" --check-config "$edir/a.ini" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "$shown: ok" ] && ok "FILE: ok escapes ESC too: $out" ||
	bad "FILE: ok with ESC: rc=$rc: $(printf '%s' "$out" | od -c | head -3)"
out=$(timeout 5 "$ILPD" --check-config "$edir/missing.ini" 2>&1)
[[ "$out" != *"$esc"* ]] && [[ "$out" == "$HD_WORK/e\\x1b[31mred/missing.ini:0: cannot open: "* ]] &&
	ok "a missing file under an ESC path: escaped" || bad "missing file with ESC: $(printf '%s' "$out" | od -c | head -3)"
# in the log too (config.loaded source=)
for try in 0 4 8; do
	P_BTP2=$(hd_port $((2 + try))) P_ADM2=$(hd_port $((3 + try)))
	# durability = off: this node is about the path, and must not touch
	# /var/lib/ilpd/ledger.state (the default state file)
	printf '[node]\naddress = test.esc\n[btp]\nlisten = 127.0.0.1:%s\n[admin]\nlisten = 127.0.0.1:%s\n[ledger]\ndurability = off\n' "$P_BTP2" "$P_ADM2" > "$edir/a.ini"
	hd_start esc "$ILPD" -c "$edir/a.ini"
	hd_wait_for "$HD_WORK/esc.log" 'event=config.loaded\|listen_failed'
	grep -q 'event=config.loaded' "$HD_WORK/esc.log" && break
	hd_stop esc
done
if hd_wait_for "$HD_WORK/esc.log" 'event=config.loaded' &&
   grep -qF "event=config.loaded source=$shown" "$HD_WORK/esc.log" && ! grep -q "$esc" "$HD_WORK/esc.log"; then
	ok "config.loaded shows the ESC path escaped"
else bad "config.loaded with an ESC path: $(od -c "$HD_WORK/esc.log" | head -5)"; fi
hd_stop esc

# The state file (durable ledger): a symbolic link is refused with a reason
# (the store opens it O_NOFOLLOW), exit 4; durability = off with a state
# file in place warns that its balances go stale (review findings).
P_BTP3=$(hd_port 14) P_ADM3=$(hd_port 15)
: > "$HD_WORK/real.state"
ln -sf "$HD_WORK/real.state" "$HD_WORK/link.state"
printf '[node]\naddress = test.sl\n[btp]\nlisten = 127.0.0.1:%s\n[admin]\nlisten = 127.0.0.1:%s\n[ledger]\nstate_file = %s\n' \
	"$P_BTP3" "$P_ADM3" "$HD_WORK/link.state" > "$HD_WORK/sl.ini"
out=$(timeout 10 "$ILPD" -c "$HD_WORK/sl.ini" 2>&1); rc=$?
if [ "$rc" = 4 ] && echo "$out" | grep -q "state: $HD_WORK/link.state is a symbolic link"; then
	ok "a symlinked state_file: refused, exit 4, says why"
else bad "a symlinked state_file: rc=$rc: $(echo "$out" | head -2)"; fi
printf '[node]\naddress = test.sl\n[btp]\nlisten = 127.0.0.1:%s\n[admin]\nlisten = 127.0.0.1:%s\n[ledger]\ndurability = off\nstate_file = %s\n' \
	"$P_BTP3" "$P_ADM3" "$HD_WORK/real.state" > "$HD_WORK/off.ini"
hd_start off "$ILPD" -c "$HD_WORK/off.ini"
if hd_wait_for "$HD_WORK/off.log" 'level=warn event=persist.off_with_state'; then
	ok "durability = off with a state file in place: persist.off_with_state"
else bad "no persist.off_with_state: $(head -3 "$HD_WORK/off.log")"; fi
hd_stop off
finish
