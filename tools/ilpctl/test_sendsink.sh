#!/bin/sh
# send -> sink over loopback, no connector in between: `ilpctl sink
# --listen 127.0.0.1:0` (ephemeral port, printed as "listening port=N") and
# `ilpctl send` against it. Checks the final lines and exit statuses, then
# the refusals: a wrong token (exit 1 with the server's reason) and a
# destination the sink does not own (every packet rejected F02, exit 1).
# Every process started here is stopped by PID.
#
# Usage: sh test_sendsink.sh ILPCTL [EMULATOR [ARGS...]]
BIN=$1
shift
EMU="$*"
TMP=${TMPDIR:-/tmp}/ilpctl-sendsink.$$
mkdir -p "$TMP" || exit 1
SINK_PID=
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Emulated (cross) runs are much slower: fewer packets.
if [ -n "$EMU" ]; then COUNT=2000; else COUNT=20000; fi

# start_sink NAME ARGS...: starts a listening sink, sets SINK_PID and PORT.
start_sink() {
	name=$1
	shift
	$EMU "$BIN" sink --listen 127.0.0.1:0 --token sink-token "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	SINK_PID=$!
	PORT=
	i=0
	while [ $i -lt 100 ]; do
		PORT=$(sed -n 's/^listening port=\([0-9]*\) .*/\1/p' "$TMP/$name.out")
		[ -n "$PORT" ] && return 0
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	bad "sink $name did not print its port: $(cat "$TMP/$name.out" "$TMP/$name.err")"
	return 1
}

# wait_sink: waits (up to ~10 s) for the sink to exit; sets SINK_RC.
wait_sink() {
	i=0
	while kill -0 "$SINK_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$SINK_PID" 2>/dev/null; then
		kill "$SINK_PID"
		bad "sink did not exit by itself"
	fi
	wait "$SINK_PID"
	SINK_RC=$?
	SINK_PID=
}

send() {
	$EMU "$BIN" send --url "ws://127.0.0.1:$PORT" "$@" >"$TMP/send.out" 2>"$TMP/send.err"
	SEND_RC=$?
	LAST=$(tail -n 1 "$TMP/send.out")
}

# ---- all fulfilled ------------------------------------------------------------
if start_sink ok --count $COUNT --timeout-ms 20000; then
	send --token sink-token --to private.sink.client --count $COUNT --window 100 --amount 7
	if [ $SEND_RC -eq 0 ] && [ "$LAST" = "sent=$COUNT fulfilled=$COUNT rejected=0" ]; then ok; else
		bad "send: rc=$SEND_RC last='$LAST' $(cat "$TMP/send.err")"; fi
	grep -q '^address=private.sink.client asset=XRP scale=9$' "$TMP/send.out" && ok ||
		bad "send: no IL-DCP address line: $(cat "$TMP/send.out")"
	grep -q '^rate=[0-9]* pps ' "$TMP/send.out" && ok || bad "send: no rate line"
	grep -q '^latency_us p50=[0-9]* p90=[0-9]* p99=[0-9]* max=[0-9]*$' "$TMP/send.out" && ok ||
		bad "send: no latency line"
	wait_sink
	sink_last=$(tail -n 1 "$TMP/ok.out")
	if [ $SINK_RC -eq 0 ] && [ "$sink_last" = "sink fulfilled=$COUNT rejected=0" ]; then ok; else
		bad "sink --count: rc=$SINK_RC last='$sink_last' $(cat "$TMP/ok.err")"; fi
fi

# ---- refusals --------------------------------------------------------------------
if start_sink neg --timeout-ms 20000; then
	# Wrong token: the sink answers F00 NotAcceptedError and closes.
	send --token wrong --to private.sink.client --count 5
	if [ $SEND_RC -eq 1 ] && grep -q 'auth refused: F00 NotAcceptedError: invalid auth_token' "$TMP/send.err" &&
		[ "$LAST" = "sent=0 fulfilled=0 rejected=0 unsent=5" ]; then ok; else
		bad "wrong token: rc=$SEND_RC last='$LAST' err='$(cat "$TMP/send.err")'"; fi
	# A destination the sink does not own: every packet rejected F02.
	send --token sink-token --to private.nobody --count 50 --window 10
	if [ $SEND_RC -eq 1 ] && [ "$LAST" = "sent=50 fulfilled=0 rejected=50 F02=50" ]; then ok; else
		bad "unknown destination: rc=$SEND_RC last='$LAST' $(cat "$TMP/send.err")"; fi
	# The sink is still serving after both.
	send --token sink-token --to private.sink.client --count 10 --window 10
	if [ $SEND_RC -eq 0 ] && [ "$LAST" = "sent=10 fulfilled=10 rejected=0" ]; then ok; else
		bad "after refusals: rc=$SEND_RC last='$LAST' $(cat "$TMP/send.err")"; fi
	# SIGTERM: the sink prints its summary and exits 0.
	kill -TERM "$SINK_PID"
	wait_sink
	sink_last=$(tail -n 1 "$TMP/neg.out")
	if [ $SINK_RC -eq 0 ] && [ "$sink_last" = "sink fulfilled=10 rejected=50" ]; then ok; else
		bad "sink after SIGTERM: rc=$SINK_RC last='$sink_last'"; fi
	grep -q 'invalid auth_token' "$TMP/neg.err" && ok || bad "sink did not report the refused client"
fi

# Nothing listening: exit 1 with a reason, and the final line.
send --token t --to private.x --count 3
if [ $SEND_RC -eq 1 ] && [ -s "$TMP/send.err" ]; then ok; else
	bad "closed port: rc=$SEND_RC"; fi

echo "ilpctl send/sink: $pass passed, $fail failed"
[ $fail -eq 0 ]
