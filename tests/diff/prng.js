'use strict';
const crypto = require('crypto');
// Seeded PRNG for the differential test: sfc32 state initialised with
// splitmix32, so one 32-bit seed reproduces a whole run.

function splitmix32(seed) {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x9e3779b9) >>> 0;
		let z = s;
		z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
		z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
		return (z ^ (z >>> 16)) >>> 0;
	};
}

class Rng {
	constructor(seed) {
		const sm = splitmix32(seed);
		this.a = sm();
		this.b = sm();
		this.c = sm();
		this.d = sm();
		for (let i = 0; i < 12; i++)
			this.u32();
	}

	u32() {
		const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
		this.d = (this.d + 1) >>> 0;
		this.a = this.b ^ (this.b >>> 9);
		this.b = (this.c + (this.c << 3)) >>> 0;
		this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
		this.c = (this.c + t) >>> 0;
		return t >>> 0;
	}

	// Uniform integer in [0, n), n <= 2^32.
	int(n) {
		return Math.floor((this.u32() / 4294967296) * n);
	}

	// Uniform integer in [lo, hi] (inclusive), hi - lo < 2^53.
	range(lo, hi) {
		const span = hi - lo + 1;
		if (span <= 4294967296)
			return lo + this.int(span);
		const hiPart = this.int(Math.ceil(span / 4294967296));
		return Math.min(hi, lo + hiPart * 4294967296 + this.u32());
	}

	chance(p) {
		return this.u32() / 4294967296 < p;
	}

	pick(arr) {
		return arr[this.int(arr.length)];
	}

	bytes(n) {
		if (n >= 512) {
			// AES-128-CTR keystream keyed from this generator: fast and
			// reproducible for the big fields.
			const key = this.bytes(16);
			const iv = this.bytes(16);
			return crypto.createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(n));
		}
		const b = Buffer.allocUnsafe(n);
		let i = 0;
		for (; i + 4 <= n; i += 4)
			b.writeUInt32LE(this.u32(), i);
		for (; i < n; i++)
			b[i] = this.u32() & 0xff;
		return b;
	}

	u64() {
		return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
	}
}

module.exports = { Rng };
