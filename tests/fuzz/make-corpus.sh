#!/bin/sh
# make-corpus.sh - writes the seed corpora under tests/fuzz/corpus/<target>/
# from the known-answer vectors of /work/shared/reference/ilp-wire-format.md
# (sections 1, 2, 4, 5 and 7) plus a few hand-made edge cases. The output is
# committed; re-run after adding a vector. Usage: tests/fuzz/make-corpus.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus"

# seed TARGET NAME HEX...: writes one seed file from hex (the remaining
# arguments, concatenated; spaces between them are only for reading).
seed() {
	t=$1 n=$2
	shift 2
	mkdir -p "$out/$t"
	printf '%s' "$*" | tr -d ' \n' | xxd -r -p > "$out/$t/$n"
}
# text TARGET NAME STRING: writes one seed file holding STRING verbatim.
text() {
	mkdir -p "$out/$1"
	printf '%s' "$3" > "$out/$1/$2"
}

rm -rf "$out"

# ---- oer: length determinants, VarUInts, timestamps ---------------------
seed oer len-5 05
seed oer len-127 7f
seed oer len-128 8180
seed oer len-255 81ff
seed oer len-256 820100
seed oer len-32767 827fff
seed oer len-65536 83010000
seed oer len-bad-80 80
seed oer len-bad-8105 8105
seed oer len-bad-817f 817f
seed oer len-bad-8200ff 8200ff
seed oer len-bad-83000100 83000100
seed oer len-bad-8400ffffff 8400ffffff
seed oer len-js-quirk-n5 850000000080
seed oer len-truncated 81
seed oer len-max 88ffffffffffffffff
seed oer octets-hello 0568656c6c6f
seed oer octets-short 0568656c
seed oer varuint-0 0100
seed oer varuint-1 0101
seed oer varuint-255 01ff
seed oer varuint-256 020100
seed oer varuint-65536 03010000
seed oer varuint-max 08ffffffffffffffff
seed oer varuint-bad-00 00
seed oer varuint-leading-zero 020005
seed oer varuint-9 09010203040506070809
text oer time17-ok 20171224161432279
text oer time17-epoch 19700101000000000
text oer time17-month13 20171324161432200
text oer time17-hour24 20171224240000000
text oer time17-sec60 20161231235960852
text oer time17-space ' 2017122416143227'
text oer time17-letters abcdefghijklmnopq
text oer time17-leap 20200229000000000
text oer time17-noleap 21000229000000000
text oer time17-max 99991231235959999
text oer time17-min 00000101000000000
text oer gtime-short 20171224161432Z
text oer gtime-frac1 20171224161432.2Z
text oer gtime-frac3 20171224161432.279Z
text oer gtime-zero-ms 20180101000000.000Z
text oer gtime-garbage garbage

