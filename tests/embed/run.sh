#!/usr/bin/env bash
# The embedded C API (issue 14 point 3): examples/paid_agent.c, an agent
# that charges per message, built twice - by CMake against the ilpd_embed
# target, and here by plain `cc` against libilpd.a and ilpd.pc's flags (so
# the one archive is all an application needs of ours) - and run as two
# embedded connectors under a daemon ilpd (node A, test.ea):
#   agent  address = auto (IL-DCP from A: test.ea.agent), price 100 per
#          message, answers through its packet handler
#   buyer  address = auto (test.ea.buyer), sends with ilpd_send_packet:
#          20 messages paying 100 (fulfilled, receipts come back as the
#          Fulfill's data) and 5 paying 50 (F03 from the agent's handler)
# Then: A's balances for both children and each agent's own "local"
# balance account for exactly 20 x 100; A's packet counters agree; each
# embedded process stopped cleanly (ilpd_stop / ilpd_done / ilpd_finish);
# a bad configuration is refused with FILE:LINE: message.
# Usage: tests/embed/run.sh BUILD_DIR (with firmware/ilpd, libilpd.a,
# ilpd.pc and firmware/paid_agent built: cmake --build BUILD_DIR)
set -uo pipefail
B=$(cd "${1:?usage: tests/embed/run.sh BUILD_DIR}" && pwd)
ILPD=$B/firmware/ilpd
export ILPD ILPCTL=$B/tools/ilpctl/ilpctl
. "$(dirname "$0")/../hardening/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$ILPD" "$B/libilpd.a" "$B/ilpd.pc" "$B/firmware/paid_agent"; do
	[ -e "$f" ] || die "missing $f (build $B first)"
done

# 1. The example builds with nothing but the header, libilpd.a and ilpd.pc.
cflags=$(sed -n 's/^Cflags: //p' "$B/ilpd.pc")
libs=$(sed -n 's/^Libs: //p' "$B/ilpd.pc")
# shellcheck disable=SC2086
if cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $cflags \
	"$SRC/examples/paid_agent.c" $libs -o "$HD_WORK/paid_agent" 2> "$HD_WORK/cc.log"; then
	ok "examples/paid_agent.c builds with cc against libilpd.a + ilpd.pc only"
else
	cat "$HD_WORK/cc.log"
	die "examples/paid_agent.c does not build against libilpd.a"
fi
AGENT=$HD_WORK/paid_agent

PA=$(hd_port 0) PAA=$(hd_port 1) PG=$(hd_port 2) PGA=$(hd_port 3) PY=$(hd_port 4) PYA=$(hd_port 5)
cat > "$HD_WORK/a.ini" <<INI
[node]
address = test.ea
[btp]
listen = 127.0.0.1:$PA
[admin]
listen = 127.0.0.1:$PAA
[peer agent]
relation = child
token = agent-secret-token-1
[peer buyer]
relation = child
token = buyer-secret-token-2
[ledger]
durability = off
INI
child_ini() {  # NAME TOKEN BTP ADMIN
	cat > "$HD_WORK/$1.ini" <<INI
[node]
address = auto
[btp]
listen = 127.0.0.1:$3
reconnect_min_ms = 100
reconnect_max_ms = 500
[admin]
listen = 127.0.0.1:$4
[peer up]
relation = parent
url = ws://127.0.0.1:$PA/
token = $2
[routes]
default = up
[ledger]
state_file = $HD_WORK/$1.state
INI
}
child_ini agent agent-secret-token-1 "$PG" "$PGA"
child_ini buyer buyer-secret-token-2 "$PY" "$PYA"

hd_start a "$ILPD" -c "$HD_WORK/a.ini"
hd_wait_port "$PAA" || die "node A did not start"
hd_start agent "$AGENT" "$HD_WORK/agent.ini" --price 100
hd_wait_for "$HD_WORK/agent.log" '^ready address=test.ea.agent$' ||
	{ cat "$HD_WORK/agent.log"; die "the agent did not get test.ea.agent from A"; }
ok "embedded agent started and took its address from A by IL-DCP"

