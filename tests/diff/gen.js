'use strict';
// Random valid values (inputs for the reference encoders), their wire layout
// as a token tree (so mutations can target one field and keep the enclosing
// lengths right), and the mutators.

const { refDate } = require('./ref');

const SCHEMES = ['g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local'];
const SEG_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~-';
const PEER_CONDITION = Buffer.from('Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU=', 'base64');
const ILP_CODES = ['F00', 'F01', 'F02', 'F03', 'F04', 'F05', 'F06', 'F07', 'F08', 'F99', 'T00', 'T01',
	'T02', 'T03', 'T04', 'T05', 'T99', 'R00', 'R01', 'R02', 'R99'];
const PD_NAMES = ['ilp', 'auth', 'auth_username', 'auth_token', 'channel', 'claim', 'info', 'custom', ''];

const MS_MIN = Date.UTC(1000, 0, 1);
const MS_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const EDGE_TIMES = [MS_MIN, MS_MAX, 1, -1, Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28, 23, 59, 59, 999),
	Date.UTC(2016, 11, 31, 23, 59, 59, 999), Date.UTC(2017, 11, 24, 16, 14, 32, 279), Date.UTC(2400, 1, 29, 12)];

// ---- field generators ---------------------------------------------------

function genLen(rng, max) {
	const r = rng.int(1000);
	let n;
	if (r < 200) n = 0;
	else if (r < 600) n = rng.range(1, 127);
	else if (r < 750) n = rng.range(128, 255);
	else if (r < 800) n = rng.pick([127, 128, 255, 256]);
	else if (r < 960) n = rng.range(256, 1024);
	else if (r < 995) n = rng.range(1024, 4000);
	else if (r < 999) n = rng.range(4000, max);
	else n = max;
	return Math.min(n, max);
}

function genBytes(rng, max) {
	return rng.bytes(genLen(rng, max));
}

function genAmount(rng) {
	const r = rng.int(10);
	if (r === 0) return rng.pick(['0', '1', '18446744073709551615', '18446744073709551614', '4294967296',
		'9223372036854775808', '9007199254740993', '255', '256']);
	if (r < 4) return String(rng.range(0, 1e6));
	return rng.u64().toString();
}

function genTime(rng) {
	if (rng.chance(0.05)) return new Date(rng.pick(EDGE_TIMES));
	let ms;
	do ms = rng.range(MS_MIN, MS_MAX); while (ms === 0);
	return new Date(ms);
}

function genSegment(rng, n) {
	let s = '';
	for (let i = 0; i < n; i++) s += SEG_CHARS[rng.int(SEG_CHARS.length)];
	return s;
}

// A valid RFC 15 address; sometimes of an exact long length.
function genAddress(rng, scheme) {
	scheme = scheme || rng.pick(SCHEMES);
	if (rng.chance(0.04)) {
		const total = rng.pick([127, 128, 255, 256, 1023, rng.range(129, 1023)]);
		const body = total - scheme.length - 1;
		const chars = genSegment(rng, body).split('');
		for (let i = 1; i < body - 1; i++)
			if (rng.chance(0.08) && chars[i - 1] !== '.') chars[i] = '.';
		if (chars[body - 2] === '.') chars[body - 2] = 'x';
		return scheme + '.' + chars.join('');
	}
	let a = scheme;
	const nseg = rng.range(1, 6);
	for (let i = 0; i < nseg; i++) a += '.' + genSegment(rng, rng.range(1, 12));
	return a;
}

function genCodePoint(rng) {
	const r = rng.int(10);
	if (r < 5) return rng.range(0x20, 0x7e);
	if (r < 6) return rng.range(0, 0x7f);
	if (r < 7) return rng.range(0x80, 0x7ff);
	if (r < 9) {
		let c;
		do c = rng.range(0x800, 0xffff); while (c >= 0xd800 && c <= 0xdfff);
		return c;
	}
	return rng.range(0x10000, 0x10ffff);
}

