'use strict';
// The hex vectors of /work/shared/reference/ilp-wire-format.md sections 7.1
// (well-formed) and 7.2 (malformed; rebuilt from the described change where
// the table abridges the hex). `ref` is what that document says the reference
// does: 'accept' or 'reject'.

const ref = require('./ref');
const { ser, tree, PEER_CONDITION } = require('./gen');

const P3 = '0c3e00000000000000013230313731323234313631343332323739' +
	'1111111111111111111111111111111111111111111111111111111111111111' + '03672e6100';

function prepareWith(over) {
	const v = Object.assign({
		amount: '1',
		expiresAt: new Date('2017-12-24T16:14:32.279Z'),
		executionCondition: Buffer.alloc(32, 0x11),
		destination: 'g.a',
		data: Buffer.alloc(0),
	}, over);
	const t = tree.prepare(v);
	if (over.addrBytes) t[1].kids[3].b = over.addrBytes;
	if (over.time) t[1].kids[1].b = Buffer.from(over.time, 'latin1');
	return ser(t).toString('hex');
}

function ildcpRequestWith(over) {
	const t = tree.prepare(Object.assign({
		amount: '0', expiresAt: new Date('2099-01-01T00:00:00.000Z'), executionCondition: PEER_CONDITION,
		destination: 'peer.config', data: Buffer.alloc(0),
	}, over));
	return ser(t).toString('hex');
}

function ildcpResponseRaw(fulfillment, addr) {
	const t = tree.ildcp_response({ clientAddress: addr, assetScale: 9, assetCode: '' });
	t[1].kids[0].b = fulfillment;
	return ser(t).toString('hex');
}

const wellFormed = [
	['prepare', 'amount 2^64-1, g.us.nexus.bob, "hello world"',
		'0c54ffffffffffffffff323031373132323431363134333232373972cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f0153637930e672e75732e6e657875732e626f620b68656c6c6f20776f726c64'],
	['prepare', 'amount 0, 2020-02-29, private.a',
		'0c4400000000000000003230323030323239303030303030303030abababababababababababababababababababababababababababababababab09707269766174652e6100'],
	['prepare', 'amount 1, g.a', P3],
	['fulfill', 'fulfillment 32x01, "thank you"',
		'0d2a0101010101010101010101010101010101010101010101010101010101010101097468616e6b20796f75'],
	['fulfill', 'fixture',
		'0d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e41665020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600'],
	['reject', 'F02 empty', '0e06463032000000'],
	['reject', 'R00 g.conn "expiré ✓"', '0e1752303006672e636f6e6e0b6578706972c3a920e29c9300'],
	['reject', 'F99 data', '0e194639390e672e72656365697665722e626f6200050102030405'],
	['reject', 'T04', '0e2854303409746573742e636f6e6e196578636565646564206d6178696d756d2062616c616e63652e00'],
	['reject', 'F08',
		'0e5346303809746573742e636f6e6e347061636b65742073697a6520746f6f206c617267652e206d6178416d6f756e743d35302061637475616c416d6f756e743d3130301000000000000000640000000000000032'],
	['btp', 'auth, empty user, id 0xdeadbeef',
		'06deadbeef2c0103046175746800000d617574685f757365726e616d6501000a617574685f746f6b656e0106736563726574'],
	['btp', 'Message json info', '060000000310010104696e666f02077b2261223a317d'],
];

function generated() {
	const out = [];
	const p = ref.encode('prepare', {
		amount: '5', expiresAt: new Date('2017-12-24T16:14:32.279Z'), executionCondition: Buffer.alloc(32, 7),
		destination: 'test.bob.~psk.abc-DEF_123', data: Buffer.alloc(200, 0x61),
	}).toString('hex');
	out.push(['prepare', '200-byte data (82011d / 81c8)', p, (h) => h.startsWith('0c82011d') && h.includes('81c8')]);
	const f = ref.encode('fulfill', { fulfillment: Buffer.alloc(32, 2), data: Buffer.alloc(130, 0x62) })
		.toString('hex');
	out.push(['fulfill', '130-byte data (0d81a4 / 8182)', f, (h) => h.startsWith('0d81a4') && h.includes('8182')]);
	return out;
}

