'use strict'
// The settlement test (issue 15), driven by run.sh:
//   node settle.js ILPD ILPCTL ALLOC_SO
//
// Two ilpd nodes peered over BTP, A (test.a, child alice) and B (test.b,
// child bob); A dials B. Each has a settlement engine (engine.js, built on
// ilp-settlement-core) and both engines settle on one toy bank (bank.js).
// Alice pays bob through A and B, so A owes B: A's balance for peer b goes
// negative, and when it falls below settle_threshold A asks its engine to
// settle; engine A pays B's bank account, engine B sees the transfer and
// credits ilpd B (POST /accounts/a/settlements on B's settlement listener).
// The engines learn each other's bank account with a message carried by
// the two ilpds as a Prepare to peer.settle. A reaches its engine over
// loopback TCP (settlement_engine = http://127.0.0.1:PORT), B over a unix
// socket in the work directory (settlement_engine = unix:PATH); the
// engines record which way each request came.
//
// Every ilpd runs under tests/alloc's malloc-counting interposer
// (ALLOC_SO): those that stop with SIGTERM must report no heap use after
// start-up, with settlement active.
//
// Prints PASS/FAIL lines and "N passed, N failed" last; exits non-zero on
// any failure. 127.0.0.1 only, ports below 32768, every wait bounded, only
// its own processes stopped (by PID). KEEP=1 keeps the work directory.

const childProcess = require('child_process')
const fs = require('fs')
const http = require('http')
const net = require('net')
const os = require('os')
const path = require('path')

const [ilpdBin, ilpctlBin, allocSo] = process.argv.slice(2)
if (!ilpdBin || !ilpctlBin || !allocSo) {
  console.error('usage: node settle.js ILPD ILPCTL ALLOC_SO')
  process.exit(2)
}
const here = __dirname
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ilpd-settle-'))

// ---------------------------------------------------------------- report

let passed = 0
let failed = 0
const failures = []
function pass (name, detail) {
  passed++
  console.log('PASS: ' + name + (detail ? ' (' + detail + ')' : ''))
}
function fail (name, detail) {
  failed++
  failures.push(name)
  console.log('FAIL: ' + name + (detail ? ': ' + detail : ''))
}
function check (name, ok, detail) {
  if (ok) pass(name, detail)
  else fail(name, detail)
  return !!ok
}
function eq (name, got, want) {
  const ok = String(got) === String(want)
  const show = (v) => typeof v === 'string' ? JSON.stringify(v) : String(v)
  return check(name, ok, ok ? String(got) : 'got ' + show(got) + ', want ' + show(want))
}
function note (s) { console.log('  ' + s) }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// waitFor(what, ms, fn): polls fn (async, truthy = done) every 100 ms;
// returns its value or null after ms.
async function waitFor (ms, fn) {
  const end = Date.now() + ms
  for (;;) {
    let v = null
    try { v = await fn() } catch (e) { v = null }
    if (v) return v
    if (Date.now() >= end) return null
    await sleep(100)
  }
}

// ---------------------------------------------------------------- processes

const children = new Set()
function killAll () {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL') } catch (e) {}
  }
  children.clear()
}
process.on('exit', () => {
  killAll()
  if (process.env.KEEP === '1') console.log('settlement: kept ' + work)
  else fs.rmSync(work, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130))

class Child {
  constructor (name, cmd, args, env) {
    this.name = name
    this.logFile = path.join(work, name + '.log')
    const fd = fs.openSync(this.logFile, 'a')
    this.proc = childProcess.spawn(cmd, args, { stdio: ['ignore', fd, fd], env: Object.assign({}, process.env, env || {}) })
    fs.closeSync(fd)
    this.pid = this.proc.pid
    this.code = null
    this.signal = null
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.code = code
        this.signal = signal
        children.delete(this)
        resolve()
      })
    })
    children.add(this)
  }

  alive () { return this.code === null && this.signal === null }
  log () { try { return fs.readFileSync(this.logFile, 'utf8') } catch (e) { return '' } }
  tail (n) {
    return this.log().split('\n').filter((l) => l).slice(-n).map((l) => '    ' + this.name + ': ' + l).join('\n')
  }

  // SIGTERM (or sig), SIGKILL after ms; resolves {code, signal}
  async stop (sig = 'SIGTERM', ms = 10000) {
    if (this.alive()) {
      try { process.kill(this.pid, sig) } catch (e) {}
      const t = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL') } catch (e) {} }, ms)
      await this.exited
      clearTimeout(t)
    }
    return { code: this.code, signal: this.signal }
  }
}

// ---------------------------------------------------------------- ports

function canBind (port) {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

// n free ports in 21000..32699 (below the ephemeral range), from a base
// that depends on the PID so parallel runs rarely probe the same ones.
async function ports (n) {
  const out = []
  let p = 21000 + (process.pid * 37) % 11000
  while (out.length < n) {
    if (p >= 32700) p = 21000
    if (await canBind(p)) out.push(p)
    p++
  }
  return out
}

function waitPort (port, ms, child) {
  return waitFor(ms, () => new Promise((resolve) => {
    if (child && !child.alive()) return resolve(false)
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  }))
}

// ---------------------------------------------------------------- HTTP

// request(port, method, path, {headers, body, timeout}) -> {status, headers, body (string)}
function request (port, method, p, opt = {}) {
  return new Promise((resolve, reject) => {
    const body = opt.body === undefined ? null : (Buffer.isBuffer(opt.body) ? opt.body : Buffer.from(typeof opt.body === 'string' ? opt.body : JSON.stringify(opt.body)))
    const headers = Object.assign({}, opt.headers || {})
    if (body) headers['Content-Length'] = body.length
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent: false, timeout: opt.timeout || 5000 }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(method + ' ' + p + ' on port ' + port + ': no answer in ' + (opt.timeout || 5000) + ' ms')))
    req.on('error', reject)
    req.end(body)
  })
}

async function getJson (port, p) {
  const r = await request(port, 'GET', p)
  if (r.status !== 200) throw new Error('GET ' + p + ': ' + r.status)
  return JSON.parse(r.body)
}

function jsonOr (s) { try { return JSON.parse(s) } catch (e) { return null } }

// ---------------------------------------------------------------- setup

const ASSET_SCALE = 9
const BANK_SCALE = 6
const PKT = 1000000 // 0.001 XRP at scale 9
const THRESHOLD = -5000000 // A settles when it owes B more than 0.005
const SETTLE_TO = 0
const LIMIT = 20000000 // B's max_balance for a: what A may owe B
const DEPOSIT = 1000000000000n // bank units each engine's account opens with
const UNIT = 10n ** BigInt(ASSET_SCALE - BANK_SCALE) // ledger units per bank unit

