'use strict';
// Differential test: ilpd's codecs (through `ilpctl decode|encode --batch`)
// against the reference JavaScript codecs pinned in package.json.
//
//   node diff.js ILPCTL_PATH        (or ILPCTL=... node diff.js)
//
// Environment: DIFF_SEED (reproduce a run), DIFF_VALID / DIFF_MUTATED (values
// per kind, default 10000 each), DIFF_SHOW (examples printed per failure
// class, default 5). Ends with the line "N passed, N failed".

const { spawn } = require('child_process');
const os = require('os');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const crypto = require('crypto');
const fs = require('fs');

const { Rng } = require('./prng');
const ref = require('./ref');
const { gen, tree, ser, mutate } = require('./gen');
const { model } = require('./model');
const vectors = require('./vectors');

const ILPCTL = process.argv[2] || process.env.ILPCTL;
const NVALID = +(process.env.DIFF_VALID || 10000);
const NMUT = +(process.env.DIFF_MUTATED || 10000);
const SHOW = +(process.env.DIFF_SHOW || 5);
const SEED = isMainThread ? (process.env.DIFF_SEED !== undefined ? Number(process.env.DIFF_SEED) >>> 0
	: crypto.randomBytes(4).readUInt32BE()) : workerData.seed;
const JOBS = Math.max(1, +(process.env.DIFF_JOBS || Math.min(4, os.cpus().length)));

// name -> [ilpctl/ref kind, generator]
const KINDS = [
	['prepare', 'prepare'], ['fulfill', 'fulfill'], ['reject', 'reject'],
	['btp_response', 'btp'], ['btp_error', 'btp'], ['btp_message', 'btp'], ['btp_transfer', 'btp'],
	['ildcp_request', 'ildcp_request'], ['ildcp_response', 'ildcp_response'],
];

let passed = 0;
let failed = 0;
const shown = new Map();
let log = [];

function say(line) {
	log.push(line);
}

function fail(group, what, detail) {
	failed++;
	const key = group + ':' + what;
	const n = shown.get(key) || 0;
	shown.set(key, n + 1);
	if (n < SHOW)
		say(`FAIL [${group}] ${what}\n  ${detail.split('\n').join('\n  ')}`);
	else if (n === SHOW)
		say(`FAIL [${group}] ${what}: further examples not shown`);
}

function pass() {
	passed++;
}

function short(h) {
	return h.length > 4000 ? h.slice(0, 4000) + `... (${h.length / 2} bytes)` : h;
}

// ---- ilpctl -------------------------------------------------------------------