# ---- ilp_packet: Prepare, Fulfill, Reject (valid and malformed) ----------
seed ilp_packet prepare-fixture 0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0
seed ilp_packet prepare-max-amount 0c54ffffffffffffffff323031373132323431363134333232373972cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f0153637930e672e75732e6e657875732e626f620b68656c6c6f20776f726c64
seed ilp_packet prepare-private 0c4400000000000000003230323030323239303030303030303030abababababababababababababababababababababababababababababababab09707269766174652e6100
seed ilp_packet prepare-g-a 0c3e00000000000000013230313731323234313631343332323739111111111111111111111111111111111111111111111111111111111111111103672e6100
seed ilp_packet prepare-ildcp 0c460000000000000000323039393031303130303030303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e636f6e66696700
seed ilp_packet prepare-bad-destlen 0c3f00000000000000013230313731323234313631343332323739111111111111111111111111111111111111111111111111111111111111111108103672e6100
seed ilp_packet prepare-bad-envelope 0c80
seed ilp_packet prepare-truncated 0c3e000000000000000132303137313232343136313433323237391111111111111111
seed ilp_packet prepare-bad-date 0c3e0000000000000001616263646566676869606b6c6d6e6f7071111111111111111111111111111111111111111111111111111111111111111103672e6100
seed ilp_packet prepare-epoch 0c3e00000000000000013139373030313031303030303030303030111111111111111111111111111111111111111111111111111111111111111103672e6100
seed ilp_packet prepare-trailing-inside 0c4000000000000000013230313731323234313631343332323739111111111111111111111111111111111111111111111111111111111111111103672e6100beef
seed ilp_packet prepare-trailing-outside 0c3e00000000000000013230313731323234313631343332323739111111111111111111111111111111111111111111111111111111111111111103672e6100ff
seed ilp_packet prepare-high-bit 0c3e00000000000000013230313731323234313631343332323739111111111111111111111111111111111111111111111111111111111111111103e72ee100
seed ilp_packet fulfill-thanks 0d2a0101010101010101010101010101010101010101010101010101010101010101097468616e6b20796f75
seed ilp_packet fulfill-fixture 0d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e41665020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600
seed ilp_packet fulfill-zero 0d210000000000000000000000000000000000000000000000000000000000000000 00
seed ilp_packet fulfill-short 0d150000000000000000000000000000000000000000
seed ilp_packet reject-empty 0e06463032000000
seed ilp_packet reject-utf8 0e1752303006672e636f6e6e0b6578706972c3a920e29c9300
seed ilp_packet reject-f99 0e194639390e672e72656365697665722e626f6200050102030405
seed ilp_packet reject-t04 0e2854303409746573742e636f6e6e196578636565646564206d6178696d756d2062616c616e63652e00
seed ilp_packet reject-f08 0e5346303809746573742e636f6e6e347061636b65742073697a6520746f6f206c617267652e206d6178416d6f756e743d35302061637475616c416d6f756e743d3130301000000000000000640000000000000032
seed ilp_packet reject-f05 0e3b4630350c746573742e75702e636f6e6e2966756c66696c6c6d656e7420646964206e6f74206d617463682065787065637465642076616c75652e00
seed ilp_packet reject-fixture 0e41463031 0e6578616d706c652e75732e626f62 276d697373696e672064657374696e6174696f6e2e206c65646765723d6578616d706c652e75732e 06000000041041
seed ilp_packet reject-bad-trigger 0e144630300e6e6f7420616e20616464726573730000
seed ilp_packet reject-ildcp-expired 0e324630300b746573742e706172656e7421494c2d4443502072657175657374207061636b657420697320657870697265642e00
seed ilp_packet type-0f 0f0100
seed ilp_packet empty ''

# ---- btp: frames --------------------------------------------------------
seed btp auth-alice 0600000001310103046175746800000d617574685f757365726e616d650105616c6963650a617574685f746f6b656e0106736563726574
seed btp auth-empty-user 06deadbeef2c0103046175746800000d617574685f757365726e616d6501000a617574685f746f6b656e0106736563726574
seed btp auth-no-user 060000000121010204617574680000 0a617574685f746f6b656e0106736563726574
seed btp auth-ok 0100000001020100
seed btp error-bad-token 02000000013d463030104e6f7441636365707465644572726f721332303137313232343136313433322e3237395a12696e76616c696420617574685f746f6b656e0100
seed btp error-observed 02000000093d463030104e6f7441636365707465644572726f721332303236313132313232333230362e3839345a12696e76616c696420617574685f746f6b656e0100
seed btp error-garbage-time 02000000011046303001580767617262616765000100
seed btp error-short-time 02000000011a463030015808 3230313731323234313631343332 5a 000100
seed btp message-json 060000000310010104696e666f02077b2261223a317d
seed btp message-ilp-prepare 061234567872010103696c70006a0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0
seed btp response-fulfill 01123456782b010103696c7000230d210000000000000000000000000000000000000000000000000000000000000000 00
seed btp transfer 07000000070a00000000000000640100
seed btp type-3 030000000103010000
seed btp count-len-0 01000000010100
seed btp truncated 060000000110010104
seed btp count-2-one-entry 060000000108010203696c700000
seed btp ccp-update 065804cfd781c7010103696c700081be0c81bb0000000000000000323032363131323132323337313335393966687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f292511706565722e726f7574652e7570646174656f59b75ff1e20341d3abd289f9f74765590000000100000000000000010000afc80c746573742e75702e636f6e6e01010c746573742e75702e636f6e6e01010c746573742e75702e636f6e6e9bb8a91994b0ace36d0f2ac52c2f54573165fd844c72b6ea17768e7573f2465101000100
seed btp undecodable ffff
seed btp message-long-form 0600000001 81cd 0101 03696c70 00 81c4 "$(printf 'ab%.0s' $(seq 196))"
seed btp message-two-entries 06000000051b 0102 03696c70 00 020c01 0474657874 01 05 68656c6c6f
seed btp response-empty 0100000001020100
seed btp response-reject 01000000021a010103696c700012 0e1052303006672e636f6e6e0000 00
seed btp transfer-ilp 070000000817 ffffffffffffffff 0101 03696c70 00 03 0d0000
seed btp error-entries 020000000322 463031 0141 13 32303137313232343136313433322e3237395a 00 0101 0178 02 01 7b
seed btp error-bad-ascii-name 020000000115 463030 02ff41 0f 3230313731323234313631343332 5a 00 0100
seed btp varuint-zero-leading 060000000107 020001 0178 00 00
seed btp tiny 0102