const P = {}
let bank, engA, engB, sink
// B's engine listens on a unix socket (settlement_engine = unix:PATH)
const ENG_B_SOCK = path.join(work, 'engine-b.sock')
const nodes = {} // name -> {child, run}

function ini (name) {
  const a = name === 'a'
  const lines = [
    '; tests/settlement node ' + name,
    '[node]',
    'address = test.' + name,
    'asset_code = XRP',
    'asset_scale = ' + ASSET_SCALE,
    '',
    '[btp]',
    'listen = 127.0.0.1:' + P[name + 'Btp'],
    '',
    '[admin]',
    'listen = 127.0.0.1:' + P[name + 'Admin'],
    '',
    '[settlement]',
    'listen = 127.0.0.1:' + P[name + 'Settle'],
    '',
    '[log]',
    'level = debug',
    '',
    '[ledger]',
    'durability = sync',
    'state_file = ' + path.join(work, name + '.state'),
    ''
  ]
  if (a) {
    lines.push(
      '[peer alice]', 'relation = child', 'token = alice-token', '',
      '[peer b]', 'relation = peer', 'url = ws://127.0.0.1:' + P.bBtp + '/', 'token = a-b-secret',
      'settlement_engine = http://127.0.0.1:' + P.engA,
      'settle_threshold = ' + THRESHOLD, 'settle_to = ' + SETTLE_TO,
      'settlement_scale = ' + BANK_SCALE,
      'min_balance = -' + LIMIT, '',
      '[routes]', 'test.b = b', '')
  } else {
    lines.push(
      '[peer bob]', 'relation = child', 'token = bob-token', '',
      '[peer a]', 'relation = peer', 'token = a-b-secret',
      'settlement_engine = unix:' + ENG_B_SOCK,
      'settle_threshold = ' + THRESHOLD, 'settle_to = ' + SETTLE_TO,
      'max_balance = ' + LIMIT, '',
      // c: a peer that never connects, with an engine account; the
      // credit tests (duplicate keys) use it so a's books stay exact
      '[peer c]', 'relation = peer', 'token = c-secret',
      'settlement_engine = unix:' + ENG_B_SOCK,
      'settle_threshold = ' + THRESHOLD, '')
  }
  const f = path.join(work, name + '.ini')
  fs.writeFileSync(f, lines.join('\n'))
  return f
}

async function startNode (name) {
  const n = nodes[name] || (nodes[name] = { run: 0 })
  n.run++
  const tag = 'ilpd-' + name + n.run
  n.report = path.join(work, tag + '.alloc-report')
  n.child = new Child(tag, ilpdBin, ['-c', path.join(work, name + '.ini')], {
    LD_PRELOAD: allocSo, ILPD_ALLOC_REPORT: n.report
  })
  if (!await waitPort(P[name + 'Admin'], 10000, n.child)) {
    console.log(n.child.tail(30))
    throw new Error(tag + ' did not listen on its admin port within 10 s')
  }
  return n.child
}

function health (name) { return getJson(P[name + 'Admin'], '/health') }
async function peerOf (name, peer) {
  const h = await health(name)
  return (h.peers || []).find((p) => p.name === peer)
}
async function bal (name, peer) {
  const p = await peerOf(name, peer)
  return p ? BigInt(p.balance) : null
}
// The peer's settlement object in /health, whatever settle-core names it
function settleInfo (p) {
  if (!p) return null
  return p.settlement || p.settle || null
}

function engState (e) { return getJson(e.control, '/state') }
async function engMode (e, mode) {
  const r = await request(e.control, 'POST', '/mode', { body: { mode } })
  if (r.status !== 200) throw new Error('engine mode ' + mode + ': ' + r.status + ' ' + r.body)
}
const bankTotals = () => getJson(P.bank, '/totals')
async function bankTransfers () {
  const r = await getJson(P.bank, '/transfers')
  return r.transfers
}

// ilpctl send alice -> bob: {rc, fulfilled, rejected, codes, line}
function send (count, amount, window = 1, to = 'test.b.bob') {
  const args = ['send', '--url', 'ws://127.0.0.1:' + P.aBtp, '--token', 'alice-token', '--username', 'alice',
    '--to', to, '--count', String(count), '--window', String(window), '--amount', String(amount),
    '--timeout-ms', '60000']
  return new Promise((resolve) => {
    childProcess.execFile(ilpctlBin, args, { timeout: 90000 }, (err, stdout, stderr) => {
      const line = (stdout.split('\n').filter((l) => l.startsWith('sent=')).pop()) || ''
      const f = {}
      for (const kv of line.split(' ')) {
        const i = kv.indexOf('=')
        if (i > 0) f[kv.slice(0, i)] = kv.slice(i + 1)
      }
      resolve({ rc: err ? (err.code || 1) : 0, fulfilled: +(f.fulfilled || 0), rejected: +(f.rejected || 0), codes: f, line: line || (stderr.trim().split('\n').pop() || '') })
    })
  })
}

// Total alice -> bob fulfilled amounts (the test's own books)
let sentTotal = 0n
async function pay (count, amount, window = 1) {
  const r = await send(count, amount, window)
  sentTotal += BigInt(r.fulfilled) * BigInt(amount)
  return r
}

// Both sides settled: A's balance for b and B's for a at settle_to, no
// settling amount open, engines idle. Returns a description or null.
async function quiet () {
  const pa = await peerOf('a', 'b')
  const pb = await peerOf('b', 'a')
  if (!pa || !pb) return null
  if (BigInt(pa.balance) !== BigInt(SETTLE_TO) || BigInt(pb.balance) !== BigInt(SETTLE_TO)) return null
  const s = settleInfo(pa)
  if (s && s.settling !== undefined && String(s.settling) !== '0') return null
  return 'A.b=' + pa.balance + ' B.a=' + pb.balance
}