// Runs one `ilpctl <verb> --kind K --batch` over all lines; resolves to the
// output lines. Rejects if the tool fails or the line counts differ.
function ilpctl(verb, kind, lines) {
	return new Promise((resolve, reject) => {
		const child = spawn(ILPCTL, [verb, '--kind', kind, '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
		const out = [];
		const err = [];
		child.stdout.on('data', (c) => out.push(c));
		child.stderr.on('data', (c) => err.push(c));
		child.on('error', reject);
		child.on('close', (code, sig) => {
			const text = Buffer.concat(out).toString('utf8');
			const res = text.split('\n');
			if (res[res.length - 1] === '') res.pop();
			if (code !== 0 || res.length !== lines.length) {
				reject(new Error(`ilpctl ${verb} --kind ${kind} --batch: exit ${code}${sig ? ' ' + sig : ''}, ` +
					`${res.length} output lines for ${lines.length} inputs; stderr: ` +
					Buffer.concat(err).toString('utf8').slice(0, 500) +
					(res.length < lines.length ? `; first unanswered input: ${short(lines[res.length])}` : '')));
				return;
			}
			resolve(res);
		});
		child.stdin.on('error', () => {});
		child.stdin.end(lines.join('\n') + '\n');
	});
}

function parseDecoded(line) {
	let o;
	try {
		o = JSON.parse(line);
	} catch (e) {
		return { ok: false, err: 'unparsable output: ' + line.slice(0, 200), bad: true };
	}
	if (o && typeof o === 'object' && Object.keys(o).length === 1 && 'error' in o)
		return { ok: false, err: String(o.error) };
	return { ok: true, v: o };
}

function parseEncoded(line) {
	if (/^[0-9a-f]*$/.test(line) && line.length % 2 === 0)
		return { ok: true, hex: line };
	return { ok: false, err: line };
}

// ---- classification ---------------------------------------------------------

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Returns {agree: true} or {tags: [...]} (explained) or {why} (unexplained).
function classify(kind, buf, r, c, now) {
	if (r.ok === c.ok && (!r.ok || same(r.v, c.v)))
		return { agree: true };
	const m = model(kind, buf, now);
	if (m.hard)
		return { why: `model: both must reject (${m.hard})` };
	const ilpdOk = m.rej.size === 0;
	const refOk = m.refRej.size === 0;
	if (c.ok !== ilpdOk)
		return { why: `ilpd ${c.ok ? 'accepts' : 'rejects (' + c.err + ')'} but its documented rules ` +
			`${ilpdOk ? 'accept' : 'reject (' + [...m.rej].join(',') + ')'}` };
	if (r.ok !== refOk)
		return { why: `reference ${r.ok ? 'accepts' : 'rejects (' + r.err + ')'}, not what the model ` +
			`of its known behaviour says` };
	if (!c.ok)
		return { tags: [...m.rej] };
	if (!same(c.v, m.fields))
		return { why: 'ilpd fields differ from its documented rules: model ' + JSON.stringify(m.fields) };
	if (!r.ok)
		return { tags: [...m.refRej] };
	const tags = new Set();
	const keys = new Set([...Object.keys(r.v), ...Object.keys(c.v)]);
	for (const k of keys) {
		if (same(r.v[k], c.v[k]))
			continue;
		if (!m.soft.has(k))
			return { why: `field ${k} differs and no documented difference explains it` };
		tags.add(m.soft.get(k));
	}
	return { tags: [...tags] };
}

function describe(buf, r, c) {
	return `input ${short(buf.toString('hex'))}\n` +
		`reference: ${r.ok ? short(JSON.stringify(r.v)) : 'rejects: ' + r.err}\n` +
		`ilpd:      ${c.ok ? short(JSON.stringify(c.v)) : 'rejects: ' + c.err}`;
}

// ---- the run ----------------------------------------------------------------------

function kindSeed(name) {
	return (SEED ^ crypto.createHash('sha256').update(name).digest().readUInt32BE()) >>> 0;
}

function generate(name, refKind) {
	const rng = new Rng(kindSeed(name));
	const valid = [];
	for (let i = 0; i < NVALID; i++) {
		const v = gen[name](rng);
		const buf = ref.encode(refKind, v);
		const t = ser(tree[refKind](v));
		if (!t.equals(buf)) {
			fail(name, 'harness: token tree differs from the reference encoding',
				`ref ${short(buf.toString('hex'))}\ntree ${short(t.toString('hex'))}`);
			continue;
		}
		const r = ref.decode(refKind, buf);
		if (!r.ok) {
			fail(name, 'harness: reference cannot decode its own encoding', `${buf.toString('hex')}: ${r.err}`);
			continue;
		}
		valid.push({ v, buf, r });
	}
	const mutated = [];
	for (let i = 0; valid.length && i < NMUT; i++) {
		const base = rng.pick(valid);
		const [buf, label] = mutate(rng, tree[refKind](base.v));
		mutated.push({ buf, label, r: ref.decode(refKind, buf) });
	}
	return { name, refKind, valid, mutated };
}

function checkValid(g, dec, enc) {
	g.valid.forEach((x, i) => {
		const c = parseDecoded(dec[i]);
		if (c.ok && same(c.v, x.r.v)) pass();
		else fail(g.name, 'valid value: decode differs', describe(x.buf, x.r, c));
		const e = parseEncoded(enc[i]);
		if (e.ok && e.hex === x.buf.toString('hex')) pass();
		else fail(g.name, 'valid value: encode differs',
			`json ${short(JSON.stringify(x.r.v))}\nreference ${short(x.buf.toString('hex'))}\n` +
			`ilpd      ${e.ok ? short(e.hex) : 'error: ' + e.err}`);
	});
}

function checkMutated(g, dec, now) {
	const counts = { agree: 0, unexplained: 0 };
	g.mutated.forEach((x, i) => {
		const c = parseDecoded(dec[g.valid.length + i]);
		const k = classify(g.refKind, x.buf, x.r, c, now);
		if (k.agree) {
			counts.agree++;
			pass();
			modelCheck(g.name, g.refKind, x.buf, x.r, c, now, x.label);
		} else if (k.tags && k.tags.length) {
			for (const t of k.tags) counts[t] = (counts[t] || 0) + 1;
			pass();
		} else {
			counts.unexplained++;
			fail(g.name, 'mutated input: unexplained disagreement',
				`${k.why || 'no tag'} [mutation ${x.label}]\n${describe(x.buf, x.r, c)}`);
		}
	});
	return counts;
}

// Where ilpd and the reference agree, ilpd must still follow its own
// documented rules (model.js): agreeing with the reference where a deliberate
// difference is documented means the table is stale or ilpd regressed.
function modelCheck(group, kind, buf, r, c, now, label) {
	const m = model(kind, buf, now);
	const ok = !m.hard && m.rej.size === 0;
	const refOk = !m.hard && m.refRej.size === 0;
	if (ok === c.ok && refOk === r.ok && (!ok || same(m.fields, c.v))) {
		pass();
		return;
	}
	fail(group, 'agreement, but not as the documented rules (model.js) predict',
		`hard=${m.hard} rej=${[...m.rej]} refRej=${[...m.refRej]} [mutation ${label}]\n` +
		`model:     ${ok ? short(JSON.stringify(m.fields)) : 'rejects'}\n${describe(buf, r, c)}`);
}

async function runVectors(now) {
	const items = [];
	for (const [kind, name, hex] of vectors.wellFormed) items.push({ kind, name, hex, expect: 'accept', enc: true });
	for (const [kind, name, hex, pred] of vectors.generated())
		items.push({ kind, name, hex, expect: 'accept', enc: true, pred });
	for (const [kind, name, hex, expect] of vectors.malformed()) items.push({ kind, name, hex, expect });
	const byKind = new Map();
	for (const it of items) {
		if (!byKind.has(it.kind)) byKind.set(it.kind, []);
		byKind.get(it.kind).push(it);
	}
	const counts = { agree: 0, unexplained: 0 };
	for (const [kind, list] of byKind) {
		const dec = await ilpctl('decode', kind, list.map((x) => x.hex));
		const encList = list.filter((x) => x.enc);
		const r = list.map((x) => ref.decode(kind, Buffer.from(x.hex, 'hex')));
		const enc = encList.length ? await ilpctl('encode', kind,
			encList.map((x) => JSON.stringify(r[list.indexOf(x)].v || {}))) : [];
		list.forEach((x, i) => {
			const buf = Buffer.from(x.hex, 'hex');
			const rr = r[i];
			if ((rr.ok ? 'accept' : 'reject') === x.expect && (!x.pred || x.pred(x.hex))) pass();
			else fail('vectors', 'reference does not behave as the wire-format document says',
				`${x.name}: expected ${x.expect}, got ${rr.ok ? 'accept' : rr.err}`);
			const c = parseDecoded(dec[i]);
			const k = classify(kind, buf, rr, c, now);
			if (k.agree) {
				counts.agree++;
				pass();
				modelCheck('vectors', kind, buf, rr, c, now, x.name);
			} else if (k.tags && k.tags.length) {
				for (const t of k.tags) counts[t] = (counts[t] || 0) + 1;
				pass();
			} else {
				counts.unexplained++;
				fail('vectors', 'unexplained disagreement', `${x.name}: ${k.why}\n${describe(buf, rr, c)}`);
			}
			if (x.enc) {
				const e = parseEncoded(enc[encList.indexOf(x)]);
				if (e.ok && e.hex === x.hex) pass();
				else fail('vectors', 'encode differs', `${x.name}: ilpd ${e.ok ? e.hex : 'error: ' + e.err}`);
			}
		});
	}
	say(`vectors (7.1/7.2): ${items.length} inputs, ${fmtCounts(counts)}`);
}

function fmtCounts(c) {
	const tags = Object.keys(c).filter((k) => /^D\d+$/.test(k)).sort((a, b) => +a.slice(1) - +b.slice(1));
	return [`agree ${c.agree}`, ...tags.map((t) => `${t} ${c[t]}`), `unexplained ${c.unexplained}`].join(', ');
}

// One kind end to end (runs in a worker thread).
async function runKind(name, refKind) {
	const t0 = Date.now();
	const g = generate(name, refKind);
	const t1 = Date.now();
	const hexes = [...g.valid.map((x) => x.buf.toString('hex')), ...g.mutated.map((x) => x.buf.toString('hex'))];
	const [dec, enc] = await Promise.all([
		ilpctl('decode', g.refKind, hexes),
		ilpctl('encode', g.refKind, g.valid.map((x) => JSON.stringify(x.r.v))),
	]);
	const t2 = Date.now();
	checkValid(g, dec, enc);
	const counts = checkMutated(g, dec, Date.now());
	say(`${g.name.padEnd(15)} valid ${g.valid.length}, mutated ${g.mutated.length}: ${fmtCounts(counts)} ` +
		`(${t1 - t0}+${t2 - t1}+${Date.now() - t2} ms)`);
}

function flush() {
	const r = { passed, failed, log };
	passed = 0;
	failed = 0;
	log = [];
	return r;
}

function runInWorker(task) {
	return new Promise((resolve, reject) => {
		const w = new Worker(__filename, { workerData: { seed: SEED, task }, argv: process.argv.slice(2) });
		w.on('message', resolve);
		w.on('error', reject);
		w.on('exit', (code) => { if (code !== 0) reject(new Error(`worker for ${task[0]} exited ${code}`)); });
	});
}

async function main() {
	if (!ILPCTL || !fs.existsSync(ILPCTL)) {
		console.log(`diff: ilpctl not found (argument or ILPCTL): ${ILPCTL || '(unset)'}`);
		console.log('0 passed, 1 failed');
		process.exit(1);
	}
	console.log(`diff: seed ${SEED} (DIFF_SEED=${SEED} reproduces this run); ${NVALID} valid + ${NMUT} mutated ` +
		`per kind; ${JOBS} jobs; ilpctl ${ILPCTL}`);
	const t0 = Date.now();
	const results = new Array(KINDS.length);
	let next = 0;
	const lane = async () => {
		while (next < KINDS.length) {
			const i = next++;
			results[i] = await runInWorker(KINDS[i]);
		}
	};
	await Promise.all(Array.from({ length: JOBS }, lane));
	for (const r of results) {
		passed += r.passed;
		failed += r.failed;
		for (const l of r.log) console.log(l);
	}
	await runVectors(Date.now());
	for (const l of log) console.log(l);
	console.log(`diff: ${Date.now() - t0} ms`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

if (isMainThread) {
	main().catch((e) => {
		for (const l of log) console.log(l);
		console.log('diff: ' + ((e && e.stack) || e));
		console.log(`${passed} passed, ${failed + 1} failed`);
		process.exit(1);
	});
} else {
	runKind(...workerData.task).then(() => parentPort.postMessage(flush()), (e) => {
		fail(workerData.task[0], 'error', String((e && e.stack) || e));
		parentPort.postMessage(flush());
	});
}
