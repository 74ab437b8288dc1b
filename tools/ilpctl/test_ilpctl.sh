#!/bin/sh
# CLI tests for ilpctl: known-answer decodes (vectors from
# shared/reference/ilp-wire-format.md), encode(decode(x)) == x, invalid
# inputs (exit 1 with a reason), usage errors (exit 2, also for send and
# sink, whose network runs are in test_sendsink.sh) and batch mode.
#
# Usage: sh test_ilpctl.sh ILPCTL [EMULATOR [ARGS...]]
# A cross build passes ${CMAKE_CROSSCOMPILING_EMULATOR} after the binary.
BIN=$1
shift
EMU="$*"
TMP=${TMPDIR:-/tmp}/ilpctl-test.$$
mkdir -p "$TMP" || exit 1
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

ilpctl() { $EMU "$BIN" "$@"; }
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_decode KIND HEX JSON: decode prints exactly JSON and exits 0, and
# encoding that JSON gives HEX back.
expect_decode() {
	out=$(ilpctl decode --kind "$1" "$2" 2>"$TMP/err"); rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "$3" ]; then
		bad "decode --kind $1 $2: rc=$rc"
		echo "  got:  $out $(cat "$TMP/err")"
		echo "  want: $3"
		return
	fi
	ok
	hex=$(ilpctl encode --kind "$1" "$out" 2>"$TMP/err"); rc=$?
	if [ $rc -ne 0 ] || [ "$hex" != "$2" ]; then
		bad "encode --kind $1 of $out: rc=$rc got $hex $(cat "$TMP/err")"
		return
	fi
	ok
}

# expect_invalid CMD KIND INPUT REASON: exit 1, nothing on stdout, and
# stderr "ilpctl: invalid ...REASON..." on one line.
expect_invalid() {
	out=$(ilpctl "$1" --kind "$2" "$3" 2>"$TMP/err"); rc=$?
	err=$(cat "$TMP/err")
	lines=$(wc -l <"$TMP/err")
	case "$err" in
	"ilpctl: invalid "*"$4"*) reason_ok=1 ;;
	*) reason_ok=0 ;;
	esac
	if [ $rc -ne 1 ] || [ -n "$out" ] || [ $reason_ok -ne 1 ] || [ "$lines" -ne 1 ]; then
		bad "$1 --kind $2 '$3': rc=$rc out='$out' err='$err' (want '$4')"
		return
	fi
	ok
}

# expect_usage ARGS...: exit 2 with a message on stderr.
expect_usage() {
	ilpctl "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -ne 2 ] || [ ! -s "$TMP/err" ] || [ -s "$TMP/out" ]; then
		bad "usage error expected for: $*: rc=$rc"
		return
	fi
	ok
}

# ---- known answers --------------------------------------------------------
PREPARE=0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0
PREPARE_JSON='{"type":12,"amount":"107","expiresAt":"2017-12-23T01:21:40.549Z","executionCondition":"74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1","destination":"example.alice","data":"5db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0"}'
expect_decode prepare "$PREPARE" "$PREPARE_JSON"
expect_decode auto "$PREPARE" "$PREPARE_JSON"
expect_decode ilp "$PREPARE" "$PREPARE_JSON"

expect_decode prepare 0c54ffffffffffffffff323031373132323431363134333232373972cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f0153637930e672e75732e6e657875732e626f620b68656c6c6f20776f726c64 \
	'{"type":12,"amount":"18446744073709551615","expiresAt":"2017-12-24T16:14:32.279Z","executionCondition":"72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793","destination":"g.us.nexus.bob","data":"68656c6c6f20776f726c64"}'

F08_REJECT=0e5346303809746573742e636f6e6e347061636b65742073697a6520746f6f206c617267652e206d6178416d6f756e743d35302061637475616c416d6f756e743d3130301000000000000000640000000000000032
expect_decode reject "$F08_REJECT" \
	'{"type":14,"code":"F08","triggeredBy":"test.conn","message":"packet size too large. maxAmount=50 actualAmount=100","data":"00000000000000640000000000000032"}'
expect_decode f08 00000000000000640000000000000032 '{"receivedAmount":"100","maximumAmount":"50"}'
expect_decode f08 00000000001e848000000000000f4240 '{"receivedAmount":"2000000","maximumAmount":"1000000"}'

expect_decode fulfill 0d2a0101010101010101010101010101010101010101010101010101010101010101097468616e6b20796f75 \
	'{"type":13,"fulfillment":"0101010101010101010101010101010101010101010101010101010101010101","data":"7468616e6b20796f75"}'