// When a phase lost a settlement (A cleared its debt, B was never
// credited: B's balance for a stays up), the later phases would all fail
// on it too. repair() credits B the missing amount through B's settlement
// listener (a test-made credit, no bank transfer), counted in `repaired`
// so the books still add up; the phase that lost it has failed already.
let repaired = 0n
let repairs = 0
async function repair (phase) {
  const pa = await peerOf('a', 'b').catch(() => null)
  const pb = await peerOf('b', 'a').catch(() => null)
  if (!pa || !pb) return
  const s = settleInfo(pa) || {}
  if (!(BigInt(pa.balance) === 0n && String(s.settling) === '0' && BigInt(pb.balance) > 0n)) return
  // engine B's credit may still be on its way (its 150 ms poll, the POST):
  // give it 10 s before calling the settlement lost
  await waitFor(10000, async () => { const x = await peerOf('b', 'a').catch(() => null); return x && BigInt(x.balance) <= 0n })
  const pb2 = await peerOf('b', 'a').catch(() => null)
  if (!pb2) return
  const ba = BigInt(pb2.balance)
  if (ba > 0n) {
    repairs++
    const r = await request(P.bSettle, 'POST', '/accounts/a/settlements', {
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'test-repair-' + repairs },
      body: { amount: ba.toString(), scale: ASSET_SCALE }
    }).catch((e) => ({ status: 0, body: e.message }))
    if (r.status >= 200 && r.status < 300) repaired += ba
    note('repair after "' + phase + '": B\'s balance for a was ' + ba + ' with nothing settling at A (a lost settlement); credited it to B directly: ' + r.status + ' ' + r.body)
  }
}

async function showState (why) {
  note('state ' + why + ':')
  for (const [n, peer] of [['a', 'b'], ['b', 'a']]) {
    try { note('  ' + n + '.' + peer + ': ' + JSON.stringify(await peerOf(n, peer))) } catch (e) { note('  ' + n + ': /health failed: ' + e.message) }
  }
  try { note('  bank: ' + JSON.stringify(await bankTotals())) } catch (e) {}
}

// bank units moved from A's account to B's, in ledger units
async function movedAtoB () {
  const ts = await bankTransfers()
  let s = 0n
  for (const t of ts) if (t.from === 'bank-a' && t.to === 'bank-b') s += BigInt(t.amount)
  return { ledger: s * UNIT, count: ts.length }
}