function malformed() {
	const c3 = P3.slice(4);
	const m = [
		['prepare', '7.2#1 destination length 8103', '0c3f' + c3.replace(/03672e6100$/, '8103672e6100'), 'reject'],
		['prepare', '7.2#2 envelope length 80', '0c80' + c3, 'reject'],
		['prepare', '7.2#3 truncated (62 declared, 40 present)', '0c3e' + c3.slice(0, 80), 'reject'],
		['prepare', '7.2#4 destination g', prepareWith({ destination: 'g' }), 'reject'],
		['prepare', '7.2#4 destination "g.a b"', prepareWith({ destination: 'g.a b' }), 'reject'],
		['prepare', '7.2#4 destination foo.bar', prepareWith({ destination: 'foo.bar' }), 'reject'],
		['prepare', '7.2#4 destination g.a.', prepareWith({ destination: 'g.a.' }), 'reject'],
		['prepare', '7.2#4 destination 1024 chars', prepareWith({ destination: 'g.' + 'a'.repeat(1022) }), 'reject'],
		['prepare', 'destination 1023 chars', prepareWith({ destination: 'g.' + 'a'.repeat(1021) }), 'accept'],
		['prepare', '7.2#5 expiresAt abcdefghijklmnopq', prepareWith({ time: 'abcdefghijklmnopq' }), 'reject'],
		['prepare', '7.2#5 expiresAt 19700101000000000', prepareWith({ time: '19700101000000000' }), 'reject'],
		['prepare', '7.2#6 month 13', prepareWith({ time: '20171324161432200' }), 'accept'],
		['prepare', '7.2#6 hour 24', prepareWith({ time: '20171224240000000' }), 'accept'],
		['prepare', '7.2#6 second 60', prepareWith({ time: '20161231235960852' }), 'accept'],
		['prepare', '7.2#6 leading space', prepareWith({ time: ' 2017122416143227' }), 'accept'],
		['prepare', '7.2#7 type 0x0f', '0f' + P3.slice(2), 'reject'],
		['prepare', '7.2#7 type 0x0d to the prepare decoder', '0d' + P3.slice(2), 'reject'],
		['prepare', '7.2#8 trailing bytes after the envelope', P3 + 'deadbeef', 'accept'],
		['prepare', '7.2#8 trailing bytes inside the envelope', '0c42' + c3 + 'deadbeef', 'accept'],
		['prepare', '7.2#8 data 32768 bytes', prepareWith({ data: Buffer.alloc(32768, 1) }), 'accept'],
		['prepare', '7.2#8 destination bytes e7 2e e1', prepareWith({ addrBytes: Buffer.from('e72ee1', 'hex') }),
			'accept'],
		['fulfill', '7.2#9 20-byte fulfillment', '0d15' + '01'.repeat(20) + '00', 'reject'],
		['reject', '7.2#10 triggeredBy "not an address"', '0e144630300e6e6f7420616e20616464726573730000',
			'reject'],
		['reject', '7.2#11 code ZZZ', '0e065a5a5a000000', 'accept'],
		['reject', '7.2#11 message bytes fffe', '0e084630300002fffe00', 'accept'],
		['ildcp_response', '7.2#12 non-zero fulfillment',
			ildcpResponseRaw(Buffer.alloc(32, 1), 'example.bob'), 'reject'],
		['ildcp_response', '7.2#12 address nope',
			ildcpResponseRaw(Buffer.alloc(32), 'nope'), 'reject'],
		['ildcp_request', '7.2#13 wrong condition', ildcpRequestWith({ executionCondition: Buffer.alloc(32, 1) }),
			'reject'],
		['ildcp_request', '7.2#14 expired', ildcpRequestWith({ expiresAt: new Date('2017-12-24T16:14:32.279Z') }),
			'reject'],
		['btp', '7.2#17 type 3', '030000000103010000', 'reject'],
		['btp', '7.2#17 type 0', '000000000103010000', 'reject'],
		['btp', '7.2#18 count length 0', '01000000010100', 'reject'],
		['btp', '7.2#19 truncated', '060000000110010104', 'reject'],
		['btp', '7.2#20 count 2, one entry', '060000000108010203696c700000', 'reject'],
		['btp', '7.2#21 triggeredAt garbage', '02000000011046303001580767617262616765000100', 'accept'],
		['btp', '7.2#22 9-byte VarUInt count', '01000000010a09000000000000000000', 'reject'],
	];
	return m;
}

module.exports = { wellFormed, generated, malformed };
