'use strict';
// A JavaScript model of ilpd's decoding rules (the doc comments in
// ilp/include/ilp/{oer,ilp_packet,btp,ildcp}.h) that also knows where the
// reference codecs behave differently. It walks an input the way both
// decoders do and records:
//   hard     - a defect both decoders must reject (the walk stops);
//   rej      - deliberate differences that make ilpd reject what the
//              reference accepts (D2, D3, ...);
//   refRej   - deliberate differences that make the reference reject what
//              ilpd accepts;
//   soft     - fields both accept but show differently, with the reason.
// The classifier in diff.js uses this to explain each disagreement, and only
// then; a disagreement the model does not predict is a failure.

const { isUtf8 } = require('buffer');
const { refDate } = require('./ref');
const { isValidIlpAddress } = require('ilp-packet');

const PEER_CONDITION = Buffer.from('Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU=', 'base64');
const REF_GTIME = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2}\.[0-9]{3}Z)$/;
const DIM = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

class Hard extends Error {}

function hard(why) {
	throw new Hard(why);
}

// ---- strict rules (ilpd) ------------------------------------------------

function civilMs(Y, M, D, h, mi, s, ms) {
	if (M < 1 || M > 12 || h > 23 || mi > 59 || s > 59 || ms > 999) return null;
	const leap = (Y % 4 === 0 && Y % 100 !== 0) || Y % 400 === 0;
	if (D < 1 || D > DIM[M - 1] + (M === 2 && leap ? 1 : 0)) return null;
	const d = new Date(0);
	d.setUTCFullYear(Y, M - 1, D);
	d.setUTCHours(h, mi, s, ms);
	return d.getTime();
}

// oer_time17_decode: 17 ASCII digits, real calendar values. ms or null.
function strictTime17(b) {
	if (b.length !== 17) return null;
	for (const c of b) if (c < 0x30 || c > 0x39) return null;
	const s = b.toString('latin1');
	const n = (a, z) => +s.slice(a, z);
	return civilMs(n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 17));
}

// oer_gtime_decode: "YYYYMMDDHHMMSS[.f{1,3}]Z". ISO string or null.
function strictGtime(b) {
	const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?Z$/.exec(b.toString('latin1'));
	if (!m) return null;
	const ms = m[7] === undefined ? 0 : +m[7].padEnd(3, '0');
	const v = civilMs(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], ms);
	return v === null ? null : new Date(v).toISOString();
}

const printable = (b) => b.every((c) => c >= 0x20 && c <= 0x7e);

// ---- reader -----------------------------------------------------------------

class MR {
	constructor(buf, st) {
		this.b = buf;
		this.p = 0;
		this.st = st;
	}

	left() {
		return this.b.length - this.p;
	}

	u8() {
		if (this.p >= this.b.length) hard('u8 past end');
		return this.b[this.p++];
	}

	fixed(n) {
		if (n > this.left()) hard('underflow');
		const v = this.b.slice(this.p, this.p + n);
		this.p += n;
		return v;
	}

	// Length determinant: canonical OER for ilpd; the reference also takes
	// 5- and 6-byte forms of small values (32-bit shift in its minimum).
	len() {
		const b0 = this.u8();
		if (b0 < 0x80) return b0;
		const n = b0 & 0x7f;
		if (n === 0) hard('length 80');
		if (n > 6) hard('length of more than 6 bytes');
		if (n > this.left()) hard('length bytes cut');
		const v = this.b.readUIntBE(this.p, n);
		this.p += n;
		const refMin = Math.max(128, 1 << ((n - 1) * 8));
		const strictMin = n === 1 ? 128 : 2 ** (8 * (n - 1));
		if (v < refMin) hard('non-canonical length');
		if (v < strictMin) this.st.rej.add('D6');
		return v;
	}

	var() {
		return this.fixed(this.len());
	}
}

function newState() {
	return { rej: new Set(), refRej: new Set(), soft: new Map() };
}

// ---- fields -----------------------------------------------------------------

function address(b, st, allowEmpty) {
	const ref = b.toString('ascii');
	const refOk = (allowEmpty && b.length === 0) || isValidIlpAddress(ref);
	if (!refOk) hard('invalid address');
	if (b.some((c) => c >= 0x80)) st.rej.add('D2');
	return b.toString('latin1');
}

// Returns ilpd's ISO value and the reference's Date (or null).
function time17(b, st) {
	const strict = strictTime17(b);
	let refD = null;
	try {
		refD = refDate.interledgerTimeToDate(b.toString('ascii'));
	} catch (e) {
		refD = null;
	}
	if (strict === null) {
		if (refD === null) hard('invalid time');
		st.rej.add('D1');
		return { iso: null, refD };
	}
	if (refD === null) st.refRej.add('D1');
	else if (refD.getTime() !== strict) st.soft.set('expiresAt', 'D1');
	return { iso: new Date(strict).toISOString(), refD };
}

