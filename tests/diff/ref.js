'use strict';
// The reference JavaScript codecs (pinned in package.json) and the mapping of
// what they return onto ilpctl's JSON shape (docs/ilpctl.md).

const IlpPacket = require('ilp-packet');
const Btp = require('btp-packet');
const Ildcp = require('ilp-protocol-ildcp');
const refDate = require('ilp-packet/dist/utils/date');

const hex = (b) => Buffer.from(b).toString('hex');

function isoOrNull(d) {
	return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function normPd(pd) {
	return pd.map((e) => ({
		protocolName: e.protocolName,
		contentType: e.contentType,
		data: hex(e.data),
	}));
}

// Decoded reference object -> ilpctl JSON (field order as in docs/ilpctl.md).
const norm = {
	prepare: (o) => ({
		type: 12,
		amount: o.amount,
		expiresAt: o.expiresAt.toISOString(),
		executionCondition: hex(o.executionCondition),
		destination: o.destination,
		data: hex(o.data),
	}),
	fulfill: (o) => ({ type: 13, fulfillment: hex(o.fulfillment), data: hex(o.data) }),
	reject: (o) => ({
		type: 14,
		code: o.code,
		triggeredBy: o.triggeredBy,
		message: o.message,
		data: hex(o.data),
	}),
	btp: (o) => {
		const r = { type: o.type, requestId: o.requestId };
		if (o.type === Btp.TYPE_TRANSFER)
			r.amount = o.data.amount;
		if (o.type === Btp.TYPE_ERROR) {
			r.code = o.data.code;
			r.name = o.data.name;
			r.triggeredAt = isoOrNull(o.data.triggeredAt);
			// btp-packet hands `data` back as a UTF-8 string; ilpctl prints bytes.
			r.data = hex(Buffer.from(o.data.data, 'utf8'));
		}
		r.protocolData = normPd(o.data.protocolData);
		return r;
	},
	ildcp_request: (o) => ({ expiresAt: o.expiresAt.toISOString() }),
	ildcp_response: (o) => ({
		clientAddress: o.clientAddress,
		assetScale: o.assetScale,
		assetCode: o.assetCode,
	}),
};

const decoders = {
	prepare: IlpPacket.deserializeIlpPrepare,
	fulfill: IlpPacket.deserializeIlpFulfill,
	reject: IlpPacket.deserializeIlpReject,
	btp: Btp.deserialize,
	ildcp_request: Ildcp.deserializeIldcpRequest,
	ildcp_response: Ildcp.deserializeIldcpResponse,
};

// Returns {ok: true, v: ilpctl-shaped JSON} or {ok: false, err: message}.
function decode(kind, buf) {
	let o;
	try {
		o = decoders[kind](buf);
	} catch (e) {
		return { ok: false, err: String((e && e.message) || e) };
	}
	return { ok: true, v: norm[kind](o) };
}

// Encoder inputs (see gen.js for their shapes) -> Buffer.
const encoders = {
	prepare: IlpPacket.serializeIlpPrepare,
	fulfill: IlpPacket.serializeIlpFulfill,
	reject: IlpPacket.serializeIlpReject,
	btp: Btp.serialize,
	ildcp_request: Ildcp.serializeIldcpRequest,
	ildcp_response: Ildcp.serializeIldcpResponse,
};

function encode(kind, value) {
	return encoders[kind](value);
}

module.exports = { decode, encode, norm, refDate, Btp, IlpPacket, hex };