// Unicode text whose UTF-8 form has at most maxBytes bytes.
function genText(rng, maxBytes) {
	const target = genLen(rng, maxBytes);
	const cps = [];
	let n = 0;
	for (;;) {
		const c = genCodePoint(rng);
		const l = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (n + l > target) break;
		cps.push(c);
		n += l;
	}
	let s = '';
	for (let i = 0; i < cps.length; i += 4096) s += String.fromCodePoint(...cps.slice(i, i + 4096));
	return s;
}

function genPrintable(rng, n) {
	let s = '';
	for (let i = 0; i < n; i++) s += String.fromCharCode(rng.range(0x20, 0x7e));
	return s;
}

function genPd(rng) {
	const n = rng.int(6);
	const pd = [];
	for (let i = 0; i < n; i++) {
		const name = rng.chance(0.6) ? rng.pick(PD_NAMES)
			: genPrintable(rng, rng.chance(0.05) ? rng.range(120, 300) : rng.range(0, 20));
		pd.push({ protocolName: name, contentType: rng.int(3), data: genBytes(rng, rng.chance(0.2) ? 33000 : 3000) });
	}
	return pd;
}

// ---- valid values (reference encoder inputs) ------------------------------

const gen = {
	prepare: (rng) => ({
		amount: genAmount(rng),
		expiresAt: genTime(rng),
		executionCondition: rng.bytes(32),
		destination: genAddress(rng),
		data: genBytes(rng, 32767),
	}),
	fulfill: (rng) => ({
		fulfillment: rng.chance(0.05) ? Buffer.alloc(32) : rng.bytes(32),
		data: genBytes(rng, 32767),
	}),
	reject: (rng) => ({
		code: rng.chance(0.7) ? rng.pick(ILP_CODES) : genPrintable(rng, 3),
		triggeredBy: rng.chance(0.15) ? '' : genAddress(rng),
		message: genText(rng, 8191),
		data: genBytes(rng, 32767),
	}),
	btp_response: (rng) => ({ type: 1, requestId: genReqId(rng), data: { protocolData: genPd(rng) } }),
	btp_message: (rng) => ({ type: 6, requestId: genReqId(rng), data: { protocolData: genPd(rng) } }),
	btp_transfer: (rng) => ({
		type: 7, requestId: genReqId(rng),
		data: { amount: genAmount(rng), protocolData: genPd(rng) },
	}),
	btp_error: (rng) => ({
		type: 2, requestId: genReqId(rng),
		data: {
			code: rng.chance(0.7) ? rng.pick(['T00', 'F00', 'F01', 'F03', 'F04', 'F05', 'F06', 'F07', 'F08'])
				: genPrintable(rng, 3),
			name: genPrintable(rng, rng.chance(0.05) ? rng.range(120, 300) : rng.range(0, 30)),
			triggeredAt: genTime(rng),
			data: genText(rng, 8192),
			protocolData: genPd(rng),
		},
	}),
	ildcp_request: (rng) => ({
		expiresAt: new Date(rng.chance(0.05) ? MS_MAX : rng.range(Date.UTC(2100, 0, 1), MS_MAX)),
	}),
	ildcp_response: (rng) => ({
		clientAddress: genAddress(rng),
		assetScale: rng.chance(0.1) ? rng.pick([0, 255]) : rng.int(256),
		assetCode: genText(rng, rng.chance(0.05) ? 600 : 12),
	}),
};

function genReqId(rng) {
	return rng.chance(0.05) ? rng.pick([0, 1, 0xffffffff, 0x80000000]) : rng.u32();
}

// ---- token trees ------------------------------------------------------------

const raw = (tag, b) => ({ k: 'raw', tag, b: Buffer.from(b) });
const leaf = (tag, b) => ({ k: 'var', tag, b: Buffer.from(b), lenEnc: null });
const box = (tag, kids) => ({ k: 'var', tag, kids, lenEnc: null });

function u64be(s) {
	const b = Buffer.alloc(8);
	b.writeBigUInt64BE(BigInt(s));
	return b;
}

function u32be(v) {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(v >>> 0);
	return b;
}