function gtime(b, st) {
	const strict = strictGtime(b);
	const s = b.toString();
	const d = new Date(s.replace(REF_GTIME, '$1-$2-$3T$4:$5:$6'));
	const ref = Number.isNaN(d.getTime()) ? null : d.toISOString();
	if (ref !== strict) st.soft.set('triggeredAt', REF_GTIME.test(s) ? 'D1' : 'D7');
	return strict;
}

function envelope(buf, st, type) {
	const r = new MR(buf, st);
	const t = r.u8();
	const contents = r.var();
	if (t !== type) hard('wrong type');
	if (r.left() > 0) st.rej.add('D3');
	return new MR(contents, st);
}

function dataField(r, st, max) {
	const d = r.var();
	if (d.length > max) st.rej.add('D4');
	return d;
}

// ---- kinds ------------------------------------------------------------------

function prepare(buf, st) {
	const r = envelope(buf, st, 12);
	const amount = r.fixed(8).readBigUInt64BE().toString();
	const t = time17(r.fixed(17), st);
	const cond = r.fixed(32);
	const dest = address(r.var(), st, false);
	const data = dataField(r, st, 32767);
	st.refTime = t.refD;
	return {
		type: 12, amount, expiresAt: t.iso, executionCondition: cond.toString('hex'),
		destination: dest, data: data.toString('hex'),
	};
}

function fulfill(buf, st) {
	const r = envelope(buf, st, 13);
	const f = r.fixed(32);
	const data = dataField(r, st, 32767);
	return { type: 13, fulfillment: f.toString('hex'), data: data.toString('hex') };
}

function reject(buf, st) {
	const r = envelope(buf, st, 14);
	const code = r.fixed(3);
	if (!printable(code)) st.rej.add('D5');
	const by = address(r.var(), st, true);
	const msg = dataField(r, st, 8191);
	const data = dataField(r, st, 32767);
	return {
		type: 14, code: code.toString('latin1'), triggeredBy: by, message: msg.toString('utf8'),
		data: data.toString('hex'),
	};
}

function protocolData(r, st) {
	const c = r.u8();
	if (c === 0 || c > 8) hard('bad count length');
	if (c > 6) st.refRej.add('D6');
	const countBytes = r.fixed(c);
	let count = 0n;
	for (const x of countBytes) count = (count << 8n) | BigInt(x);
	const out = [];
	for (let i = 0n; i < count; i++) {
		const name = r.var();
		if (!printable(name)) st.rej.add('D5');
		const ct = r.u8();
		const data = r.var();
		out.push({ protocolName: name.toString('latin1'), contentType: ct, data: data.toString('hex') });
	}
	return out;
}

function btp(buf, st) {
	const e = new MR(buf, st);
	const type = e.u8();
	const id = e.fixed(4).readUInt32BE();
	const contents = e.var();
	if (e.left() > 0) st.rej.add('D3');
	if (![1, 2, 6, 7].includes(type)) hard('unknown BTP type');
	const r = new MR(contents, st);
	const out = { type, requestId: id };
	if (type === 7) out.amount = r.fixed(8).readBigUInt64BE().toString();
	if (type === 2) {
		const code = r.fixed(3);
		if (!printable(code)) st.rej.add('D5');
		const name = r.var();
		if (!printable(name)) st.rej.add('D5');
		out.code = code.toString('latin1');
		out.name = name.toString('latin1');
		out.triggeredAt = gtime(r.var(), st);
		const data = dataField(r, st, 8192);
		if (!isUtf8(data)) st.soft.set('data', 'D9');
		out.data = data.toString('hex');
	}
	out.protocolData = protocolData(r, st);
	return out;
}

function ildcpRequest(buf, st, now) {
	const p = prepare(buf, st);
	if (Buffer.from(p.destination, 'latin1').toString('ascii') !== 'peer.config') hard('not peer.config');
	if (!PEER_CONDITION.equals(Buffer.from(p.executionCondition, 'hex'))) hard('not the peer condition');
	if (st.refTime && now > st.refTime.getTime()) st.refRej.add('D8');
	return { expiresAt: p.expiresAt };
}

function ildcpResponse(buf, st) {
	const r = envelope(buf, st, 13);
	const f = r.fixed(32);
	const data = dataField(r, st, 32767);
	if (!f.equals(Buffer.alloc(32))) hard('non-zero fulfillment');
	const d = new MR(data, st);
	const addr = address(d.var(), st, false);
	const scale = d.u8();
	const code = d.var();
	return { clientAddress: addr, assetScale: scale, assetCode: code.toString('utf8') };
}

const kinds = {
	prepare, fulfill, reject, btp, ildcp_request: ildcpRequest, ildcp_response: ildcpResponse,
};

// Returns {hard: reason | null, fields, rej, refRej, soft}.
function model(kind, buf, now) {
	const st = newState();
	try {
		const fields = kinds[kind](buf, st, now);
		return { hard: null, fields, rej: st.rej, refRej: st.refRej, soft: st.soft };
	} catch (e) {
		if (!(e instanceof Hard)) throw e;
		return { hard: e.message, fields: null, rej: st.rej, refRej: st.refRej, soft: st.soft };
	}
}

module.exports = { model, strictTime17, strictGtime };