function allocReport (n) {
  let txt = ''
  try { txt = fs.readFileSync(n.report, 'utf8') } catch (e) {}
  const first = txt.split('\n')[0] || ''
  const f = {}
  for (const kv of first.split(' ')) {
    const i = kv.indexOf('=')
    if (i > 0) f[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return { f, txt, first }
}

async function stopAndCheckAlloc (name) {
  const n = nodes[name]
  const tag = n.child.name
  const r = await n.child.stop('SIGTERM', 10000)
  eq(tag + ' exits with status 0 on SIGTERM', r.signal || r.code, 0)
  const { f, txt, first } = allocReport(n)
  if (!first) return fail(tag + ': no allocation report (never called ilpd_alloc_mark?)')
  check(tag + ': no heap use after start-up with settlement active',
    f.armed === '1' && f.exited === '1' && f.allocs_after_mark === '0' && f.frees_after_mark === '0',
    first + (f.allocs_after_mark !== '0' ? '\n' + txt.split('\n').slice(1, 12).map((l) => '    ' + l).join('\n') : ''))
}

// ---------------------------------------------------------------- phases

async function setup () {
  const ps = await ports(15)
  ;['aBtp', 'aAdmin', 'aSettle', 'bBtp', 'bAdmin', 'bSettle', 'bank', 'engA', 'engAInner', 'engACtl', 'engB', 'engBInner', 'engBCtl', 'spare1', 'spare2'].forEach((k, i) => { P[k] = ps[i] })
  note('work dir ' + work + ', ports ' + JSON.stringify(P))

  bank = new Child('bank', process.execPath, [path.join(here, 'bank.js'), '--port', P.bank, '--file', path.join(work, 'bank.json')])
  if (!await waitPort(P.bank, 10000, bank)) throw new Error('bank did not start:\n' + bank.tail(10))
  if (ENG_B_SOCK.length > 107) throw new Error('work dir too long for a unix socket path (107 bytes): ' + ENG_B_SOCK)
  const engine = (name, port, inner, ctl, settle, unixPath) => {
    const c = new Child('engine-' + name, process.execPath, [path.join(here, 'engine.js'),
      ...(unixPath ? ['--unix', unixPath] : ['--port', port]), '--inner-port', inner, '--control-port', ctl,
      '--connector', 'http://127.0.0.1:' + settle, '--bank', 'http://127.0.0.1:' + P.bank,
      '--bank-account', 'bank-' + name, '--bank-scale', String(BANK_SCALE), '--deposit', String(DEPOSIT),
      '--state', path.join(work, 'engine-' + name + '.json')], { DEBUG: 'settlement-core' })
    c.control = ctl
    c.port = port
    return c
  }
  engA = engine('a', P.engA, P.engAInner, P.engACtl, P.aSettle)
  engB = engine('b', P.engB, P.engBInner, P.engBCtl, P.bSettle, ENG_B_SOCK)
  for (const e of [engA, engB]) {
    if (!await waitPort(e.control, 15000, e)) throw new Error(e.name + ' did not start:\n' + e.tail(20))
  }
  pass('bank and two engines (ilp-settlement-core) started')

  ini('a')
  ini('b')
  await startNode('b')
  await startNode('a')
  const up = await waitFor(15000, async () => (await peerOf('a', 'b')).connected && (await peerOf('b', 'a')).connected)
  if (!check('A and B peered over BTP', up)) {
    console.log(nodes.a.child.tail(20))
    console.log(nodes.b.child.tail(20))
    throw new Error('no BTP link')
  }
  sink = new Child('sink-bob', ilpctlBin, ['sink', '--url', 'ws://127.0.0.1:' + P.bBtp, '--token', 'bob-token', '--username', 'bob', '--timeout-ms', '3600000'])
  if (!await waitFor(10000, () => /sink address=/.test(sink.log()))) throw new Error('ilpctl sink did not connect:\n' + sink.tail(5))
}

// B's requests to its engine came over the unix socket (settlement_engine =
// unix:PATH), A's over TCP: as each engine's proxy recorded them.
async function checkVia (when) {
  const [sa, sb] = [await engState(engA), await engState(engB)]
  const count = (rs, via) => rs.filter((r) => r.via === via).length
  check('B\'s requests to its engine came over its unix socket (' + when + ')',
    sb.requests.length > 0 && count(sb.requests, 'unix') === sb.requests.length,
    sb.requests.length + ' requests: ' + count(sb.requests, 'unix') + ' unix, ' + count(sb.requests, 'tcp') + ' tcp')
  check('A\'s requests to its engine came over TCP (' + when + ')',
    sa.requests.length > 0 && count(sa.requests, 'tcp') === sa.requests.length,
    sa.requests.length + ' requests: ' + count(sa.requests, 'tcp') + ' tcp, ' + count(sa.requests, 'unix') + ' unix')
}

async function phaseAccounts () {
  // ilpd sets up its peer's account at its engine
  const acc = await waitFor(20000, async () => {
    const [sa, sb] = [await engState(engA), await engState(engB)]
    const ra = sa.requests.find((r) => r.method === 'POST' && r.path === '/accounts')
    const rb = sb.requests.find((r) => r.method === 'POST' && r.path === '/accounts')
    return ra && rb && sa.accounts.b && sb.accounts.a && { ra, rb }
  })
  if (check('each ilpd sets up its peer\'s account at its engine (POST /accounts)', acc,
    acc ? 'A: ' + acc.ra.body + ', B: ' + acc.rb.body : 'engine A saw ' + JSON.stringify((await engState(engA)).requests.slice(0, 5)))) {
    eq('A\'s engine account is the peer name', jsonOr(acc.ra.body) && jsonOr(acc.ra.body).id, 'b')
  }
  await checkVia('so far')
  // the engines exchange bank accounts through ilpd's peer.settle path
  const ex = await waitFor(30000, async () => {
    const [sa, sb] = [await engState(engA), await engState(engB)]
    return sa.accounts.b && sa.accounts.b.peerBank === 'bank-b' && sb.accounts.a && sb.accounts.a.peerBank === 'bank-a' && { sa, sb }
  })
  if (check('engines exchanged bank accounts by a message through ilpd (peer.settle)', ex,
    ex ? 'A knows bank-b, B knows bank-a' : JSON.stringify({ a: (await engState(engA)).accounts, b: (await engState(engB)).accounts }))) {
    const inbound = ex.sa.requests.concat(ex.sb.requests).filter((r) => /\/messages$/.test(r.path))
    check('ilpd hands the peer\'s message to its engine (POST /accounts/:id/messages, octet-stream)',
      inbound.length > 0 && inbound.every((r) => /octet-stream/.test(r.contentType || '')),
      inbound.length ? inbound.length + ' message(s), e.g. ' + inbound[0].path + ' ' + inbound[0].contentType + ' ' + inbound[0].body : 'none')
    const replies = ex.sa.toConnector.concat(ex.sb.toConnector).filter((c) => /\/messages$/.test(c.url) && c.status >= 200 && c.status < 300)
    check('the peer engine\'s reply comes back as the HTTP body of the engine\'s POST /messages to ilpd',
      replies.some((c) => c.data && c.data.type === 'hello'), JSON.stringify(replies.slice(0, 2).map((c) => ({ url: c.url, status: c.status, data: c.data }))))
  }
  const ping = await request(engA.control, 'POST', '/ping', { body: { account: 'b', n: 4242 }, timeout: 15000 })
  const pj = jsonOr(ping.body)
  check('a second message A -> B answered by B\'s engine (ping/pong through peer.settle)',
    ping.status === 200 && pj && pj.reply && pj.reply.type === 'pong' && pj.reply.n === 4242 && pj.reply.from === 'bank-b',
    ping.status + ' ' + ping.body)
  // a message for an account the peer's engine does not know: an error, not a hang
  const bogus = await request(P.aSettle, 'POST', '/accounts/nobody/messages', { headers: { 'Content-Type': 'application/octet-stream' }, body: '{"type":"ping"}', timeout: 15000 }).catch((e) => ({ status: 0, body: e.message }))
  check('a message for an unknown account: 404 from ilpd', bogus.status === 404, bogus.status + ' ' + bogus.body)
}

async function phaseHappy () {
  const before = await movedAtoB()
  const r = await pay(6, PKT)
  eq('6 packets of ' + PKT + ' alice -> bob fulfilled', r.fulfilled, 6)
  const q = await waitFor(20000, quiet)
  if (!check('balance passed settle_threshold, A settled, B credited: both balances back at settle_to', q, q || '')) await showState('after the first settlement')
  const after = await movedAtoB()
  eq('the bank moved exactly A\'s debt (6 * ' + PKT + ' ledger units) from bank-a to bank-b', (after.ledger - before.ledger).toString(), String(6 * PKT))
  eq('one bank transfer for it', after.count - before.count, 1)
  const sa = await engState(engA)
  const req = sa.requests.filter((x) => /\/settlements$/.test(x.path))
  const last = req[req.length - 1]
  check('A\'s settlement request: POST /accounts/b/settlements with an Idempotency-Key and {amount, scale}',
    last && last.key && jsonOr(last.body) && typeof jsonOr(last.body).amount === 'string',
    last ? last.path + ' key=' + last.key + ' ' + last.body : 'none seen')
  if (last) {
    const b = jsonOr(last.body)
    eq('the amount asked is A\'s debt in the engine\'s scale (settlement_scale ' + BANK_SCALE + ')',
      b && (BigInt(b.amount) * 10n ** BigInt(ASSET_SCALE - b.scale)).toString(), String(6 * PKT))
  }
  const pa = await peerOf('a', 'b')
  note('A /health peer b: ' + JSON.stringify(pa))
  check('A /health shows the peer\'s settlement state', settleInfo(pa), JSON.stringify(settleInfo(pa)))
  const logA = nodes.a.child.log()
  const logB = nodes.b.child.log()
  check('A logs settlement.requested', /settlement\.requested/.test(logA))
  check('B logs settlement.credited', /settlement\.credited/.test(logB))
}

async function phaseLoad () {
  // 300 packets, 10 in flight, faster than a settlement's round trip
  // (ilpd's 100 ms tick, the engine, the bank, engine B's 150 ms poll, the
  // credit): past B's max_balance packets get T04 until B is credited, so
  // the rejected ones are sent again until all 300 went through
  const before = await movedAtoB()
  let left = 300
  let rounds = 0
  let t04 = 0
  const other = []
  // bounded by time, not rounds: a round that starts while B waits for its
  // credit fulfils nothing, and a loaded machine makes more of them
  const until = Date.now() + 120000
  while (left > 0 && Date.now() < until) {
    rounds++
    const r = await pay(left, PKT, 10)
    left -= r.fulfilled
    t04 += +(r.codes.T04 || 0)
    if (r.rejected !== +(r.codes.T04 || 0)) other.push(r.line)
    if (left > 0) await sleep(200)
  }
  eq('300 packets, 10 in flight, all fulfilled in the end (T04 while B waits for its credit)', 300 - left, 300)
  note('load: ' + rounds + ' rounds, ' + t04 + ' T04 on the way')
  check('every reject on the way was T04 (over the limit), nothing else', other.length === 0, other.join(' | '))
  // whatever is left owed but under the threshold: one packet takes it
  // past. Nothing owed (A settled already): no top-up. B may not have been
  // credited for A's last settlement yet, so a T04 is sent again, as above.
  const b = await bal('a', 'b')
  if (b !== null && b < 0n && b >= BigInt(THRESHOLD)) {
    const top = b - BigInt(THRESHOLD) + 1000000n
    let t
    for (let i = 0; i < 50; i++) {
      t = await pay(1, top.toString())
      if (t.fulfilled === 1 || t.rejected !== +(t.codes.T04 || 0)) break
      await sleep(200)
    }
    eq('a top-up packet of ' + top + ' takes A below the threshold', t.fulfilled, 1)
  }
  const q = await waitFor(30000, quiet)
  if (!check('after the load both balances are back at settle_to', q, q || '')) await showState('after load')
  const after = await movedAtoB()
  note('load: ' + (after.count - before.count) + ' bank transfers')
  eq('bank-a -> bank-b total plus repairs equals everything alice paid bob (ledger units)', (after.ledger + repaired).toString(), sentTotal.toString())
  const out = await new Promise((resolve) => childProcess.execFile(ilpctlBin, ['settlement', 'http://127.0.0.1:' + P.aAdmin + '/', 'b'], { timeout: 10000 }, (err, stdout) => resolve({ rc: err ? (err.code || 1) : 0, stdout })))
  check('ilpctl settlement shows A\'s peer b (balance, settling, engine)', out.rc === 0 && /\bb\b.*reachable/.test(out.stdout), 'rc ' + out.rc + ': ' + out.stdout.trim().split('\n').join(' / '))
}

// engine answers 503, then garbage: ilpd keeps the request open and sends it
// again with the same key; when the engine is well, settled exactly once
async function phaseEngineErrors () {
  const before = await movedAtoB()
  const aLog0 = nodes.a.child.log().length
  const seen0 = (await engState(engA)).requests.length
  await engMode(engA, '5xx')
  const r = await pay(6, PKT)
  eq('6 packets fulfilled while the engine answers 503', r.fulfilled, 6)
  const n5 = await waitFor(30000, async () => {
    const s = await engState(engA)
    const x = s.requests.slice(seen0).filter((q) => /\/settlements$/.test(q.path) && q.mode === '5xx')
    return x.length >= 2 && x
  })
  check('engine answering 503: ilpd retries the settlement', n5, n5 ? n5.length + ' tries, keys ' + [...new Set(n5.map((q) => q.key))].join(',') : 'fewer than 2 tries in 30 s')
  const key = n5 && n5[0].key
  if (n5) eq('every retry carries the same Idempotency-Key', new Set(n5.map((q) => q.key)).size, 1)
  check('A logs settlement.failed', /settlement\.failed/.test(nodes.a.child.log().slice(aLog0)))
  const pa = await peerOf('a', 'b')
  note('A /health peer b during the failures: ' + JSON.stringify(pa))
  for (const m of ['garbage-http', 'garbage-body']) {
    const n0 = (await engState(engA)).requests.length
    await engMode(engA, m)
    const g = await waitFor(40000, async () => {
      const s = await engState(engA)
      return s.requests.slice(n0).find((q) => /\/settlements$/.test(q.path) && q.mode === m)
    })
    check('engine answering ' + m + ': ilpd tries again (same key) and stays up', g && nodes.a.child.alive() && (!key || g.key === key),
      g ? 'key ' + g.key : 'no try in 40 s; alive=' + nodes.a.child.alive())
    await sleep(300)
    const st = settleInfo(await peerOf('a', 'b')) || {}
    eq('... and keeps the settlement open after that answer (settling)', st.settling, String(6 * PKT))
  }
  const n1 = (await engState(engA)).requests.length
  await engMode(engA, 'normal')
  const q = await waitFor(40000, quiet)
  if (!check('engine well again: the open settlement goes through, balances at settle_to', q, q || '')) await showState('after engine errors')
  const after = await movedAtoB()
  eq('settled exactly once: one bank transfer of 6 packets', (after.count - before.count) + ':' + (after.ledger - before.ledger), '1:' + 6 * PKT)
  const ok = (await engState(engA)).requests.slice(n1).filter((x) => /\/settlements$/.test(x.path))
  if (key) check('the successful request used the same key as the failed ones', ok.length && ok.every((x) => x.key === key), ok.map((x) => x.key).join(','))
}

// engine refuses (4xx): the amount goes back to the balance, nothing paid;
// accepted once the engine takes it again
async function phaseRefused () {
  const before = await movedAtoB()
  const n0 = (await engState(engA)).requests.length
  await engMode(engA, '4xx')
  const r = await pay(6, PKT)
  eq('6 packets fulfilled while the engine refuses settlements', r.fulfilled, 6)
  const back = await waitFor(10000, async () => {
    const s = await engState(engA)
    const x = s.requests.slice(n0).filter((q) => /\/settlements$/.test(q.path) && q.mode === '4xx')
    const pa = await peerOf('a', 'b')
    return x.length >= 1 && String((settleInfo(pa) || {}).settling) === '0' && BigInt(pa.balance) === BigInt(-6 * PKT) && { x, pa }
  })
  check('engine answering 422: the amount goes back to the balance (nothing settling)', back, back ? 'balance ' + back.pa.balance + ' after ' + back.x.length + ' refusal(s)' : JSON.stringify(await peerOf('a', 'b')))
  await sleep(1000)
  const s1 = await engState(engA)
  const tries = s1.requests.slice(n0).filter((q) => /\/settlements$/.test(q.path) && q.mode === '4xx')
  note('refused: ' + tries.length + ' settlement requests in about 1 s, ' + new Set(tries.map((q) => q.key)).size + ' keys')
  check('a refusing engine is not asked more than a few times a second', tries.length <= 5, tries.length + ' requests in ~1 s')
  await engMode(engA, 'normal')
  const q = await waitFor(30000, quiet)
  if (!check('engine accepting again: settled, balances at settle_to', q, q || '')) await showState('after refusals')
  const after = await movedAtoB()
  eq('paid once', (after.count - before.count) + ':' + (after.ledger - before.ledger), '1:' + 6 * PKT)
}

// engine down: traffic goes on up to B's limit, then T04; once the engine
// is back the settlements go through and traffic flows again
async function phaseEngineDown () {
  const before = await movedAtoB()
  // what A may still owe B: B's max_balance less B's balance for a, and
  // A's min_balance less what A owes (its balance less what is settling)
  const pa0 = await peerOf('a', 'b')
  const pb0 = await peerOf('b', 'a')
  const owedA = -BigInt(pa0.balance) + BigInt((settleInfo(pa0) || {}).settling || 0)
  const room = [BigInt(LIMIT) - BigInt(pb0.balance), BigInt(LIMIT) - owedA].reduce((x, y) => (x < y ? x : y))
  const want = Number(room / BigInt(PKT))
  await engMode(engA, 'down')
  const f0 = ((settleInfo(pa0) || {}).failuresTotal) || 0
  const r = await pay(30, PKT)
  check('engine down: traffic continues up to the limit (' + want + ' packets), then T04',
    r.fulfilled === want && r.rejected === 30 - want && +(r.codes.T04 || 0) === 30 - want, r.line)
  check('ilpd A stays up with its engine down', nodes.a.child.alive())
  // ilpd keeps trying: two more failures (500 ms, then 1 s apart)
  const tries = await waitFor(15000, async () => {
    const s = settleInfo(await peerOf('a', 'b')) || {}
    return s.failuresTotal >= f0 + 2 && s
  })
  check('ilpd retries the settlement while the engine is down', tries, tries ? 'failuresTotal ' + tries.failuresTotal + ', settling ' + tries.settling : 'fewer than 2 failures in 15 s')
  const pa = await peerOf('a', 'b')
  note('A /health peer b while the engine is down: ' + JSON.stringify(pa))
  const s = settleInfo(pa)
  check('/health says the engine is unreachable', s && s.engine === 'unreachable', JSON.stringify(s))
  const r1 = await pay(3, PKT)
  eq('still T04 while nothing is settled', +(r1.codes.T04 || 0), 3)
  await engMode(engA, 'normal')
  // the open settlement is whatever A owed at the tick that started it;
  // packets after it may leave A owing less than the threshold
  const done = await waitFor(60000, async () => {
    const st = settleInfo(await peerOf('a', 'b')) || {}
    return String(st.settling) === '0' && st.engine === 'reachable' && st
  })
  check('engine back: the retried settlement is accepted', done, JSON.stringify(done || settleInfo(await peerOf('a', 'b'))))
  let top = 0n
  const b = await bal('a', 'b')
  if (b !== null && b < 0n && b >= BigInt(THRESHOLD)) {
    top = b - BigInt(THRESHOLD) + 1000000n
    let t
    for (let i = 0; i < 50; i++) { // T04 until B is credited: again
      t = await pay(1, top.toString())
      if (t.fulfilled === 1 || t.rejected !== +(t.codes.T04 || 0)) break
      await sleep(200)
    }
    eq('a top-up packet of ' + top + ' takes A below the threshold again', t.fulfilled, 1)
  }
  const q = await waitFor(30000, quiet)
  if (!check('engine back: balances at settle_to', q, q || 'not within 30 s')) await showState('after the engine came back')
  const after = await movedAtoB()
  eq('the bank moved all ' + want + ' packets' + (top ? ' and the top-up' : ''), (after.ledger - before.ledger).toString(), String(BigInt(want * PKT) + owedA + top))
  const r2 = await pay(6, PKT)
  eq('traffic flows again after settling', r2.fulfilled, 6)
  const q2 = await waitFor(20000, quiet)
  check('and settles again', q2, q2 || '')
}

// kill -9 of ilpd A while its settlement request is open (engine holds
// its answer, the bank transfer already made): after the restart the
// request is sent again with the same key, settled exactly once
async function phaseKill () {
  // first a graceful stop of A: its allocation report (no heap after start-up)
  await stopAndCheckAlloc('a')
  await startNode('a')
  const up = await waitFor(15000, async () => (await peerOf('a', 'b')).connected)
  check('A restarted (SIGTERM, then start) and peered again', up)
  eq('A kept its balance for b across the restart', await bal('a', 'b'), SETTLE_TO)

  const before = await movedAtoB()
  const n0 = (await engState(engA)).requests.length
  await engMode(engA, 'hold')
  const r = await pay(6, PKT)
  eq('6 packets fulfilled', r.fulfilled, 6)
  const held = await waitFor(20000, async () => {
    const s = await engState(engA)
    const m = await movedAtoB()
    return s.held === 1 && m.count === before.count + 1 && s.requests.slice(n0).find((q) => /\/settlements$/.test(q.path))
  })
  if (!check('the engine paid and holds its answer to A\'s settlement request', held, held ? 'key ' + held.key : JSON.stringify({ held: (await engState(engA)).held }))) return
  const pa = await peerOf('a', 'b')
  note('A /health peer b with the request open: ' + JSON.stringify(pa))
  const s = settleInfo(pa)
  if (s && s.settling !== undefined) eq('A shows the amount as settling', s.settling, String(6 * PKT))
  const k = await nodes.a.child.stop('SIGKILL', 5000)
  eq('kill -9 of ilpd A between "settling" and the engine\'s answer', k.signal, 'SIGKILL')
  await engMode(engA, 'normal') // the held answer goes to a dead connection
  await startNode('a')
  const again = await waitFor(60000, async () => {
    const st = await engState(engA)
    const x = st.requests.slice(n0).filter((q) => /\/settlements$/.test(q.path))
    return x.length >= 2 && x
  })
  check('after the restart A sends the open settlement again', again, again ? again.map((q) => q.key).join(',') : 'no second request in 60 s')
  if (again) eq('with the same Idempotency-Key', new Set(again.map((q) => q.key)).size, 1)
  const q = await waitFor(30000, quiet)
  if (!check('after the restart: balances at settle_to', q, q || '')) await showState('after kill -9')
  const after = await movedAtoB()
  eq('settled exactly once: the bank shows one transfer for it', (after.count - before.count) + ':' + (after.ledger - before.ledger), '1:' + 6 * PKT)
  await sleep(1000)
  const after2 = await movedAtoB()
  eq('and no second one later', after2.count, after.count)
  await repair('kill -9 (engine paid)')

  // the same with an engine that never got the request (down): after the
  // restart A must still ask for it, or B is never paid
  const before3 = await movedAtoB()
  await engMode(engA, 'down')
  const r3 = await pay(6, PKT)
  eq('6 packets fulfilled with the engine down', r3.fulfilled, 6)
  const open = await waitFor(10000, async () => {
    const st = settleInfo(await peerOf('a', 'b')) || {}
    return String(st.settling) === String(6 * PKT) && st.failures >= 1 && st
  })
  check('A holds the settlement open (settling, failures)', open, JSON.stringify(open || settleInfo(await peerOf('a', 'b'))))
  await nodes.a.child.stop('SIGKILL', 5000)
  await engMode(engA, 'normal')
  await startNode('a')
  const q3 = await waitFor(60000, quiet)
  if (!check('kill -9 before the engine was reached: after the restart A settles it, balances at settle_to', q3, q3 || 'not within 60 s')) await showState('after kill -9 with the engine down')
  const after3 = await movedAtoB()
  eq('paid exactly once', (after3.count - before3.count) + ':' + (after3.ledger - before3.ledger), '1:' + 6 * PKT)
}

function credit (name, account, body, key, extraHeaders) {
  const headers = Object.assign({ 'Content-Type': 'application/json' }, extraHeaders || {})
  if (key) headers['Idempotency-Key'] = key
  return request(P[name + 'Settle'], 'POST', '/accounts/' + account + '/settlements', { headers, body }).catch((e) => ({ status: 0, body: e.message }))
}

async function phaseCredits () {
  const c0 = await bal('b', 'c')
  const q = { amount: '1000', scale: ASSET_SCALE }
  const r1 = await credit('b', 'c', q, 'dup-key-1')
  check('an incoming credit is accepted (2xx with the quantity credited)', r1.status >= 200 && r1.status < 300 && jsonOr(r1.body) && jsonOr(r1.body).amount !== undefined, r1.status + ' ' + r1.body)
  const c1 = await bal('b', 'c')
  eq('the credit lowers what c owes B by 1000', (c0 - c1).toString(), '1000')
  const r2 = await credit('b', 'c', q, 'dup-key-1')
  check('the same Idempotency-Key again: 2xx', r2.status >= 200 && r2.status < 300, r2.status + ' ' + r2.body)
  eq('... and credited once only', await bal('b', 'c'), c1)
  const r3 = await credit('b', 'c', { amount: '1000', scale: ASSET_SCALE })
  check('a credit without an Idempotency-Key: 400', r3.status === 400, r3.status + ' ' + r3.body)
  // scale conversion: engine scale 12, ledger 9: 1234 at 12 = 1.234 units
  const r4 = await credit('b', 'c', { amount: '1234', scale: 12 }, 'conv-key-1')
  const j4 = jsonOr(r4.body)
  const c4 = await bal('b', 'c')
  check('a credit finer than the ledger\'s scale credits the whole units and answers what it took',
    r4.status >= 200 && r4.status < 300 && j4 && (c1 - c4) === 1n && BigInt(j4.amount) * 10n ** BigInt(12 - j4.scale) === 1000n,
    r4.status + ' ' + r4.body + ' credited ' + (c1 - c4))
  // unknown account: 404, nothing credited
  const all0 = JSON.stringify((await health('b')).peers.map((p) => [p.name, p.balance]))
  const r5 = await credit('b', 'nobody', q, 'unknown-key-1')
  check('a credit for an unknown account: 404 with a reason', r5.status === 404 && r5.body.length > 0, r5.status + ' ' + r5.body)
  eq('... nothing credited', JSON.stringify((await health('b')).peers.map((p) => [p.name, p.balance])), all0)
  // a peer without an engine: bob
  const r6 = await credit('b', 'bob', q, 'bob-key-1')
  check('a credit for a peer without settlement_engine: 4xx', r6.status >= 400 && r6.status < 500, r6.status + ' ' + r6.body)
  eq('... nothing credited', JSON.stringify((await health('b')).peers.map((p) => [p.name, p.balance])), all0)

  // idempotent across restarts: graceful (alloc report), then kill -9
  await stopAndCheckAlloc('b')
  await startNode('b')
  eq('B kept c\'s balance across a restart', await bal('b', 'c'), c4)
  const r7 = await credit('b', 'c', q, 'dup-key-1')
  check('the same key after a restart: 2xx, credited 0', r7.status >= 200 && r7.status < 300 && (await bal('b', 'c')) === c4, r7.status + ' ' + r7.body + ' balance ' + (await bal('b', 'c')))
  const r8 = await credit('b', 'c', q, 'dup-key-2')
  check('a new key right before a kill -9', r8.status >= 200 && r8.status < 300, r8.status + ' ' + r8.body)
  await nodes.b.child.stop('SIGKILL', 5000)
  await startNode('b')
  eq('the credit acknowledged before kill -9 survived it', await bal('b', 'c'), c4 - 1000n)
  const r9 = await credit('b', 'c', q, 'dup-key-2')
  check('its key after kill -9: 2xx, credited 0', r9.status >= 200 && r9.status < 300 && (await bal('b', 'c')) === c4 - 1000n, r9.status + ' ' + r9.body)
  const up = await waitFor(20000, async () => (await peerOf('a', 'b')).connected && (await peerOf('b', 'a')).connected)
  check('A and B peered again after B\'s restarts', up)
}

// rawHttp(port, bytes): what comes back (first line), or '' on close
function rawHttp (port, bytes, ms = 5000) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    const chunks = []
    const t = setTimeout(() => { s.destroy(); resolve(Buffer.concat(chunks).toString('latin1')) }, ms)
    s.on('connect', () => {
      s.write(bytes, () => {})
    })
    s.on('data', (c) => chunks.push(c))
    s.on('error', () => {})
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(chunks).toString('latin1')) })
  })
}