# ---- ildcp: requests and responses -------------------------------------
seed ildcp request-2099 0c460000000000000000323039393031303130303030303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e636f6e66696700
seed ildcp request-wrong-cond 0c460000000000000000323039393031303130303030303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29240b706565722e636f6e66696700
seed ildcp response-xrp 0d3800000000000000000000000000000000000000000000000000000000000000001711746573742e706172656e742e6368696c640903585250
seed ildcp response-usd 0d360000000000000000000000000000000000000000000000000000000000000000150f672e6578616d706c652e616c6963650203555344
seed ildcp response-observed 0d3700000000000000000000000000000000000000000000000000000000000000001610746573742e75702e636f6e6e2e6b69640603555344
seed ildcp response-nonzero-ful 0d3801000000000000000000000000000000000000000000000000000000000000001711746573742e706172656e742e6368696c640903585250
seed ildcp response-bad-addr 0d2c0000000000000000000000000000000000000000000000000000000000000000 0a 046e6f7065 09 03585250
seed ildcp reject-expired 0e324630300b746573742e706172656e7421494c2d4443502072657175657374207061636b657420697320657870697265642e00
seed ildcp build-addr 0911746573742e706172656e742e6368696c64585250

seed ildcp response-scale0-nocode 0d320000000000000000000000000000000000000000000000000000000000000000 11 0e 746573742e706172656e742e6b6964 00 00
seed ildcp response-trailing 0d3a0000000000000000000000000000000000000000000000000000000000000000 19 11746573742e706172656e742e6368696c640903585250 beef
seed ildcp response-peer-addr 0d2e0000000000000000000000000000000000000000000000000000000000000000 0d 0870656572 2e 61 02 03555344
# IL-DCP travels in ordinary ILP packets: the packet seeds are useful too.
for f in "$out"/ilp_packet/*; do
	cp "$f" "$out/ildcp/pkt-$(basename "$f")"
done

# ---- ccp: route control and update payloads (section 6, 7.1) -------------
seed ccp control-idle 003b069822a7544e448a600f9f7084144d00000034010203666f6f03626172
seed ccp control-sync-nil 01 00000000000000000000000000000000 00000000 0100
seed ccp control-mode7-count0200 07 00000000000000000000000000000000 00000000 020000
seed ccp update-vector bffbf6ad0ddc4d3ba1e5b4f0537365bd0000000a000000080000000a0000753009672e737065616b6572010105672e6e6577010109672e737065616b6572cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc0101d00007026869010205672e6f6c6407672e6f6c646572
seed ccp update-heartbeat 21e55f8eabcd4e979ab9bf0e1ff0bd1d 00000034 00000034 00000034 0000afc8 0b746573742e706172656e74 0100 0100
seed ccp update-observed 59b75ff1e20341d3abd289f9f7476559 00000001 00000000 00000001 0000afc8 0c746573742e75702e636f6e6e 0101 0c746573742e75702e636f6e6e 0101 0c746573742e75702e636f6e6e 9bb8a91994b0ace36d0f2ac52c2f54573165fd844c72b6ea17768e7573f24651 0100 0100
seed ccp update-withdraw 59b75ff1e20341d3abd289f9f7476559 00000002 00000001 00000002 0000afc8 0c746573742e75702e636f6e6e 0100 0101 0a746573742e7065657278
# a route the engine imports (under test., not test.a), and one it refuses (path has test.a)
seed ccp update-importable 00112233445566778899aabbccddeeff 00000001 00000000 00000001 0000afc8 06746573742e7a 0101 0a746573742e7a2e6b6964 0101 06746573742e7a 0000000000000000000000000000000000000000000000000000000000000000 0100 0100
seed ccp update-loop 00112233445566778899aabbccddeeff 00000001 00000000 00000001 0000afc8 06746573742e7a 0101 09746573742e6c6f6f70 0102 06746573742e7a 06746573742e61 0000000000000000000000000000000000000000000000000000000000000000 0100 0100
seed ccp update-truncated-auth 59b75ff1e20341d3abd289f9f7476559 00000001 00000000 00000001 0000afc8 0c746573742e75702e636f6e6e 0101 0c746573742e75702e636f6e6e 0101 0c746573742e75702e636f6e6e 9bb8a91994b0
seed ccp update-count-too-big 59b75ff1e20341d3abd289f9f7476559 00000001 00000000 00000001 0000afc8 0c746573742e75702e636f6e6e 04ffffffff

# ---- switch: operation scripts (see fuzz_switch.c, enum op) -------------
# op 0 PREPARE from dest amt(3) shift delta(2) cond datalen data...
# op 1 PREPARE_RAW from len(2) bytes; op 2 RESPOND sel kind arg; op 3 ABORT
# sel code; op 4 ABORT_PEER peer; op 5 EXPIRE; op 6 ADVANCE ms/7 (2);
# op 7 LINK b (bit 7 = up, low bits = peer).
seed switch child-to-peer-fulfill 00 02 03 0003e8 00 03e8 00 00  02 00 01 00
seed switch child-to-peer-wrong-fulfill 00 02 03 0003e8 00 03e8 00 00  02 00 00 03
seed switch peer-to-parent-reject 00 01 05 000064 00 0bb8 01 04 01020304  02 00 02 00
seed switch parent-to-child-expire 00 00 00 0f4240 00 0fa0 02 00  06 1000  05
seed switch late-answer 00 00 01 000010 00 1388 00 00  06 ffff  02 00 01 00  05
seed switch abort-peer 00 02 02 000100 00 07d0 00 00  00 00 02 000100 00 07d0 01 00  04 01
seed switch abort-one 00 00 03 000001 00 07d0 03 00  03 00 01
seed switch link-down 07 01  00 02 03 000001 00 07d0 00 00  07 81  00 02 03 000001 00 07d0 00 00
seed switch too-large 00 02 05 ffffff 10 07d0 00 00
seed switch too-soon 00 00 03 000001 00 0064 00 00  00 00 03 000001 00 fff0 00 00
seed switch expired-src 00 00 03 000001 00 ff00 00 00
seed switch amount-max 00 00 03 000000 80 07d0 00 00
seed switch t04-peer 00 02 03 0f4240 00 07d0 00 00  00 02 03 0f4240 00 07d0 00 00  00 02 03 0f4240 00 07d0 00 00
seed switch peer-protocols 00 02 06 000000 00 07d0 04 00  00 00 07 000000 00 07d0 04 00  00 01 08 000000 00 07d0 04 00  00 00 09 000000 00 07d0 04 00  00 02 07 000000 00 07d0 04 00  00 00 06 000000 00 07d0 00 00
seed switch self-and-prefix 00 00 04 000001 00 07d0 00 00  00 00 0b 000001 00 07d0 00 00  00 01 0a 000001 00 07d0 00 00
seed switch raw-ildcp 01 02 0048 0c460000000000000000323039393031303130303030303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e636f6e66696700
seed switch raw-garbage 01 00 0004 0c020000
seed switch raw-response 00 00 03 000005 00 07d0 00 00  02 00 03 2a 0d2a0101010101010101010101010101010101010101010101010101010101010101097468616e6b20796f75
seed switch kid-ildcp-built 00 02 06 000000 00 07d0 04 00
seed switch parent-ildcp-refused 00 00 06 000000 00 07d0 04 00
seed switch wrong-peer-cond 00 01 07 000000 00 07d0 01 00
seed switch convert-overflow 00 00 03 ffffff 30 07d0 00 00
seed switch cap-hold 00 02 03 000001 00 7fff 00 00  06 ffff 06 ffff 05
seed switch down-then-abort 00 02 01 000001 00 07d0 00 00  07 00  04 00  05
seed switch respond-twice 00 02 03 000001 00 07d0 00 00  02 00 01 00  02 00 01 00
seed switch fill-table 00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00  00 02 03 000001 00 07d0 00 00
seed switch unknown-handle 02 ff 01 00 00 00 00 00  03 ff 00 12 34 56 78 01
seed switch many 00 02 03 000001 00 07d0 00 00  00 02 03 000002 00 07d1 01 00  00 02 03 000003 00 07d2 02 00  00 00 00 000004 00 07d3 03 00  02 01 01 00  02 00 02 01  06 0200  05  04 00  04 01

# ---- journal: the durable ledger's format (see fuzz_journal.c: byte 0 is
# the mode). From tests/unit/fixtures/journal-v1.bin: its snapshot (mode
# 00) and its three records (mode 01, replayed after the same snapshot).
seed journal snapshot-v1 00 494c50444c44475200010000000001140102030405060708fffffffe00000ffa0000100000030010000000000000000000000000000000000000000000000000672e686a6f75726e616c2e6e6f64653100000500616c69636500000000000000000000000000000000000000000000000000000000000000000003e8000000000000000100000001000000000000000000030600626f625f7e2d0000000000000000000000000000000000000000000000000000fffffffffffffffb0000000000000002000000010000000000000000000706004361726f6c3900000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000000000000038e659bd
seed journal snapshot-empty 00 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
seed journal records-v1 01 0e8699b501000000fffffffe05060708fffffffd00000000ffff8fb779f22087000000000000002a000000010000000000000000000000000000000000000000 3878cbb901010003ffffffff05060708fffffffd000000007fffffffffffffff0000000000000007000000030000000000000000000000000000000000000000 e012dd12010100070000000005060708ffffffff000000008000000000000000ffffffffffffffff000000010000000000000000000000000000000000000000
seed journal records-torn-tail 01 0e8699b501000000fffffffe05060708fffffffd00000000ffff8fb779f22087000000000000002a000000010000000000000000000000000000000000000000 3878cbb901010003ffffffff05060708fffffffd000000007fffffffffffffff0000000000000007000000030000000000000000000000000000000000000000 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
seed journal records-gap 01 0e8699b501000000fffffffe05060708fffffffd00000000ffff8fb779f22087000000000000002a000000010000000000000000000000000000000000000000 3878cbb901010003ffffffff05060708fffffffd000000007fffffffffffffff0000000000000007000000030000000000000000000000000000000000000000 00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 e012dd12010100070000000005060708ffffffff000000008000000000000000ffffffffffffffff000000010000000000000000000000000000000000000000
seed journal records-reordered 01 3878cbb901010003ffffffff05060708fffffffd000000007fffffffffffffff0000000000000007000000030000000000000000000000000000000000000000 0e8699b501000000fffffffe05060708fffffffd00000000ffff8fb779f22087000000000000002a000000010000000000000000000000000000000000000000 e012dd12010100070000000005060708ffffffff000000008000000000000000ffffffffffffffff000000010000000000000000000000000000000000000000
# Mode 02: 24-byte record fields (seq delta, gen delta, durable delta 16
# bits, slot, group end, flags, fulfilled, balance 8 bytes, 8 unused).
seed journal struct-two-groups 02 00 00 0000 00 00 01 05 0000000000000064 0000000000000000  00 00 0000 03 01 01 06 ffffffffffffff9c 0000000000000000  00 00 0002 07 01 03 01 7fffffffffffffff 0000000000000000
seed journal struct-corrupt 02 00 00 0000 00 01 01 01 0000000000000001 0000000000000000  05 00 0000 00 01 01 02 0000000000000002 0000000000000000  00 00 0005 03 01 01 03 0000000000000003 0000000000000000
seed journal struct-next-gen 02 00 00 0000 00 01 01 01 0000000000000001 0000000000000000  09 00 0000 00 01 01 02 0000000000000002 0000000000000000  00 01 0000 03 01 01 03 0000000000000003 0000000000000000
seed journal struct-invalid-slot 02 00 00 0000 01 01 01 01 0000000000000001 0000000000000000
seed journal struct-dup-slot 02 00 00 0000 03 00 01 01 0000000000000001 0000000000000000  00 00 0000 03 01 01 01 0000000000000002 0000000000000000

# ---- json: ilpctl encode input (docs/ilpctl.md) --------------------------
text json prepare '{"type":12,"amount":"107","expiresAt":"2017-12-23T01:21:40.549Z","executionCondition":"74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1","destination":"example.alice","data":"5db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0"}'
text json fulfill '{"type":13,"fulfillment":"0101010101010101010101010101010101010101010101010101010101010101","data":"7468616e6b20796f75"}'
text json reject '{"type":14,"code":"R00","triggeredBy":"g.conn","message":"expir\u00e9 \u2713","data":""}'
text json btp-auth '{"type":6,"requestId":1,"protocolData":[{"protocolName":"auth","contentType":0,"data":""},{"protocolName":"auth_token","contentType":1,"data":"736563726574"}]}'
text json btp-error '{"type":2,"requestId":1,"code":"F00","name":"NotAcceptedError","triggeredAt":"2017-12-24T16:14:32.279Z","data":"","protocolData":[]}'
text json btp-transfer '{"type":7,"requestId":7,"amount":"100","protocolData":[]}'
text json ildcp '{"clientAddress":"test.parent.child","assetScale":9,"assetCode":"XRP"}'
text json f08 '{"receivedAmount":"100","maximumAmount":"50"}'
text json ws-escapes ' { "a" : [ 1 , -0.5e+10 , true , false , null , "\"\\\/\b\f\n\r\t\ud83d\ude00" ] } '
text json numbers '{"a":0,"b":-0,"c":18446744073709551615,"d":18446744073709551616,"e":1E3,"f":0.0,"g":99999999999999999999.5}'
text json deep '{"a":{"b":[{}]}}'
text json too-deep '{"a":{"b":[{"c":[]}]}}'
text json dup '{"type":12,"type":12}'
text json trailing '{"type":12} x'
text json truncated '{"type":12'
text json lone-surrogate '{"a":"\ud800"}'
text json control '{"a":"x	y"}'
text json bad-utf8 "$(printf '{"a":"\377"}')"
text json empty-object '{}'
text json not-object '[1,2]'
text json leading-zero '{"a":01}'

# ---- ws: WebSocket frames (see fuzz_ws.c for the 2-byte prefix) --------
# Byte 0: bit 0 server role, bits 1-3 max_message index (5 = 4096), bits
# 4-5 fragment buffer index (3 = 4096), bits 6-7 mode (0 frames, 2 write
# round trip, 3 server handshake); byte 1: chunk size of the second pass
# (never 00 in a text seed: the shell drops NUL bytes).
# Frames from RFC 6455 section 5.7; masked ones use its key 37fa213d or
# the all-zero key (payload in clear).
seed ws rfc-client-hello 3a05 810548656c6c6f
seed ws rfc-server-hello 3b05 818537fa213d7f9f4d5158
seed ws rfc-client-frag 3a02 010348656c 80026c6f
seed ws rfc-client-ping 3a01 890548656c6c6f
seed ws rfc-server-pong 3b07 8a8537fa213d7f9f4d5158
seed ws client-256 3a10 827e0100 "$(printf 'ab%.0s' $(seq 256))"
seed ws client-64bit-header 3a03 827f0000000000010000
seed ws server-text-3 3b04 01830000000048656c 008b000000006c6f2c20776f726c6420e2 80820000000082ac
seed ws server-bin-ping 3b01 0282000000006162 8981000000007a 0082000000006364 8a8000000000 8082000000006566 8284000000006e657874
seed ws server-close 3b09 88850000000003e8627965
seed ws server-close-empty 3b09 888000000000
seed ws server-close-bad-code 3b09 88820000000003ed
seed ws server-unmasked 3b02 820161
seed ws server-rsv 3b02 c28000000000
seed ws server-opcode-3 3b02 838000000000
seed ws server-ping-126 3b02 89fe007e00000000
seed ws server-nonminimal-16 3b02 82fe000400000000 61626364
seed ws server-nonminimal-64 3b02 82ff000000000000000400000000 61626364
seed ws server-top-bit 3b02 82ff8000000000000000
seed ws server-too-big 0b02 82fe100100000000
seed ws server-nofrag 0b02 028100000000 61
seed ws server-bad-utf8 3b02 818200000000c328
seed ws server-cont-first 3b02 808100000000 61
seed ws client-masked 3a02 828137fa213d61
seed ws roundtrip-small 8000 68656c6c6f
seed ws roundtrip-200 8000 "$(printf 'c3a9%.0s' $(seq 100))"
text ws handshake-node-ws "$(printf '\300\001GET /btp HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nHost: 127.0.0.1:7768\r\n\r\n')"
text ws handshake-v8 "$(printf '\300\001GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n')"

# ---- http: request and response heads ----------------------------------
text http ws-request "$(printf 'GET /some/path?x=1 HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nHost: 127.0.0.1:7768\r\n\r\n')"
text http ws-101 "$(printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')"
text http health "$(printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1:7769\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n')"
text http metrics-1.0 "$(printf 'GET /metrics HTTP/1.0\r\n\r\n')"
text http response-200 "$(printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}')"
text http response-no-reason "$(printf 'HTTP/1.1 426\r\nSec-WebSocket-Version: 13\r\n\r\n')"
text http blanks "$(printf 'GET / HTTP/1.1\r\nA: \t x y \t\r\nB:\r\nConnection: keep-alive, Upgrade\r\n\r\n')"
text http obs-fold "$(printf 'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n')"
text http space-before-colon "$(printf 'GET / HTTP/1.1\r\nHost : x\r\n\r\n')"
text http bare-lf "$(printf 'GET / HTTP/1.1\nHost: x\n\n')"
text http partial "$(printf 'GET / HTTP/1.1\r\nHost: x\r\n')"

# ---- handle_packet: /handle-packet replies and bodies (fuzz_handle_packet.c:
# byte 0 even = a reply body follows, odd = an ILP Prepare follows) --------
text handle_packet accept '0{"accept":true,"data":"aGVsbG8="}'
text handle_packet accept-empty '0{"accept":true}'
text handle_packet accept-extra '0{"accept":true,"data":null,"meta":{"a":[1,2,"x"]}}'
text handle_packet reject '0{"accept":false,"rejectReason":{"code":"insufficient_funds","message":"no money"}}'
text handle_packet reject-other '0{"accept":false,"rejectReason":{"code":"something","message":null}}'
text handle_packet wrong-type '0{"accept":"yes","data":7}'
text handle_packet bad-b64 '0{"accept":true,"data":"aGVsbG9="}'
seed handle_packet body-fixture 01 0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0
seed handle_packet body-max-amount 01 0c54ffffffffffffffff323031373132323431363134333232373972cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f0153637930e672e75732e6e657875732e626f620b68656c6c6f20776f726c64

# ---- httpc: responses to the HTTP client (see fuzz_httpc.c: byte 0 bit 0
# = HEAD request, bit 1 = 70,000-byte body buffer (else 64), bits 2..7 =
# piece size - 1). printf writes them directly: $(...) would drop the
# final LF.
hc() {
	mkdir -p "$out/httpc"
	printf "$2" > "$out/httpc/$1"
}
hc length '\002HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"accept":true}'
hc length-small-pieces '\036HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n'
hc chunked '\006HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;a=b\r\n \r\n5\r\nworld\r\n0\r\nX-T: 1\r\n\r\n'
hc chunked-bad '\002HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n'
hc close-1.0 '\012HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes'
hc keepalive-1.0 '\002HTTP/1.0 503 Busy\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbusy'
hc interim '\002HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'
hc head '\003HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'
hc too-long '\000HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n'
hc te-and-length '\002HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n'

# ---- torctl: control-port replies (see fuzz_torctl.c: byte 0 is the chunk
# size - 1 of the second pass). Shapes of control-spec's examples and of
# Debian tor 0.4.9's replies.
text torctl protocolinfo "$(printf '\006250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE="/var/lib/tor/control_auth_cookie"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n')"
text torctl protocolinfo-escapes "$(printf '\001250-AUTH METHODS=COOKIE COOKIEFILE="/a \\"b\\\\c\\n\\101\\x41"\r\n250 OK\r\n')"
text torctl auth-ok "$(printf '\002250 OK\r\n')"
text torctl auth-failed "$(printf '\003515 Authentication failed: Password did not match HashedControlPassword value from configuration\r\n')"
text torctl bootstrap "$(printf '\011250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n250 OK\r\n')"
text torctl bootstrap-warn "$(printf '\004250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting" WARNING="Network is unreachable" REASON=NOROUTE COUNT=1 RECOMMENDATION=warn\r\n250 OK\r\n')"
text torctl add-onion-new "$(printf '\020250-ServiceID=vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd\r\n250-PrivateKey=ED25519-V3:8Ekj6uX6QzzKyvRzTnWjyzFLuBCtMxLnz5qzwtfwlGqfNlD6T1uFcCgN5vkdGqtszBiCPTdh5QTDKEB3tGVAYw==\r\n250 OK\r\n')"
text torctl hs-desc-events "$(printf '\005650 HS_DESC UPLOAD vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd UNKNOWN $F1B8D4C1A0D9AE43F3BD1D5C6D4F8C2BDA8C4F34~relay HSDIR_INDEX=0123\r\n650 HS_DESC UPLOADED vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd UNKNOWN $F1B8D4C1A0D9AE43F3BD1D5C6D4F8C2BDA8C4F34~relay\r\n650 HS_DESC FAILED vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd NO_AUTH $AA~r REASON=UPLOAD_REJECTED\r\n')"
text torctl data-block "$(printf '\007250+config-text=\r\nSocksPort 9050\r\n..hidden\r\n\r\n.\r\n250 OK\r\n650-STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n650 OK\r\n')"
text torctl bare-lf "$(printf '\001250-PROTOCOLINFO 1\n250 OK\n')"
text torctl garbage "$(printf '\001hello\r\n')"
text torctl unrecognized "$(printf '\001510 Unrecognized command "FOO"\r\n')"

# ---- socks5: proxy replies (see fuzz_socks5.c: byte 0 bit 0 = with
# credentials, bits 1-2 = destination kind; byte 1 = chunk size) -------------
seed socks5 tor-success 0005 0500 05000001 00000000 0000
seed socks5 auth-success 0103 0502 0100 05000001 00000000 0000
seed socks5 bnd-ipv6-trailing 0201 0500 05000004 00000000000000000000000000000001 1f90 474554
seed socks5 bnd-domain 0402 0500 05000003 09 6c6f63616c686f7374 0050
seed socks5 bnd-domain-255 0601 0500 05000003 ff "$(printf '61%.0s' $(seq 255))" 0050 16030100
seed socks5 onion-f0 0205 0500 05f00001 00000000 0000
seed socks5 onion-f6 0305 0502 0100 05f60001 00000000 0000
seed socks5 refused-05 0001 0500 05050001 00000000 0000
seed socks5 unknown-rep 0001 0500 05800001 00000000 0000
seed socks5 no-method 0101 05ff
seed socks5 bad-method 0101 0500
seed socks5 auth-failed 0102 0502 0101
seed socks5 bad-auth-version 0101 0502 0500
seed socks5 bad-version 0001 0400
seed socks5 http-answer 0007 485454502f312e312034303020426164
seed socks5 bad-rsv 0001 0500 05000101 7f000001 0050
seed socks5 bad-atyp 0601 0500 05000002 7f000001 0050
seed socks5 empty-domain 0003 0500 05000003 00 0050
seed socks5 truncated 0001 0500 050000

# ---- http_req: the admin listener's request framing, and base64 -------------
mkdir -p "$out/http_req"
printf 'POST /admin/ilp/send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' > "$out/http_req/post"
printf 'POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' > "$out/http_req/chunked"
printf 'POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc' > "$out/http_req/expect"
printf 'GET /admin/peers/a%%20b?x=1 HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n' > "$out/http_req/path"
printf 'Zm9vYmE=' > "$out/http_req/b64"
printf -- '-_8' > "$out/http_req/b64url"