expect_decode reject 0e06463032000000 '{"type":14,"code":"F02","triggeredBy":"","message":"","data":""}'
# UTF-8 message "expiré ✓" is printed as UTF-8.
expect_decode reject 0e1752303006672e636f6e6e0b6578706972c3a920e29c9300 \
	"$(printf '{"type":14,"code":"R00","triggeredBy":"g.conn","message":"expir\303\251 \342\234\223","data":""}')"

AUTH=0600000001310103046175746800000d617574685f757365726e616d650105616c6963650a617574685f746f6b656e0106736563726574
AUTH_JSON='{"type":6,"requestId":1,"protocolData":[{"protocolName":"auth","contentType":0,"data":""},{"protocolName":"auth_username","contentType":1,"data":"616c696365"},{"protocolName":"auth_token","contentType":1,"data":"736563726574"}]}'
expect_decode btp "$AUTH" "$AUTH_JSON"
expect_decode auto "$AUTH" "$AUTH_JSON"
expect_decode btp 0100000001020100 '{"type":1,"requestId":1,"protocolData":[]}'
expect_decode btp 07000000070a00000000000000640100 '{"type":7,"requestId":7,"amount":"100","protocolData":[]}'
expect_decode btp 02000000013d463030104e6f7441636365707465644572726f721332303137313232343136313433322e3237395a12696e76616c696420617574685f746f6b656e0100 \
	'{"type":2,"requestId":1,"code":"F00","name":"NotAcceptedError","triggeredAt":"2017-12-24T16:14:32.279Z","data":"696e76616c696420617574685f746f6b656e","protocolData":[]}'
expect_decode btp 060000000310010104696e666f02077b2261223a317d \
	'{"type":6,"requestId":3,"protocolData":[{"protocolName":"info","contentType":2,"data":"7b2261223a317d"}]}'

expect_decode ildcp_response 0d3800000000000000000000000000000000000000000000000000000000000000001711746573742e706172656e742e6368696c640903585250 \
	'{"clientAddress":"test.parent.child","assetScale":9,"assetCode":"XRP"}'
expect_decode ildcp_response 0d360000000000000000000000000000000000000000000000000000000000000000150f672e6578616d706c652e616c6963650203555344 \
	'{"clientAddress":"g.example.alice","assetScale":2,"assetCode":"USD"}'
expect_decode ildcp_response 0d3700000000000000000000000000000000000000000000000000000000000000001610746573742e75702e636f6e6e2e6b69640603555344 \
	'{"clientAddress":"test.up.conn.kid","assetScale":6,"assetCode":"USD"}'
expect_decode ildcp_request 0c460000000000000000323039393031303130303030303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e636f6e66696700 \
	'{"expiresAt":"2099-01-01T00:00:00.000Z"}'

# Invalid UTF-8 (ff fe) becomes two U+FFFD, as Node's Buffer.toString does;
# such a message cannot round-trip, so only the decode is checked.
out=$(ilpctl decode 0e084630300002fffe00)
want=$(printf '{"type":14,"code":"F00","triggeredBy":"","message":"\357\277\275\357\277\275","data":""}')
[ "$out" = "$want" ] && ok || bad "U+FFFD replacement: $out"
# Control characters are escaped as JSON.stringify does.
out=$(ilpctl decode 0e0a46303000040a01225c00)
[ "$out" = '{"type":14,"code":"F00","triggeredBy":"","message":"\n\u0001\"\\","data":""}' ] && ok || bad "escaping: $out"
# An unparsable BTP Error triggeredAt is null.
out=$(ilpctl decode 02000000011046303001580767617262616765000100)
[ "$out" = '{"type":2,"requestId":1,"code":"F00","name":"X","triggeredAt":null,"data":"","protocolData":[]}' ] && ok || bad "null triggeredAt: $out"

