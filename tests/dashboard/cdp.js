'use strict';
// cdp.js - drives headless Chromium over the DevTools protocol (the pipe
// transport, --remote-debugging-pipe: JSON messages ending in NUL on fds
// 3 and 4, so no WebSocket and no port) for tests/dashboard/run.sh.
//
//   node cdp.js CHROMIUM URL OUT_JSON [--until JS] [--min-ms N] [--timeout-ms N]
//               [--shot FILE] [--size WxH]
//
// Opens URL in a fresh profile, waits until the page expression --until is
// true (polled every 250 ms) and at least --min-ms have passed, then writes
// OUT_JSON: {timedOut, elapsedMs, state (what the dashboard shows: its
// fields, peer rows, routes, reject codes, the error banner), requests
// (every request the page made: url, Authorization header, status), logs
// (console errors, exceptions, CSP and other browser log entries)}, and
// with --shot a PNG of the whole page. Exit status 0, or 1 if --until never
// became true within --timeout-ms (OUT_JSON is written either way), 2 on a
// usage or browser error. Real time throughout (no virtual time budget),
// so the page's polling and charts run as they would for a person.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(msg) {
	process.stderr.write(`cdp.js: ${msg}\nusage: node cdp.js CHROMIUM URL OUT_JSON ` +
		'[--until JS] [--min-ms N] [--timeout-ms N] [--shot FILE] [--size WxH]\n');
	process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.length < 3) usage('missing arguments');
const [chromium, url, outJson] = argv;
const opt = { until: 'true', minMs: 0, timeoutMs: 30000, shot: null, w: 1280, h: 900 };
for (let i = 3; i < argv.length; i += 2) {
	const v = argv[i + 1];
	if (v === undefined) usage(`${argv[i]} needs a value`);
	if (argv[i] === '--until') opt.until = v;
	else if (argv[i] === '--min-ms') opt.minMs = +v;
	else if (argv[i] === '--timeout-ms') opt.timeoutMs = +v;
	else if (argv[i] === '--shot') opt.shot = v;
	else if (argv[i] === '--size') {
		const m = /^(\d+)x(\d+)$/.exec(v);
		if (!m) usage('--size WxH');
		opt.w = +m[1];
		opt.h = +m[2];
	} else usage(`unknown option ${argv[i]}`);
}

// What the dashboard shows, read from the DOM the way a person reads it.
const EXTRACT = `(() => {
	const t = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
	const rows = (sel, key) => [...document.querySelectorAll(sel)].map(tr => {
		const o = { key: tr.getAttribute(key) };
		for (const a of tr.attributes) if (a.name.startsWith('data-')) o[a.name] = a.value;
		tr.querySelectorAll('td').forEach(td => { o[td.className.split(' ')[0] || 'td'] = td.textContent; });
		return o;
	});
	const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
		.filter(id => !['peers', 'routes', 'codes', 'chart-rate', 'chart-codes'].includes(id));
	const fields = {};
	ids.forEach(id => { fields[id] = t(id); });
	const err = document.getElementById('err');
	return {
		polls: +(document.body.getAttribute('data-polls') || 0),
		title: document.title,
		fields,
		errorShown: !!(err && err.classList.contains('on')),
		peers: rows('#peers tr[data-peer]', 'data-peer'),
		routes: rows('#routes tr[data-prefix]', 'data-prefix'),
		codes: rows("#codes tr[data-code]", "data-code")
	};
})()`;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ilpd-dash-chrome.'));
const chromeLog = fs.openSync(`${outJson}.chromium.log`, 'w');
const ch = spawn(chromium, [
	'--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
	`--user-data-dir=${profile}`, `--window-size=${opt.w},${opt.h}`, '--hide-scrollbars',
	'--no-first-run', '--no-default-browser-check', '--disable-extensions', '--mute-audio',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-default-apps', '--password-store=basic', '--use-mock-keychain'
], { stdio: ['ignore', chromeLog, chromeLog, 'pipe', 'pipe'] });

let finished = false;
function waitExit(ms) {
	return new Promise(resolve => {
		if (ch.exitCode !== null || ch.signalCode !== null) return resolve();
		const t = setTimeout(resolve, ms);
		ch.once('exit', () => { clearTimeout(t); resolve(); });
	});
}
// Stops chromium (if Browser.close did not), waits for it, removes the
// profile, exits.
async function shutdown(code, closing) {
	finished = true;
	if (closing) await waitExit(3000);   /* after Browser.close */
	try { ch.kill('SIGKILL'); } catch (e) { /* gone */ }
	await waitExit(5000);
	try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 }); } catch (e) { /* best effort */ }
	process.exit(code);
}
function fail(msg) {
	if (finished) return undefined;
	process.stderr.write(`cdp.js: ${msg}\n`);
	return shutdown(2);
}
ch.on('error', e => fail(`cannot start ${chromium}: ${e.message}`));
ch.on('exit', (code, sig) => { if (!finished) fail(`chromium exited early (${code ?? sig}); see ${outJson}.chromium.log`); });
process.on('SIGTERM', () => fail('terminated'));
process.on('SIGINT', () => fail('interrupted'));
const hard = setTimeout(() => fail('no result within timeout + 30 s'), opt.timeoutMs + 30000);