function canonLen(n) {
	if (n < 128) return Buffer.from([n]);
	const bytes = [];
	for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
	return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function ser(node) {
	if (Array.isArray(node)) return Buffer.concat(node.map(ser));
	if (node.k === 'raw') return node.b;
	const body = node.kids ? Buffer.concat(node.kids.map(ser)) : node.b;
	return Buffer.concat([node.lenEnc || canonLen(body.length), body]);
}

function gtimeOf(d) {
	return d.toISOString().replace(/[-T:]/g, '');
}

function pdTree(pd) {
	const nodes = [raw('count', [1, pd.length])];
	for (const e of pd) {
		nodes.push(leaf('pname', Buffer.from(e.protocolName, 'ascii')));
		nodes.push(raw('ctype', [e.contentType]));
		nodes.push(leaf('pdata', e.data));
	}
	return nodes;
}

function prepareTree(v) {
	return [raw('type', [12]), box('contents', [
		raw('amount', u64be(v.amount)),
		raw('time17', Buffer.from(refDate.dateToInterledgerTime(v.expiresAt), 'ascii')),
		raw('cond', v.executionCondition),
		leaf('addr', Buffer.from(v.destination, 'ascii')),
		leaf('data', v.data),
	])];
}

function fulfillTree(v) {
	return [raw('type', [13]), box('contents', [raw('fulfillment', v.fulfillment), leaf('data', v.data)])];
}

const tree = {
	prepare: prepareTree,
	fulfill: fulfillTree,
	reject: (v) => [raw('type', [14]), box('contents', [
		raw('code', Buffer.from(v.code, 'ascii')),
		leaf('addr0', Buffer.from(v.triggeredBy, 'ascii')),
		leaf('message', Buffer.from(v.message, 'utf8')),
		leaf('data', v.data),
	])],
	btp: (v) => {
		let kids;
		if (v.type === 7)
			kids = [raw('amount', u64be(v.data.amount)), ...pdTree(v.data.protocolData)];
		else if (v.type === 2)
			kids = [raw('code', Buffer.from(v.data.code, 'ascii')),
				leaf('bname', Buffer.from(v.data.name, 'ascii')),
				leaf('gtime', Buffer.from(gtimeOf(v.data.triggeredAt), 'ascii')),
				leaf('edata', Buffer.from(v.data.data, 'utf8')),
				...pdTree(v.data.protocolData)];
		else
			kids = pdTree(v.data.protocolData);
		return [raw('btptype', [v.type]), raw('reqid', u32be(v.requestId)), box('contents', kids)];
	},
	ildcp_request: (v) => prepareTree({
		amount: '0', expiresAt: v.expiresAt, executionCondition: PEER_CONDITION,
		destination: 'peer.config', data: Buffer.alloc(0),
	}),
	ildcp_response: (v) => [raw('type', [13]), box('contents', [
		raw('fulfillment', Buffer.alloc(32)),
		box('data', [leaf('addr', Buffer.from(v.clientAddress, 'ascii')), raw('scale', [v.assetScale]),
			leaf('acode', Buffer.from(v.assetCode, 'utf8'))]),
	])],
};

// ---- mutations --------------------------------------------------------------

function walk(node, out) {
	if (Array.isArray(node)) {
		for (const n of node) walk(n, out);
		return out;
	}
	out.push(node);
	if (node.kids) walk(node.kids, out);
	return out;
}

// A length determinant for n that is not canonical, or not n.
function badLenEnc(rng, n) {
	const be = (v, w) => {
		const b = Buffer.alloc(w);
		for (let i = w - 1; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v % 256;
		return b;
	};
	const r = rng.int(10);
	if (r === 0) return Buffer.from([0x80]);
	if (r <= 3) {
		// long form with more bytes than needed (includes n < 128 in one byte)
		const w = rng.range(1, 8);
		return Buffer.concat([Buffer.from([0x80 | w]), be(n, w)]);
	}
	if (r === 4) return Buffer.concat([Buffer.from([0x85]), be(n, 5)]);
	if (r === 5) return Buffer.concat([Buffer.from([0x86]), be(n, 6)]);
	if (r === 6) return canonLen(Math.max(0, n + rng.pick([-2, -1, 1, 2, 100])));
	if (r === 7) return Buffer.from([rng.pick([0x87, 0x88, 0x89, 0x8f, 0xff]), ...rng.bytes(rng.range(0, 9))]);
	if (r === 8) return Buffer.from([0x82, 0x00, n & 0xff]);
	return canonLen(rng.range(0, 70000));
}

const DIM = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Replaces characters of a 17-digit (or GeneralizedTime) string so that the
// strict rule rejects it or something the reference treats differently.
function corruptTimeDigits(rng, s) {
	const set = (str, pos, v) => str.slice(0, pos) + v + str.slice(pos + v.length);
	const r = rng.int(13);
	switch (r) {
	case 0: return set(s, 4, rng.pick(['00', '13', '19', '99']));
	case 1: return set(s, 6, rng.pick(['00', '32', '39', '99']));
	case 2: return set(s, 8, rng.pick(['24', '25', '99']));
	case 3: return set(s, 10, rng.pick(['60', '99']));
	case 4: return set(s, 12, rng.pick(['60', '61', '99']));
	case 5: { // day one past the end of the month
		const y = +s.slice(0, 4);
		const m = rng.range(1, 12);
		const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
		const d = DIM[m - 1] + (m === 2 && leap ? 1 : 0) + 1;
		return set(s, 4, String(m).padStart(2, '0') + String(d).padStart(2, '0'));
	}
	case 6: return set(s, rng.int(s.length), rng.pick([' ', 'a', '-', '+', '.', ':', '\x00', 'Z']));
	case 7: return set(s, 0, rng.pick(['0000', '0050', '0099', '0100', '0999', '1969', '1970']));
	case 8: return '19700101000000000'.slice(0, s.length) + s.slice(17);
	case 9: return ' ' + s.slice(0, 16) + s.slice(17);
	case 10: return set(s, 4, '0229'); // Feb 29, leap year or not
	case 11: return set(s, 8, '235960');
	default: return set(s, rng.int(s.length), String.fromCharCode(0x30 + rng.int(10) + (rng.chance(0.5) ? 0x80 : 0)));
	}
}

function toLatin1(s) {
	return Buffer.from(s, 'latin1');
}

function gtimeVariant(rng, b) {
	const s = b.toString('latin1');
	const d14 = s.slice(0, 14);
	const r = rng.int(12);
	switch (r) {
	case 0: return toLatin1(d14 + 'Z');
	case 1: return toLatin1(d14 + '.' + s.slice(15, 16) + 'Z');
	case 2: return toLatin1(d14 + '.' + s.slice(15, 17) + 'Z');
	case 3: return toLatin1(d14 + '.' + s.slice(15, 18) + '0Z');
	case 4: return toLatin1(d14 + '.Z');
	case 5: return toLatin1(s.slice(0, s.length - 1));
	case 6: return toLatin1(s.slice(0, 4) + '-' + s.slice(4, 6) + '-' + s.slice(6, 8) + 'T' + s.slice(8, 10) +
		':' + s.slice(10, 12) + ':' + s.slice(12, 14) + s.slice(14));
	case 7: return toLatin1(rng.pick(['', 'garbage', '2017', '1', 'Dec 25 1995', '20171224161432.279z',
		'2017-12-24', '20171224161432,279Z']));
	case 8: return toLatin1(corruptTimeDigits(rng, s));
	case 9: return toLatin1(d14 + '.' + s.slice(15, 18) + '+0100');
	case 10: return toLatin1(corruptTimeDigits(rng, d14) + 'Z');
	default: return toLatin1(corruptTimeDigits(rng, d14) + '.' + s.slice(15, 16) + 'Z');
	}
}

function badAddress(rng, b) {
	const r = rng.int(8);
	if (r === 0) return Buffer.from(rng.pick(['g', 'g.', 'g.a.', 'g..a', 'foo.bar', 'G.a', 'g.a b', 'g.a/b',
		'test4.a', '.g.a', 'peer', 'g.a\x00', 'g.\x7f', 'not an address']), 'ascii');
	if (r === 1) return Buffer.from('g.' + 'a'.repeat(1022), 'ascii');
	if (r === 2) return Buffer.alloc(0);
	// set bit 7 on 1..3 bytes
	const out = Buffer.from(b);
	const k = rng.range(1, 3);
	for (let i = 0; i < k && out.length; i++) out[rng.int(out.length)] |= 0x80;
	return out;
}

function invalidUtf8(rng, b) {
	const junk = Buffer.from(rng.pick([[0xff], [0xfe, 0xff], [0xc3], [0xe2, 0x9c], [0xed, 0xa0, 0x80],
		[0xf0, 0x9f, 0x98], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe0, 0x80, 0xaf],
		[0xf8, 0x88, 0x80, 0x80, 0x80]]));
	const at = rng.int(b.length + 1);
	return Buffer.concat([b.slice(0, at), junk, b.slice(at)]);
}

function nonPrintable(rng, b) {
	const out = Buffer.from(b.length ? b : Buffer.from('x'));
	out[rng.int(out.length)] = rng.pick([0x00, 0x01, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0xa0, 0xe9, 0xff,
		rng.int(256)]);
	return out;
}

const OVERSIZE = { data: [32768, 33100], pdata: [32768, 33100], message: [8192, 8400], edata: [8193, 8400] };

// One field-aware mutation of a tree (in place). Returns a label.
function mutateTree(rng, t) {
	const nodes = walk(t, []);
	const n = rng.pick(nodes);
	const op = rng.int(12);
	if (op <= 1 && n.k === 'var') {
		n.lenEnc = badLenEnc(rng, (n.kids ? ser(n.kids) : n.b).length);
		return 'lenenc:' + n.tag;
	}
	if (op === 2) { // trailing bytes inside an enclosing block
		const boxes = nodes.filter((x) => x.kids);
		const b = rng.pick(boxes);
		b.kids.push(raw('junk', rng.bytes(rng.range(1, 40))));
		return 'inner-trailing:' + b.tag;
	}
	if (op === 3 && n.k === 'var' && !n.kids) {
		n.b = n.b.slice(0, rng.int(n.b.length + 1));
		return 'shorten:' + n.tag;
	}
	if (op === 4 && !n.kids) {
		n.b = Buffer.concat([n.b, rng.bytes(rng.range(1, 5))]);
		return 'lengthen:' + n.tag;
	}
	if (op === 5 && !n.kids && n.b.length) {
		n.b = Buffer.from(n.b);
		n.b[rng.int(n.b.length)] = rng.int(256);
		return 'byte:' + n.tag;
	}
	if (op === 6 && n.k === 'raw' && n.b.length > 1) {
		n.b = n.b.slice(0, rng.int(n.b.length));
		return 'rawcut:' + n.tag;
	}
	return mutateTagged(rng, nodes);
}

function mutateTagged(rng, nodes) {
	const tagged = nodes.filter((x) => TAG_MUT[x.tag]);
	const n = rng.pick(tagged);
	TAG_MUT[n.tag](rng, n);
	return 'tag:' + n.tag;
}

const TAG_MUT = {
	type: (rng, n) => { n.b = Buffer.from([rng.pick([0, 1, 12, 13, 14, 15, 0x8c, rng.int(256)])]); },
	btptype: (rng, n) => { n.b = Buffer.from([rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 0x81, rng.int(256)])]); },
	time17: (rng, n) => {
		if (rng.chance(0.1)) {
			// a valid time in the past (IL-DCP requests) or the year 0000..0999
			const ms = rng.range(Date.UTC(1000, 0, 1), Date.UTC(2020, 0, 1));
			n.b = Buffer.from(refDate.dateToInterledgerTime(new Date(ms)), 'ascii');
			return;
		}
		n.b = toLatin1(corruptTimeDigits(rng, n.b.toString('latin1')));
	},
	gtime: (rng, n) => { n.b = gtimeVariant(rng, n.b); },
	addr: (rng, n) => { n.b = badAddress(rng, n.b); },
	addr0: (rng, n) => { n.b = badAddress(rng, n.b); },
	code: (rng, n) => { n.b = nonPrintable(rng, n.b).slice(0, 3); },
	bname: (rng, n) => { n.b = nonPrintable(rng, n.b); },
	pname: (rng, n) => { n.b = nonPrintable(rng, n.b); },
	message: (rng, n) => {
		if (rng.chance(0.5)) n.b = invalidUtf8(rng, n.b);
		else n.b = Buffer.from('x'.repeat(rng.range(...OVERSIZE.message)));
	},
	edata: (rng, n) => {
		if (rng.chance(0.5)) n.b = invalidUtf8(rng, n.b);
		else n.b = Buffer.from('y'.repeat(rng.range(...OVERSIZE.edata)));
	},
	acode: (rng, n) => { n.b = invalidUtf8(rng, n.b); },
	data: (rng, n) => {
		if (n.kids) { n.kids.push(raw('junk', rng.bytes(rng.range(1, 9)))); return; }
		n.b = rng.bytes(rng.range(...OVERSIZE.data));
	},
	pdata: (rng, n) => { n.b = rng.bytes(rng.range(...OVERSIZE.pdata)); },
	count: (rng, n) => {
		const c = n.b[n.b.length - 1];
		const be = (w, v) => { const b = Buffer.alloc(w); b[w - 1] = v; return b; };
		const r = rng.int(8);
		if (r === 0) n.b = Buffer.concat([Buffer.from([2]), be(2, c)]);
		else if (r === 1) n.b = Buffer.concat([Buffer.from([7]), be(7, c)]);
		else if (r === 2) n.b = Buffer.concat([Buffer.from([8]), be(8, c)]);
		else if (r === 3) n.b = Buffer.from([0]);
		else if (r === 4) n.b = Buffer.from([1, (c + 1) & 0xff]);
		else if (r === 5) n.b = Buffer.from([1, (c - 1) & 0xff]);
		else if (r === 6) n.b = Buffer.from([rng.range(3, 6)]); // count bytes cut off
		else n.b = Buffer.from([rng.pick([0x81, 0x09, 0x02, 0x01]), 0x01, c]);
	},
	fulfillment: (rng, n) => { n.b = Buffer.from(n.b); n.b[rng.int(32)] ^= 1 << rng.int(8); },
	cond: (rng, n) => { n.b = Buffer.from(n.b); n.b[rng.int(32)] ^= 1 << rng.int(8); },
	scale: (rng, n) => { n.b = rng.chance(0.5) ? Buffer.alloc(0) : Buffer.from([rng.int(256)]); },
	reqid: (rng, n) => { n.b = n.b.slice(0, rng.int(4)); },
	amount: (rng, n) => { n.b = rng.bytes(rng.int(8)); },
};