# 2. The buyer pays 20 x 100, then underpays 5 x 50; it exits by itself.
hd_start buy1 "$AGENT" "$HD_WORK/buyer.ini" --send test.ea.agent.inbox --amount 100 \
	--count 20 --message "what is the weather" --exit
for _ in $(seq 1 300); do grep -q '^summary' "$HD_WORK/buy1.log" && break; sleep 0.05; done
grep -q '^summary' "$HD_WORK/buy1.log" || { cat "$HD_WORK/buy1.log"; die "buyer did not finish"; }
n_ok=$(grep -c '^sent [0-9]* accepted receipt #[0-9]*: 19 bytes, paid 100$' "$HD_WORK/buy1.log")
[ "$n_ok" -eq 20 ] && ok "20 paid messages fulfilled, each with the agent's receipt as Fulfill data" ||
	{ cat "$HD_WORK/buy1.log"; bad "paid messages fulfilled: $n_ok of 20"; }
grep -q '^summary .*sent=20 accepted=20 rejected=0 earned=-2000$' "$HD_WORK/buy1.log" &&
	ok "buyer's own account paid 2000 (earned -2000)" ||
	bad "buyer summary: $(grep '^summary' "$HD_WORK/buy1.log")"
hd_stop buy1
hd_start buy2 "$AGENT" "$HD_WORK/buyer.ini" --send test.ea.agent.inbox --amount 50 \
	--count 5 --exit
for _ in $(seq 1 300); do grep -q '^summary' "$HD_WORK/buy2.log" && break; sleep 0.05; done
n_f03=$(grep -c '^sent [0-9]* rejected F03 the price is 100 per message$' "$HD_WORK/buy2.log")
[ "$n_f03" -eq 5 ] && ok "5 underpaid messages rejected F03 by the agent's handler" ||
	{ cat "$HD_WORK/buy2.log"; bad "underpaid messages rejected F03: $n_f03 of 5"; }
grep -q '^summary .*earned=-2000$' "$HD_WORK/buy2.log" &&
	ok "buyer's balance survived its restart (still -2000: the durable ledger kept it, rejects moved nothing)" ||
	bad "buyer restart summary: $(grep '^summary' "$HD_WORK/buy2.log")"
hd_stop buy2

# 3. A's books (balance = what the peer owes A): the buyer owes 2000, A
#    owes the agent 2000.
h=$(hd_health "$PAA")
bal() { printf '%s' "$h" | python3 -c "import json,sys; d=json.load(sys.stdin); print(next(p['balance'] for p in d['peers'] if p['name']=='$1'))"; }
ba=$(bal agent) bb=$(bal buyer)
[ "$ba" = "-2000" ] && [ "$bb" = "2000" ] &&
	ok "A's ledger: buyer owes 2000, A owes the agent 2000" ||
	bad "A's balances: agent=$ba buyer=$bb (want -2000 and 2000)"

# 4. The agent stops cleanly on SIGTERM and reports what it earned.
kill -TERM "${HD_PID[agent]}"
for _ in $(seq 1 200); do grep -q '^summary' "$HD_WORK/agent.log" && break; sleep 0.05; done
grep -q '^summary paid=20 underpaid=5 .*earned=2000$' "$HD_WORK/agent.log" &&
	ok "agent: paid=20 underpaid=5, its own account holds 2000" ||
	{ cat "$HD_WORK/agent.log"; bad "agent summary: $(grep '^summary' "$HD_WORK/agent.log")"; }
grep -q 'shutdown.done' "$HD_WORK/agent.log" && ok "agent's connector stopped cleanly (shutdown.done)" ||
	bad "no shutdown.done in the agent's log"
hd_stop agent

# 5. A bad configuration: FILE:LINE: message, exit 1, nothing started.
printf '[node]\naddress = test.x\nbogus = 1\n' > "$HD_WORK/bad.ini"
out=$("$AGENT" "$HD_WORK/bad.ini" 2>&1); rc=$?
[ $rc -eq 1 ] && printf '%s' "$out" | grep -q "bad.ini:3: " &&
	ok "bad configuration refused: $out" || bad "bad configuration: rc=$rc out=$out"
finish