const toChrome = ch.stdio[3], fromChrome = ch.stdio[4];
// chromium gone: its 'exit' reports it (or we are stopping it ourselves)
toChrome.on('error', () => {});
fromChrome.on('error', () => {});
let nextId = 1, inbuf = Buffer.alloc(0);
const waiting = new Map();
const requests = new Map(), logs = [];
fromChrome.on('data', chunk => {
	inbuf = Buffer.concat([inbuf, chunk]);
	let z;
	while ((z = inbuf.indexOf(0)) >= 0) {
		const msg = JSON.parse(inbuf.subarray(0, z).toString('utf8'));
		inbuf = inbuf.subarray(z + 1);
		onMessage(msg);
	}
});
function send(method, params = {}, sessionId) {
	const id = nextId++;
	const msg = { id, method, params };
	if (sessionId) msg.sessionId = sessionId;
	toChrome.write(JSON.stringify(msg) + '\0');
	return new Promise((resolve, reject) => waiting.set(id, { resolve, reject, method }));
}
function onMessage(m) {
	if (m.id !== undefined) {
		const w = waiting.get(m.id);
		waiting.delete(m.id);
		if (!w) return;
		if (m.error) w.reject(new Error(`${w.method}: ${m.error.message}`));
		else w.resolve(m.result);
		return;
	}
	const p = m.params || {};
	switch (m.method) {
	case 'Network.requestWillBeSent': {
		const h = p.request.headers || {};
		const auth = Object.keys(h).find(k => k.toLowerCase() === 'authorization');
		requests.set(p.requestId, { url: p.request.url, method: p.request.method,
			authorization: auth ? h[auth] : null, status: null });
		break;
	}
	case 'Network.responseReceived': {
		const r = requests.get(p.requestId);
		if (r) r.status = p.response.status;
		break;
	}
	case 'Network.loadingFailed': {
		const r = requests.get(p.requestId);
		if (r) r.failed = p.errorText + (p.blockedReason ? ` (${p.blockedReason})` : '');
		break;
	}
	case 'Runtime.exceptionThrown':
		logs.push({ kind: 'exception', text: (p.exceptionDetails.exception &&
			p.exceptionDetails.exception.description) || p.exceptionDetails.text });
		break;
	case 'Runtime.consoleAPICalled':
		if (p.type === 'error' || p.type === 'warning')
			logs.push({ kind: `console.${p.type}`, text: p.args.map(a => a.value ?? a.description).join(' ') });
		break;
	case 'Log.entryAdded':
		logs.push({ kind: `log.${p.entry.source}.${p.entry.level}`, text: p.entry.text, url: p.entry.url });
		break;
	default:
		break;
	}
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

(async () => {
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
	const s = (method, params) => send(method, params, sessionId);
	await s('Network.enable');
	await s('Page.enable');
	await s('Runtime.enable');
	await s('Log.enable');
	await s('Emulation.setDeviceMetricsOverride', { width: opt.w, height: opt.h,
		deviceScaleFactor: 1, mobile: false });
	const evaluate = async expr => {
		const r = await s('Runtime.evaluate', { expression: expr, returnByValue: true });
		if (r.exceptionDetails) return { error: r.exceptionDetails.text };
		return { value: r.result.value };
	};
	const t0 = Date.now();
	const nav = await s('Page.navigate', { url });
	if (nav.errorText) return fail(`navigate ${url}: ${nav.errorText}`);
	let ok = false;
	while (Date.now() - t0 < opt.timeoutMs) {
		await sleep(250);
		const r = await evaluate(`!!(${opt.until})`);
		if (r.value === true && Date.now() - t0 >= opt.minMs) {
			ok = true;
			break;
		}
	}
	const st = await evaluate(EXTRACT);
	if (opt.shot) {
		const lm = await s('Page.getLayoutMetrics');
		const size = lm.cssContentSize || lm.contentSize;
		const height = Math.max(opt.h, Math.ceil(size.height));
		const shot = await s('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true,
			clip: { x: 0, y: 0, width: opt.w, height, scale: 1 } });
		fs.writeFileSync(opt.shot, Buffer.from(shot.data, 'base64'));
	}
	const out = { url, timedOut: !ok, elapsedMs: Date.now() - t0, until: opt.until,
		state: st.value || null, stateError: st.error || null,
		requests: [...requests.values()], logs };
	fs.writeFileSync(outJson, JSON.stringify(out, null, 1) + '\n');
	finished = true;
	clearTimeout(hard);
	try {
		await Promise.race([send('Browser.close'), sleep(3000)]);
	} catch (e) { /* closing anyway */ }
	await shutdown(ok ? 0 : 1, true);
})().catch(e => fail(e.stack || String(e)));