// Byte-level damage to a finished encoding; never returns an empty buffer.
function mutateBytes(rng, b) {
	const r = rng.int(5);
	b = Buffer.from(b);
	if (r === 0) { b[rng.int(b.length)] = rng.int(256); return [b, 'flip-byte']; }
	if (r === 1) { b[rng.int(b.length)] ^= 1 << rng.int(8); return [b, 'flip-bit']; }
	if (r === 2) return [b.slice(0, rng.range(1, Math.max(1, b.length - 1))), 'truncate'];
	if (r === 3) return [Buffer.concat([b, rng.bytes(rng.range(1, 12))]), 'extend'];
	const at = rng.int(b.length);
	b[at] = rng.pick([0x80, 0x81, 0x82, 0x85, 0x86, 0x87, 0x88, 0x7f, 0xff]);
	return [b, 'len-byte'];
}

function mutate(rng, t) {
	const labels = [];
	const k = rng.chance(0.8) ? 1 : rng.range(2, 3);
	for (let i = 0; i < k; i++) labels.push(mutateTree(rng, t));
	let b = ser(t);
	if (rng.chance(0.25)) {
		const [nb, l] = mutateBytes(rng, b);
		b = nb;
		labels.push(l);
	}
	if (b.length === 0) b = Buffer.from([0]);
	return [b, labels.join(',')];
}

module.exports = { gen, tree, ser, mutate, canonLen, PEER_CONDITION };