# ---- invalid inputs ---------------------------------------------------------
expect_invalid decode auto 0c6 "not hex"
expect_invalid decode auto 0c6x "not hex"
expect_invalid decode auto "" "empty input"
expect_invalid decode btp 030000000103010000 "unknown BTP frame type 3"
expect_invalid decode auto 030000000103010000 "first byte 3"
expect_invalid decode prepare 0d21000000000000000000000000000000000000000000000000000000000000000000 "wrong packet type"
expect_invalid decode prepare 0c3c000000000000000132303137313232343136313433323237391111111111111111111111111111111111111111111111111111111111111111016700 "destination: not a valid ILP address"
expect_invalid decode reject 0e144630300e6e6f7420616e20616464726573730000 "triggeredBy: not a valid ILP address"
expect_invalid decode f08 0000000000000064 "expected 16 bytes"
expect_invalid decode ildcp_response 0d21010000000000000000000000000000000000000000000000000000000000000000 "IL-DCP"
expect_invalid encode auto '{"type":12' "bad JSON"
expect_invalid encode auto '{"type":12} x' "trailing"
expect_invalid encode auto '{"type":12,"type":12}' "duplicate key"
expect_invalid encode auto '{"type":99}' "type: 99"
expect_invalid encode auto '{"type":1.5,"requestId":1,"protocolData":[]}' "type:"
expect_invalid encode btp '{"type":6,"requestId":1e0,"protocolData":[]}' "requestId:"
expect_invalid encode btp '{"type":6,"requestId":4294967296,"protocolData":[]}' "requestId: out of range"
expect_invalid encode btp '{"type":6,"requestId":1,"protocolData":[],"extra":null}' 'unknown key "extra"'
expect_invalid encode btp '{"type":6,"requestId":1}' 'missing key "protocolData"'
expect_invalid encode btp '{"type":4,"requestId":1,"protocolData":[]}' "unknown BTP frame type 4"
expect_invalid encode btp '{"type":6,"requestId":1,"protocolData":[{"protocolName":"a","contentType":0,"data":"0"}]}' "protocolData[0].data: not hex"
expect_invalid encode btp '{"type":2,"requestId":1,"code":"F00","name":"x","triggeredAt":"2017-02-29T00:00:00.000Z","data":"","protocolData":[]}' "triggeredAt:"
expect_invalid encode btp '{"type":2,"requestId":1,"code":"F00","name":"x","triggeredAt":"2017-12-24T16:14:32.27Z","data":"","protocolData":[]}' "triggeredAt:"
expect_invalid encode ilp '{"type":6,"requestId":1,"protocolData":[]}' "not an ILP packet type"
expect_invalid encode prepare '{"type":12,"amount":"18446744073709551616","expiresAt":"2017-12-24T16:14:32.279Z","executionCondition":"1111111111111111111111111111111111111111111111111111111111111111","destination":"g.a","data":""}' "amount: larger than 2^64-1"
expect_invalid encode prepare '{"type":12,"amount":107,"expiresAt":"2017-12-24T16:14:32.279Z","executionCondition":"1111111111111111111111111111111111111111111111111111111111111111","destination":"g.a","data":""}' "amount: expected a decimal string"
expect_invalid encode prepare '{"type":12,"amount":"1","expiresAt":"2017-12-24T16:14:32.279Z","executionCondition":"1111111111111111111111111111111111111111111111111111111111111111","destination":"g","data":""}' "destination: not a valid ILP address"
expect_invalid encode prepare '{"type":12,"amount":"1","expiresAt":"2017-12-24T16:14:32.279Z","executionCondition":"11","destination":"g.a","data":""}' "executionCondition: expected 32 bytes"
expect_invalid encode reject '{"type":14,"code":"F0","triggeredBy":"","message":"","data":""}' "code:"
expect_invalid encode reject '{"type":14,"code":"F00","triggeredBy":"","message":"\ud800","data":""}' "surrogate"
expect_invalid encode f08 '{"receivedAmount":"1","maximumAmount":"-1"}' "maximumAmount:"

# ---- usage errors -----------------------------------------------------------
expect_usage
expect_usage frobnicate
expect_usage decode
expect_usage decode --kind nope 00
expect_usage decode --kind
expect_usage decode --bogus 00
expect_usage decode 00 00
expect_usage encode --batch '{}'