async function phaseBadInput () {
  const port = P.bSettle
  const books = async () => JSON.stringify((await health('b')).peers.map((p) => [p.name, p.balance]))
  const b0 = await books()
  const J = { 'Content-Type': 'application/json', 'Idempotency-Key': 'bad-input' }
  const cases = [
    ['malformed JSON', 'POST', '/accounts/c/settlements', J, '{"amount": "10", "scale": 9'],
    ['not an object', 'POST', '/accounts/c/settlements', J, '["10", 9]'],
    ['negative amount', 'POST', '/accounts/c/settlements', J, '{"amount": "-10", "scale": 9}'],
    ['non-numeric amount', 'POST', '/accounts/c/settlements', J, '{"amount": "ten", "scale": 9}'],
    ['amount as a JSON number (RFC 38: a string)', 'POST', '/accounts/c/settlements', J, '{"amount": 10, "scale": 9}'],
    ['fractional amount', 'POST', '/accounts/c/settlements', J, '{"amount": "1.5", "scale": 9}'],
    ['amount past 2^64', 'POST', '/accounts/c/settlements', J, '{"amount": "18446744073709551616", "scale": 9}'],
    ['missing amount', 'POST', '/accounts/c/settlements', J, '{"scale": 9}'],
    ['scale 256', 'POST', '/accounts/c/settlements', J, '{"amount": "10", "scale": 256}'],
    ['negative scale', 'POST', '/accounts/c/settlements', J, '{"amount": "10", "scale": -1}'],
    ['scale as a string', 'POST', '/accounts/c/settlements', J, '{"amount": "10", "scale": "9"}'],
    ['unknown path', 'GET', '/', {}, null],
    ['unknown path under an account', 'POST', '/accounts/c/nothing', J, '{}'],
    ['wrong method', 'GET', '/accounts/c/settlements', {}, null],
    ['account id too long', 'POST', '/accounts/' + 'x'.repeat(300) + '/settlements', J, '{"amount": "10", "scale": 9}']
  ]
  for (const [what, method, p, headers, body] of cases) {
    const r = await request(port, method, p, { headers, body: body === null ? undefined : body }).catch((e) => ({ status: 0, body: e.message }))
    check('bad input (' + what + '): 4xx with a reason', r.status >= 400 && r.status < 500 && r.body.trim().length > 0, r.status + ' ' + r.body.slice(0, 120))
  }
  // huge body: 1 MiB announced and sent
  const big = Buffer.alloc(1 << 20, 0x20)
  big.write('{"amount": "10", "scale": 9, "x": "')
  const rh = await request(port, 'POST', '/accounts/c/settlements', { headers: J, body: big, timeout: 10000 }).catch((e) => ({ status: 0, body: e.message }))
  check('a 1 MiB body: 4xx (or the connection closed), ilpd up', (rh.status >= 400 && rh.status < 500) || /EPIPE|ECONNRESET|socket hang up/.test(rh.body), rh.status + ' ' + rh.body.slice(0, 120))
  // a Content-Length far past any buffer, body never sent
  const rl = await rawHttp(port, 'POST /accounts/c/settlements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: k\r\nContent-Length: 99999999999\r\n\r\n', 3000)
  check('Content-Length 99999999999: 4xx or closed, not waited for', /^HTTP\/1\.[01] 4\d\d/.test(rl) || rl === '', rl.split('\r\n')[0] || '(closed)')
  const rg = await rawHttp(port, 'this is not HTTP\r\n\r\n', 3000)
  check('a request that is not HTTP: 400 or closed', /^HTTP\/1\.[01] 4\d\d/.test(rg) || rg === '', rg.split('\r\n')[0] || '(closed)')
  check('ilpd B is still up after the bad input', nodes.b.child.alive() && (await health('b')).status !== undefined)
  eq('... and credited nothing', await books(), b0)
}