# send/sink argument errors: exit 2, nothing on stdout, the reason on stderr.
expect_usage_msg() {
	msg=$1
	shift
	ilpctl "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	if [ $rc -ne 2 ] || [ -s "$TMP/out" ] || ! grep -qF -- "$msg" "$TMP/err"; then
		bad "usage error '$msg' expected for: $*: rc=$rc err='$(cat "$TMP/err")'"
		return
	fi
	ok
}
U=ws://127.0.0.1:1
expect_usage_msg "missing --url" send --token t --to g.a
expect_usage_msg "missing --token" send --url $U --to g.a
expect_usage_msg "missing --to" send --url $U --token t
expect_usage_msg "--to: 'nope' is not a valid ILP address" send --url $U --token t --to nope
expect_usage_msg "--url: URL must start with ws://" send --url http://h:1 --token t --to g.a
expect_usage_msg "--url: URL must start with ws://, wss://" send --url http://h --token t --to g.a
expect_usage_msg "--url: bad port" send --url ws://h:99999 --token t --to g.a
expect_usage_msg "--url: empty host" send --url ws://:80/x --token t --to g.a
expect_usage_msg "--count: '0' is out of range" send --url $U --token t --to g.a --count 0
expect_usage_msg "--count: expected a number, got '1e3'" send --url $U --token t --to g.a --count 1e3
expect_usage_msg "--window: '65537' is out of range" send --url $U --token t --to g.a --window 65537
expect_usage_msg "--amount: '18446744073709551616' is too large" send --url $U --token t --to g.a --amount 18446744073709551616
expect_usage_msg "--data-size: '15' is out of range" send --url $U --token t --to g.a --data-size 15
expect_usage_msg "--expiry-ms needs a value" send --url $U --token t --to g.a --expiry-ms
expect_usage_msg "unknown option '--bogus'" send --url $U --token t --to g.a --bogus
expect_usage_msg "give exactly one of --url URL and --listen HOST:PORT" sink --token t
expect_usage_msg "give exactly one of --url URL and --listen HOST:PORT" sink --url $U --listen 127.0.0.1:0 --token t
expect_usage_msg "--listen: missing :PORT" sink --listen 127.0.0.1 --token t
expect_usage_msg "--listen: bad port" sink --listen 127.0.0.1:x --token t
expect_usage_msg "missing --token" sink --listen 127.0.0.1:0
expect_usage_msg "--token: must not be empty" sink --listen 127.0.0.1:0 --token ''
expect_usage_msg "--address: 'bad' is not a valid ILP address" sink --listen 127.0.0.1:0 --token t --address bad
expect_usage_msg "--timeout-ms: expected a number" receive --url $U --token t --timeout-ms soon
expect_usage_msg "unknown option '--window'" sink --url $U --token t --window 5
ilpctl --help >"$TMP/out" 2>&1 && grep -q SYNOPSIS "$TMP/out" && grep -q "EXIT STATUS" "$TMP/out" && ok || bad "--help"

# ---- batch mode -------------------------------------------------------------
# Five lines: valid, invalid, empty, CRLF-terminated valid, and a last line
# without a newline; exactly five output lines in order.
printf '%s\n%s\n\n%s\r\n%s' 0e06463032000000 zz 0100000001020100 "$AUTH" >"$TMP/in"
ilpctl decode --batch <"$TMP/in" >"$TMP/out"; rc=$?
cat >"$TMP/want" <<WANT
{"type":14,"code":"F02","triggeredBy":"","message":"","data":""}
{"error":"not hex"}
{"error":"empty input"}
{"type":1,"requestId":1,"protocolData":[]}
$AUTH_JSON
WANT
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/want"; then ok; else
	bad "decode --batch (rc=$rc)"; diff "$TMP/want" "$TMP/out"; fi

# decode | encode round trip over the batch path.
printf '%s\n' "$PREPARE" "$F08_REJECT" "$AUTH" 0100000001020100 >"$TMP/in"
ilpctl decode --batch <"$TMP/in" >"$TMP/json" &&
	ilpctl encode --batch <"$TMP/json" >"$TMP/out" && cmp -s "$TMP/in" "$TMP/out" && ok ||
	bad "decode --batch | encode --batch round trip"

printf '%s\n%s\n' '{"receivedAmount":"100","maximumAmount":"50"}' '{"receivedAmount":"x"}' >"$TMP/in"
ilpctl encode --kind f08 --batch <"$TMP/in" >"$TMP/out"; rc=$?
printf '%s\n%s\n' 00000000000000640000000000000032 'error: missing key "maximumAmount"' >"$TMP/want"
if [ $rc -eq 0 ] && cmp -s "$TMP/out" "$TMP/want"; then ok; else
	bad "encode --batch (rc=$rc)"; diff "$TMP/want" "$TMP/out"; fi

# A line over the limit is one error line, and the next line still works.
{ head -c 1048578 /dev/zero | tr '\0' '0'; printf '\n0e06463032000000\n'; } >"$TMP/in"
ilpctl decode --batch <"$TMP/in" >"$TMP/out"; rc=$?
n=$(wc -l <"$TMP/out")
if [ $rc -eq 0 ] && [ "$n" -eq 2 ] && grep -q '^{"error":"input line longer' "$TMP/out" &&
	tail -n 1 "$TMP/out" | grep -q '"code":"F02"'; then ok; else
	bad "too-long batch line (rc=$rc, $n lines)"; fi

echo "ilpctl CLI: $pass passed, $fail failed"
[ $fail -eq 0 ]