async function finalBooks () {
  const q = await waitFor(20000, quiet)
  check('at the end both balances are at settle_to', q, q || '')
  const t = await bankTotals()
  eq('the bank\'s total is what the two accounts opened with', t.total, (2n * DEPOSIT).toString())
  const m = await movedAtoB()
  eq('bank-a -> bank-b equals everything alice paid bob' + (repaired ? ' (less ' + repaired + ' lost and repaired)' : ''), (m.ledger + repaired).toString(), sentTotal.toString())
  eq('bank-b gained exactly what bank-a lost', (BigInt(t.balances['bank-b']) - DEPOSIT), (DEPOSIT - BigInt(t.balances['bank-a'])))
  check('no settlement was lost on the way (no repair needed)', repaired === 0n, repaired ? repairs + ' repair(s), ' + repaired + ' ledger units' : '')
  eq('B owes bob what alice sent (bob\'s balance on B)', await bal('b', 'bob'), -sentTotal)
  eq('alice owes A what she sent (alice\'s balance on A)', await bal('a', 'alice'), sentTotal)
  const sa = await engState(engA)
  const sb = await engState(engB)
  const creditsA = sb.toConnector.filter((c) => /\/settlements$/.test(c.url))
  const refused = creditsA.filter((c) => !(c.status >= 200 && c.status < 300))
  check('every credit engine B sent to ilpd B was answered 2xx (retries of a credit sent to a dead ilpd aside)',
    refused.every((c) => c.status === 0), refused.length ? JSON.stringify(refused.slice(0, 3)) : creditsA.length + ' credits')
  note('engine A: ' + sa.requests.length + ' requests from ilpd, ' + sa.transfers.length + ' transfers; engine B: ' + sb.requests.length + ' requests from ilpd, ' + sb.credits.length + ' credits')
  await checkVia('whole run')
}

async function main () {
  const phases = [
    ['setup', setup], ['accounts and messages', phaseAccounts], ['settle', phaseHappy], ['load', phaseLoad],
    ['engine errors', phaseEngineErrors], ['engine refuses', phaseRefused], ['engine down', phaseEngineDown], ['kill -9', phaseKill],
    ['credits', phaseCredits], ['bad input', phaseBadInput], ['books', finalBooks]
  ]
  for (const [name, fn] of phases) {
    console.log('--- ' + name)
    try {
      await fn()
    } catch (e) {
      fail('phase ' + name + ' aborted', e.stack || e.message)
      for (const n of Object.values(nodes)) if (n.child) console.log(n.child.tail(15))
      if (name === 'setup') break
    }
    if (name !== 'setup' && name !== 'books') await repair(name).catch(() => {})
    for (const [n, x] of Object.entries(nodes)) {
      if (x.child && !x.child.alive() && x.child.signal !== 'SIGKILL' && x.child.signal !== 'SIGTERM' && x.child.code !== 0) {
        fail('ilpd ' + n + ' died during phase ' + name, 'code ' + x.child.code + ' signal ' + x.child.signal + '\n' + x.child.tail(20))
        await startNode(n).catch(() => {})
      }
    }
  }
  console.log('--- stop')
  for (const n of ['a', 'b']) if (nodes[n] && nodes[n].child && nodes[n].child.alive()) await stopAndCheckAlloc(n)
  const san = Object.values(nodes).map((n) => n.child.log()).join('\n').match(/ERROR: AddressSanitizer.*|runtime error:.*/)
  check('no sanitizer report in the ilpd logs', !san, san ? san[0] : '')
  if (failures.length) console.log('failed: ' + failures.join('; '))
  console.log(passed + ' passed, ' + failed + ' failed')
  process.exit(failed ? 1 : 0) // the bank, engines and sink would keep node running
}

main().catch((e) => {
  fail('settle.js', e.stack || e.message)
  console.log(passed + ' passed, ' + failed + ' failed')
  process.exit(1)
})
