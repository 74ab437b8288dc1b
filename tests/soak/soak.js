'use strict'
// The chaos soak (tests/soak/run.sh is the entry point; docs/testing.md).
//
//   node soak.js ILPD ILPCTL PKI_DIR WORK_DIR MINUTES SEED
//
// Three ilpd nodes on 127.0.0.1, steady moderate traffic, and a driver that
// acts at random (seeded: the same SEED replays the same choices) every 2-5
// seconds, while the checks below run. Topology:
//
//   s1 (ilpctl send) --\                                   /-- k1  (ilpctl sink)
//   js1 (JS raw BTP) ---> A --wss://--[relay]--> B --[SOCKS5]--> C <-- jr1 (ilp-plugin-btp)
//   k2 (ilpctl sink) <--/   peer/peer          parent/child     \-- s2 (ilpctl send)
//
// s1 -> k1 (amount 3), js1 -> jr1 (amount 7), s2 -> k2 (amount 5): every
// packet crosses both inter-node links, in both directions. B's listener is
// TLS (tests/tls/make-certs.sh); A dials it through a TCP relay
// (proxy.js relay) the driver kills to cut the link abruptly. B dials its
// parent C as ws://c.soak:PORT through a stand-in SOCKS5 proxy (proxy.js
// socks; `.soak` is an onion suffix in B's [transport], so only that link
// is proxied and it fails closed while the proxy is down). All assets XRP,
// scale 9, rate 1.
//
// Driver actions: kill -9 or SIGTERM a sink/receiver or a sender (then
// restart it), kill -9 or SIGTERM ilpd B (then restart it), SIGHUP A, B or
// C with a good changed configuration (limits, max_packet_amount, a spare
// peer added/removed, a username change that re-dials a link) or with a
// broken one (must be refused: config.reload_failed, node keeps running,
// then the good file is put back), kill -9 the SOCKS5 proxy or the relay
// (then restart it), SIGSTOP ilpd B or a sink for 1-6 s (a hung node, a
// peer that stops reading: packets expire, answers come late), and a flood
// run (f1 on A: 3000 Prepares, 100 in flight; half the time its sink is
// frozen meanwhile). Freezes last 1-10 s: with ping_interval_ms = 2000 a
// node drops a link that stayed silent for two intervals, and packets
// expire (8 s). One time in four a second
// action overlaps the first (never two on B).
//
// CHECKS (each failure is one "FAIL:" line; the run fails if any):
//  1. Exactly one answer. Every ilpctl send run that ended by itself (not
//     signalled by the driver) sent all its Prepares and has no
//     `unanswered`, `unsent`, `badfulfill`, `badreply` or `btp-*` in its
//     sent=/fulfilled=/rejected= line. The JS sender counts answers per
//     BTP request id: no id answered twice, no answer to an unknown id, no
//     wrong fulfillment, no BTP Error in place of an ILP answer (at any
//     time, also in runs killed later), and after SIGTERM every Prepare it
//     sent is answered within its expiry + 5 s.
//  2. Books (docs/configuration.md, "Money rules"). Balances are what the peer
//     owes the node; with rate 1 everywhere:
//     a. Conservation, on every /health sample of every node (about once a
//        second): the sum of a node's balances over its peers is 0. A valid
//        Fulfill commits both holds (the source is charged also when the
//        Fulfill cannot be given to it), anything else releases both, so a
//        node never gains or loses on a packet.
//     b. Links, at each checkpoint (traffic stopped, nothing in flight):
//        for the link X-Y, D = (X's balance of Y - X's balance of Y when
//        the current epoch began) + (Y's balance of X - the same), where an
//        epoch begins when either end (re)starts (ilpd keeps balances in
//        RAM: a restarted node starts from 0; the other end's balance is
//        sampled while the restarted node is down and nothing is in flight
//        on the link). D counts Fulfills the downstream end committed but
//        the upstream end never received: a source charged for a Fulfill
//        it could not be given, or one lost in transit when the link broke.
//        So D >= 0 always, D == 0 if the link never went down in the epoch,
//        and D <= drops * W, W = the amount that can be in flight over the
//        link (sum over senders of 3 runs * window * amount: a killed run's
//        packets stay in flight until they expire, 8 s, while new runs
//        start), plus (late answers + expired packets at either end,
//        ilpd_late_responses_total + ilpd_expired_total) * the largest
//        amount: a Fulfill read after the expiry commits nothing at the
//        reader, though the side that sent it in time committed it.
//     c. Sender accounts (A and C never restart): for sender child S,
//        node's balance of S / amount lies between the Fulfills S's runs
//        reported and that plus every Prepare of runs whose count is
//        unknown or whose answers S gave up on (killed or stopped runs).
//  3. Resources: for A and C (never restarted), open fds and VmRSS at the
//     first checkpoint (after warm-up) and at the last, both taken in the
//     same quiet state (every link up, every sink connected, no sender
//     connected): fds equal; RSS grown by at most 512 KiB under a plain
//     build (ilpd has no heap: its pools are static and only pages first
//     touched late can add RSS) or 4 MiB under ASan (its allocator and
//     shadow pages for the Node-free runtime: stack, TLS buffers).
//  4. No ilpd exits unless the driver stopped it; no ilpd log line at level
//     error except the refused reloads, no token and no onion-suffixed host
//     name (B's parent is c.soak, an onion suffix there) at info or above; every SIGTERM ends with
//     exit 0 within 15 s; every restart is back (/health) within 20 s; no
//     sanitizer report (AddressSanitizer, LeakSanitizer,
//     UndefinedBehaviorSanitizer, "runtime error:") in any output.
// Every wait is bounded; the driver stops only the processes it started,
// by PID (lib.Child).
const fs = require('fs')
const path = require('path')
const http = require('http')
const lib = require('../interop/lib')

const [ILPD, ILPCTL, PKI, WORK, MINUTES, SEED] = process.argv.slice(2)
const DURATION_MS = Math.round(Number(MINUTES) * 60000)
const ASAN = /asan/.test(ILPD)
const EXPIRY_MS = 8000
const sleep = lib.sleep

// ---------------------------------------------------------------- basics

let seedState = Number(SEED) >>> 0
function rnd () { // mulberry32
  seedState = (seedState + 0x6D2B79F5) >>> 0
  let t = seedState
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (a) => a[Math.floor(rnd() * a.length)]
const between = (lo, hi) => lo + Math.floor(rnd() * (hi - lo))

const T0 = Date.now()
const stamp = () => 't=' + ((Date.now() - T0) / 1000).toFixed(1)
const log = (m) => console.log(stamp() + ' ' + m)
const failures = []
function fail (m) { failures.push(m); console.log(stamp() + ' FAIL: ' + m) }
const counts = {}
const count = (k) => { counts[k] = (counts[k] || 0) + 1 }

function httpGet (port, p) {
  return new Promise((resolve, reject) => {
    const rq = http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
      const c = []
      res.on('data', (d) => c.push(d))
      res.on('end', () => resolve(Buffer.concat(c).toString()))
      res.on('error', reject)
    })
    rq.on('timeout', () => rq.destroy(new Error('timeout')))
    rq.on('error', reject)
  })
}
async function health (n) { return JSON.parse(await httpGet(n.adminPort, '/health')) }
async function metric (n, name) {
  const t = await httpGet(n.adminPort, '/metrics')
  const line = t.split('\n').find((l) => l.startsWith(name + ' '))
  return line ? Number(line.split(' ')[1]) : 0
}
const peerOf = (h, name) => (h.peers || []).find((p) => p.name === name)

// Polls fn() (async, truthy = done) every 100 ms for at most ms.
async function until (ms, fn) {
  const end = Date.now() + ms
  for (;;) {
    try { if (await fn()) return true } catch (e) {}
    if (Date.now() > end) return false
    await sleep(100)
  }
}

function fileText (f) { try { return fs.readFileSync(f, 'utf8') } catch (e) { return '' } }
const occurrences = (text, s) => text.split(s).length - 1

// ---------------------------------------------------------------- ilpd nodes

function ini (sections) {
  const out = ['; written by tests/soak/soak.js']
  for (const [name, kv] of sections) {
    out.push('', '[' + name + ']')
    for (const [k, v] of Object.entries(kv)) out.push(k + ' = ' + v)
  }
  return out.join('\n') + '\n'
}

class Node {
  constructor (name, btpPort, adminPort, conf) {
    Object.assign(this, { name, btpPort, adminPort, conf })
    this.file = path.join(WORK, name + '.ini')
    this.logFile = path.join(WORK, name + '.log')
    this.child = null
    this.starts = 0
  }

  sections () {
    const c = this.conf
    const s = [['node', c.node], ['btp', c.btp], ['admin', { listen: '127.0.0.1:' + this.adminPort }],
      ['log', { level: 'info' }], ['limits', c.limits],
      // durability = off: check 2b's epochs assume a restarted node starts
      // from 0 (tests/persist checks the durable ledger across kills).
      ['ledger', c.ledger || { durability: 'off' }]]
    if (c.tls) s.push(['tls', c.tls])
    if (c.transport) s.push(['transport', c.transport])
    for (const [p, kv] of Object.entries(c.peers)) s.push(['peer ' + p, kv])
    s.push(['routes', c.routes])
    return s
  }

  writeGood () { fs.writeFileSync(this.file, ini(this.sections())) }
  alive () { return this.child !== null && this.child.alive() }

  async start () {
    this.writeGood()
    this.starts++
    const ch = new lib.Child(this.name, ILPD, ['-c', this.file], { logFile: this.logFile })
    this.child = ch
    ch.expected = false
    ch.exited.then(() => {
      if (!ch.expected) fail('ilpd ' + this.name + ' exited by itself: code ' + ch.exitCode + ' signal ' + ch.exitSignal)
    })
    const ok = await until(20000, async () => { if (!ch.alive()) return true; await health(this); return true })
    if (!ok || !ch.alive()) { fail('ilpd ' + this.name + ' did not start (/health) within 20 s'); return false }
    return true
  }

  // SIGTERM (exit 0 within 15 s expected) or SIGKILL; waits for the exit.
  async stop (sig) {
    const ch = this.child
    if (!ch || !ch.alive()) return
    ch.expected = true
    const t = Date.now()
    try { process.kill(ch.pid, sig) } catch (e) {}
    const timer = setTimeout(() => { try { process.kill(ch.pid, 'SIGKILL') } catch (e) {} }, 15000)
    await ch.exited
    clearTimeout(timer)
    if (sig === 'SIGTERM' && (ch.exitCode !== 0 || Date.now() - t > 15000)) {
      fail('ilpd ' + this.name + ' SIGTERM: exit ' + ch.exitCode + '/' + ch.exitSignal + ' after ' + (Date.now() - t) + ' ms (want 0 within 15 s)')
    }
  }
}

// ---------------------------------------------------------------- actors

// A long-lived helper process (sink, receiver, JS sender, proxy, relay)
// that the driver kills and restarts. `ready` is a regexp its log must
// show once it is usable (bounded wait).
class Actor {
  constructor (name, cmd, args, ready) {
    Object.assign(this, { name, cmd, args, ready })
    this.logFile = path.join(WORK, name + '.log')
    this.child = null
    this.down = true
    this.onExit = null
  }

  alive () { return this.child !== null && this.child.alive() }

  async start () {
    const from = fileText(this.logFile).length
    const ch = new lib.Child(this.name, this.cmd, this.args, { logFile: this.logFile })
    ch.logFrom = from
    this.child = ch
    this.down = false
    ch.exited.then(() => { if (this.onExit) this.onExit(ch) })
    const ok = await until(15000, () => !ch.alive() || this.ready.test(fileText(this.logFile).slice(from)))
    if (!ok) log(this.name + ' not ready after 15 s (it will be restarted by the driver if needed)')
    return ok
  }

  output (ch) { return fileText(this.logFile).slice((ch || this.child).logFrom) }

  async stop (sig) {
    const ch = this.child
    this.down = true
    if (!ch || !ch.alive()) return
    ch.signalled = sig
    try { process.kill(ch.pid, sig) } catch (e) {}
    const timer = setTimeout(() => { try { process.kill(ch.pid, 'SIGKILL') } catch (e) {} }, EXPIRY_MS + 10000)
    await ch.exited
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------- the soak

const SENDERS = {
  s1: { amount: 3, window: 2, count: 300 },
  s2: { amount: 5, window: 2, count: 300 },
  js1: { amount: 7, window: 4 },
  f1: { amount: 1, window: 100, count: 3000 } // the driver's occasional flood run
}
// What can be in flight over one inter-node link (check 2b).
const W = Object.values(SENDERS).reduce((a, s) => a + 3 * s.window * s.amount, 0)
const MAX_AMOUNT = Math.max(...Object.values(SENDERS).map((s) => s.amount))

async function main () {
  const [PA, AA, PB, AB, PC, AC, PX, PR] = await lib.freePorts(8)
  const tok = (n) => n + '-soak-token'
  const A = new Node('A', PA, AA, {
    node: { address: 'test.a', asset_code: 'XRP', asset_scale: 9 },
    btp: { listen: '127.0.0.1:' + PA, reconnect_min_ms: 100, reconnect_max_ms: 1000, ping_interval_ms: 2000 },
    limits: { max_hold_time_ms: 30000 },
    tls: { ca_file: path.join(PKI, 'ca.pem') },
    peers: {
      b: { relation: 'peer', url: 'wss://localhost:' + PR + '/', token: tok('ab'), username: 'a' },
      s1: { relation: 'child', token: tok('s1') },
      js1: { relation: 'child', token: tok('js1') },
      f1: { relation: 'child', token: tok('f1') },
      k2: { relation: 'child', token: tok('k2') }
    },
    routes: { 'test.b': 'b', 'test.c': 'b' }
  })
  const B = new Node('B', PB, AB, {
    node: { address: 'test.b', asset_code: 'XRP', asset_scale: 9 },
    btp: { listen: '127.0.0.1:' + PB, tls: 'on', reconnect_min_ms: 100, reconnect_max_ms: 1000, ping_interval_ms: 2000 },
    limits: { max_hold_time_ms: 30000 },
    tls: { cert_file: path.join(PKI, 'server.pem'), key_file: path.join(PKI, 'server.key') },
    transport: {
      type: 'socks5',
      proxy: 'socks5h://127.0.0.1:' + PX,
      proxy_scope: 'onion',
      onion_suffixes: '.soak',
      connect_timeout_ms: 3000,
      onion_connect_timeout_ms: 3000,
      probe_interval_ms: 2000
    },
    peers: {
      a: { relation: 'peer', token: tok('ab') },
      c: { relation: 'parent', url: 'ws://c.soak:' + PC + '/', token: tok('bc'), username: 'b' }
    },
    routes: { 'test.a': 'a', default: 'c' }
  })
  const C = new Node('C', PC, AC, {
    node: { address: 'test.c', asset_code: 'XRP', asset_scale: 9 },
    btp: { listen: '127.0.0.1:' + PC, reconnect_min_ms: 100, reconnect_max_ms: 1000, ping_interval_ms: 2000 },
    limits: { max_hold_time_ms: 30000 },
    peers: {
      b: { relation: 'child', token: tok('bc') },
      k1: { relation: 'child', token: tok('k1') },
      jr1: { relation: 'child', token: tok('jr1') },
      s2: { relation: 'child', token: tok('s2') }
    },
    routes: { 'test.a': 'b', 'test.b': 'b' }
  })
  const nodes = { A, B, C }
  log('ports: A ' + PA + '/' + AA + ' B ' + PB + '/' + AB + ' C ' + PC + '/' + AC + ' socks ' + PX + ' relay ' + PR)

  const proxy = new Actor('socks', process.execPath, [path.join(__dirname, 'proxy.js'), 'socks', String(PX), 'c.soak'], /ready port=/)
  const relay = new Actor('relay', process.execPath, [path.join(__dirname, 'proxy.js'), 'relay', String(PR), String(PB)], /ready port=/)
  const sink = (name, node) => new Actor(name, ILPCTL, ['sink', '--url', 'ws://127.0.0.1:' + node.btpPort,
    '--token', tok(name), '--timeout-ms', '3600000'], /sink address=/)
  const k1 = sink('k1', C)
  const k2 = sink('k2', A)
  const jr1 = new Actor('jr1', process.execPath, [path.join(__dirname, 'js-receiver.js'), '--server',
    'btp+ws://jr1:' + tok('jr1') + '@127.0.0.1:' + PC], /^ready$/m)
  const js1 = new Actor('js1', process.execPath, [path.join(__dirname, 'js-sender.js'), '--url', 'ws://127.0.0.1:' + PA,
    '--user', 'js1', '--token', tok('js1'), '--to', 'test.c.jr1', '--amount', String(SENDERS.js1.amount),
    '--window', String(SENDERS.js1.window), '--rate', '40', '--expiry-ms', String(EXPIRY_MS)], /^ready$/m)
  const sinks = { k1, k2, jr1 }
  // A sink whose link ilpd dropped (it stopped answering pings while
  // frozen) exits by itself: start it again.
  for (const a of Object.values(sinks)) {
    a.onExit = (ch) => {
      try {
        if (ch.signalled || finished) return
        log(a.name + ' exited by itself (' + ch.exitCode + '/' + ch.exitSignal + '): restarting it')
        count(a.name + ' exits by itself')
        restartActor(a)
      } catch (e) {} // before the driver is set up: the checkpoint restarts it
    }
  }

  // Sender accounts (check 2c): fulfilled reported, and the most that
  // runs with an unknown or abandoned outcome may add.
  const acct = {}
  for (const [n, node] of [['s1', A], ['s2', C], ['js1', A], ['f1', A]]) acct[n] = { node, known: 0, slack: 0, runs: 0 }

  js1.onExit = (ch) => {
    const out = js1.output(ch)
    for (const l of out.split('\n')) if (l.startsWith('ANOMALY')) fail('js1: ' + l)
    const m = /^SUMMARY (.*)$/m.exec(out)
    acct.js1.runs++
    if (!m) { // killed: at most 50 more Prepares than its last progress line
      const prog = [...out.matchAll(/^progress sent=(\d+)$/mg)].pop()
      acct.js1.slack += (prog ? Number(prog[1]) : 0) + 50
      count('js1 runs killed')
      return
    }
    const s = JSON.parse(m[1])
    acct.js1.known += s.fulfilled
    acct.js1.slack += s.unanswered
    count('js1 runs summarised')
    if (s.unanswered !== 0 && !s.closedEarly) fail('js1: ' + s.unanswered + ' Prepares unanswered ' + (EXPIRY_MS + 5000) + ' ms after SIGTERM: ' + m[1])
    if (s.closedEarly) fail('js1: ilpd A closed the JS sender\'s connection: ' + m[1])
    if (s.duplicates || s.strays || s.badFulfill || s.btpErrors) fail('js1: ' + m[1])
  }

  // ---- start everything
  for (const a of [proxy, relay]) await a.start()
  for (const n of [C, B, A]) if (!(await n.start())) return finish(nodes, [])
  const allUp = async () => {
    const [ha, hb, hc] = await Promise.all([health(A), health(B), health(C)])
    return peerOf(ha, 'b').connected && peerOf(hb, 'a').connected && peerOf(hb, 'c').connected && peerOf(hc, 'b').connected
  }
  if (!(await until(20000, allUp))) { fail('links A-B and B-C not up within 20 s of start'); return finish(nodes, Object.values(sinks).concat([proxy, relay])) }
  for (const a of [k1, k2, jr1]) await a.start()
  log('all up; seed ' + SEED + ', ' + MINUTES + ' min')

  // ---- epochs (check 2b): both link ends' baselines and connect counts
  const links = [
    { name: 'A-B', x: A, xp: 'b', y: B, yp: 'a' },
    { name: 'B-C', x: C, xp: 'b', y: B, yp: 'c' }
  ]
  async function connects (n, p) {
    const t = await httpGet(n.adminPort, '/metrics')
    const l = t.split('\n').find((s) => s.startsWith('ilpd_peer_connects_total{peer="' + p + '"}'))
    return l ? Number(l.split(' ')[1]) : 0
  }
  // Answers a node could not take because the packet had expired (late
  // ones, and Fulfills read after the expiry): each may leave D of check 2b
  // up to one amount away from 0 on its link.
  const lateAnswers = async (n) => (await metric(n, 'ilpd_late_responses_total')) + (await metric(n, 'ilpd_expired_total'))
  async function newEpoch (l) { // called while B is down and drained, or at start
    const h = await health(l.x)
    l.baseX = BigInt(peerOf(h, l.xp).balance)
    l.connX = await connects(l.x, l.xp)
    l.lateX = await lateAnswers(l.x)
  }
  for (const l of links) await newEpoch(l)

  // ---- conservation sampler (check 2a)
  let sampling = true
  const lastSum = {}
  const sampler = (async () => {
    while (sampling) {
      for (const n of [A, B, C]) {
        if (!n.alive()) continue
        let h
        try { h = await health(n) } catch (e) { continue }
        let sum = 0n
        for (const p of h.peers) sum += BigInt(p.balance)
        count('conservation samples')
        // One FAIL line per node and wrong sum (it stays wrong once it is).
        if (sum !== 0n && lastSum[n.name] !== sum) fail('node ' + n.name + ': balances sum to ' + sum + ', not 0: ' + h.peers.map((p) => p.name + '=' + p.balance).join(' '))
        lastSum[n.name] = sum
      }
      await sleep(1000)
    }
  })()

  // ---- ilpctl sender loops
  let paused = false
  let finished = false
  const loops = {}
  // One `ilpctl send` run of sender `name`, judged by check 1 and booked
  // for check 2c; st.current is the running Child (the driver signals it).
  async function senderRun (name, node, to, st) {
    const s = SENDERS[name]
    const logFile = path.join(WORK, name + '.log')
    const from = fileText(logFile).length
    const ch = new lib.Child(name, ILPCTL, ['send', '--url', 'ws://127.0.0.1:' + node.btpPort, '--token', tok(name),
      '--to', to, '--count', String(s.count), '--window', String(s.window), '--amount', String(s.amount),
      '--expiry-ms', String(EXPIRY_MS), '--timeout-ms', '60000'], { logFile })
    st.current = ch
    const timer = setTimeout(() => { try { process.kill(ch.pid, 'SIGKILL') } catch (e) {} }, 90000)
    await ch.exited
    clearTimeout(timer)
    st.current = null
    const out = fileText(logFile).slice(from)
    const m = /^sent=(\d+) fulfilled=(\d+) rejected=(\d+)(.*)$/m.exec(out)
    const a = acct[name]
    a.runs++
    if (!m && ch.signalled) { // kill -9 (possibly after a SIGTERM, or the other way round)
      a.slack += s.count
      count(name + ' runs killed')
    } else if (!m) {
      fail(name + ': run ended (' + ch.exitCode + '/' + ch.exitSignal + ') without its sent= line: ' + out.trim().split('\n').slice(-3).join(' | '))
      a.slack += s.count
    } else {
      const sent = Number(m[1])
      const ful = Number(m[2])
      a.known += ful
      if (ch.signalled) {
        a.slack += s.count - ful
        count(name + ' runs stopped')
      } else {
        count(name + ' runs complete')
        for (const [k, v] of (m[4].match(/ \S+=\d+/g) || []).map((x) => x.trim().split('='))) counts[name + ' ' + k] = (counts[name + ' ' + k] || 0) + Number(v)
        if (sent !== s.count || /unanswered|unsent|badfulfill|badreply|btp-/.test(m[4])) {
          fail(name + ': not exactly one answer per Prepare: ' + m[0])
        }
      }
    }
  }
  function senderLoop (name, node, to) {
    const st = { current: null, idle: true }
    loops[name] = st
    st.done = (async () => {
      while (!finished) {
        if (paused) { st.idle = true; await sleep(100); continue }
        st.idle = false
        await senderRun(name, node, to, st)
        await sleep(between(300, 1000))
      }
      st.idle = true
    })()
  }
  senderLoop('s1', A, 'test.c.k1')
  senderLoop('s2', C, 'test.a.k2')
  await js1.start()

  // ---- restarts the driver schedules (not awaited by the driver)
  const pending = new Set()
  function later (ms, fn) {
    const p = (async () => { await sleep(ms); await fn() })().catch((e) => fail('restart: ' + e.message))
    pending.add(p)
    p.finally(() => pending.delete(p))
  }
  const restartActor = (a) => later(between(300, 2000), async () => {
    if (!a.alive() && !finished && !(a === js1 && paused)) await a.start()
  })

  // ---- B down and up (new epoch for both links)
  async function bounceB (sig) {
    await B.stop(sig)
    const drained = await until(EXPIRY_MS + 10000, async () => {
      for (const l of links) {
        const p = peerOf(await health(l.x), l.xp)
        if (p.connected || p.pendingIn !== '0' || p.pendingOut !== '0' || (p.inFlight || 0) !== 0 || (p.inFlightFrom || 0) !== 0) return false
      }
      return true
    })
    if (!drained) fail('after B stopped (' + sig + '), A and C did not settle the packets to and from B within ' + (EXPIRY_MS + 10) + ' s')
    for (const l of links) await newEpoch(l)
    await sleep(between(200, 1500))
    if (!(await B.start())) return
    if (!(await until(20000, allUp))) fail('links not back within 20 s of restarting B')
  }

  // ---- SIGHUP
  const reloads = (n) => { const t = fileText(n.logFile); return { ok: occurrences(t, 'event=config.reloaded'), bad: occurrences(t, 'event=config.reload_failed') } }
  async function hupGood (n) {
    const c = n.conf
    const what = pick(['limits', 'packet', 'spare', 'redial'])
    if (what === 'limits') c.limits.max_hold_time_ms = c.limits.max_hold_time_ms === 30000 ? 20000 : 30000
    else if (what === 'packet') {
      const ch = pick(Object.keys(c.peers).filter((p) => c.peers[p].relation === 'child'))
      if (ch) c.peers[ch].max_packet_amount = c.peers[ch].max_packet_amount ? 'unlimited' : 1000000
    } else if (what === 'spare') {
      if (c.peers.spare) delete c.peers.spare
      else c.peers.spare = { relation: 'child', token: tok('spare-' + n.name) }
    } else {
      const out = Object.keys(c.peers).find((p) => c.peers[p].url)
      if (!out) c.limits.max_hold_time_ms = c.limits.max_hold_time_ms === 30000 ? 20000 : 30000
      else c.peers[out].username = c.peers[out].username.length === 1 ? c.peers[out].username + '2' : c.peers[out].username[0]
    }
    const before = reloads(n)
    n.writeGood()
    process.kill(n.child.pid, 'SIGHUP')
    if (!(await until(5000, () => reloads(n).ok > before.ok))) fail('SIGHUP ' + n.name + ' (' + what + '): no config.reloaded within 5 s')
    return what
  }
  async function hupBad (n) {
    const before = reloads(n)
    fs.writeFileSync(n.file, ini(n.sections()) + '\n[peer broken]\nrelation = sideways\ntoken = x\n')
    process.kill(n.child.pid, 'SIGHUP')
    const refused = await until(5000, () => reloads(n).bad > before.bad)
    n.writeGood()
    if (!refused) fail('SIGHUP ' + n.name + ' with a broken file: no config.reload_failed within 5 s')
    if (reloads(n).ok !== before.ok) fail('SIGHUP ' + n.name + ' with a broken file was applied')
    if (!n.alive()) return fail('ilpd ' + n.name + ' died on a broken reload')
    try { await health(n) } catch (e) { fail('ilpd ' + n.name + ' /health after a broken reload: ' + e.message) }
  }

  // ---- one driver action
  let bBusy = false // one action on B at a time (bounce, freeze, SIGHUP)
  const flood = { current: null, idle: true }
  loops.f1 = flood
  async function act (kind) {
    const sig = rnd() < 0.5 ? 'SIGKILL' : 'SIGTERM'
    const usesB = kind === 'B' || kind === 'freezeB' || kind === 'hup' || kind === 'hupbad'
    if (usesB && bBusy) return
    if (usesB) bBusy = true
    try { await act1(kind, sig) } finally { if (usesB) bBusy = false }
    count('action ' + kind)
  }
  // SIGSTOP for 1-10 s, then SIGCONT: a hung node or a peer that stops
  // reading (packets expire, answers come late, send buffers fill).
  async function freeze (pid, what) {
    const ms = between(1000, 10000)
    log('action: SIGSTOP ' + what + ' for ' + ms + ' ms')
    try { process.kill(pid, 'SIGSTOP') } catch (e) { return }
    await sleep(ms)
    try { process.kill(pid, 'SIGCONT') } catch (e) {}
  }
  async function act1 (kind, sig) {
    if (kind === 'freezeB') {
      if (B.alive()) await freeze(B.child.pid, 'ilpd B')
    } else if (kind === 'freezeSink') {
      const a = pick(Object.values(sinks))
      if (a.alive()) await freeze(a.child.pid, a.name)
    } else if (kind === 'flood') {
      if (!flood.idle || paused) return
      flood.idle = false
      log('action: flood run f1 (3000 Prepares, 100 in flight)')
      senderRun('f1', A, 'test.c.k1', flood).finally(() => { flood.idle = true })
      // Half the time into a sink that stops reading meanwhile.
      if (rnd() < 0.5 && k1.alive()) { await sleep(200); await freeze(k1.child.pid, 'k1 (the flood\'s sink)') }
    } else if (kind === 'sink') {
      const a = pick(Object.values(sinks))
      if (!a.alive()) return
      log('action: ' + sig + ' ' + a.name)
      await a.stop(sig)
      restartActor(a)
    } else if (kind === 'sender') {
      const which = pick(['s1', 's2', 'js1', 'f1'])
      if (which === 'js1') {
        if (!js1.alive()) return
        log('action: ' + sig + ' js1')
        await js1.stop(sig)
        restartActor(js1)
      } else {
        const ch = loops[which].current
        if (!ch || !ch.alive()) return
        log('action: ' + sig + ' ' + which + ' run')
        ch.signalled = ch.signalled || sig
        try { process.kill(ch.pid, sig) } catch (e) {}
      }
    } else if (kind === 'B') {
      log('action: ' + sig + ' ilpd B, restart')
      await bounceB(sig)
    } else if (kind === 'hup') {
      const n = pick([A, B, C])
      if (!n.alive()) return
      const what = await hupGood(n)
      log('action: SIGHUP ' + n.name + ' good (' + what + ')')
    } else if (kind === 'hupbad') {
      const n = pick([A, B, C])
      if (!n.alive()) return
      log('action: SIGHUP ' + n.name + ' broken')
      await hupBad(n)
    } else {
      const a = kind === 'proxy' ? proxy : relay
      if (!a.alive()) return
      log('action: kill -9 ' + a.name)
      await a.stop('SIGKILL')
      restartActor(a)
    }
  }
  const KINDS = ['sink', 'sink', 'sender', 'sender', 'B', 'hup', 'hup', 'hupbad', 'proxy', 'relay',
    'freezeB', 'freezeSink', 'flood']

  // ---- a checkpoint: quiet state, books, resources
  async function checkpoint (label) {
    log('checkpoint ' + label + ': pausing traffic')
    paused = true
    await until(90000, () => Object.values(loops).every((l) => l.idle))
    await Promise.all([...pending])
    if (js1.alive()) await js1.stop('SIGTERM')
    if (!B.alive()) await B.start()
    for (const a of [proxy, relay, k1, k2, jr1]) if (!a.alive()) await a.start()
    if (!(await until(20000, allUp))) fail(label + ': links not all up within 20 s')
    const sinksUp = await until(20000, async () => peerOf(await health(C), 'k1').connected &&
      peerOf(await health(C), 'jr1').connected && peerOf(await health(A), 'k2').connected &&
      !peerOf(await health(A), 's1').connected && !peerOf(await health(A), 'js1').connected &&
      !peerOf(await health(C), 's2').connected)
    if (!sinksUp) fail(label + ': sinks not all connected (or senders still connected) within 20 s')
    const quiet = await until(EXPIRY_MS + 10000, async () => {
      for (const n of [A, B, C]) if ((await health(n)).peers.some((p) => p.pendingIn !== '0' || p.pendingOut !== '0' || (p.inFlight || 0) !== 0 || (p.inFlightFrom || 0) !== 0)) return false
      return true
    })
    if (!quiet) fail(label + ': packets still in flight ' + (EXPIRY_MS + 10) + ' s after traffic stopped')
    await sleep(1000)
    const res = {}
    for (const n of [A, C]) {
      const pid = n.child.pid
      const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'))[1])
      res[n.name] = { rss, fds: fs.readdirSync('/proc/' + pid + '/fd').length }
    }
    const hs = {}
    for (const n of [A, B, C]) hs[n.name] = await health(n)
    for (const l of links) {
      const xb = BigInt(peerOf(hs[l.x.name], l.xp).balance)
      const yb = BigInt(peerOf(hs[l.y.name], l.yp).balance)
      const d = (xb - l.baseX) + yb
      const dropsX = (await connects(l.x, l.xp)) - l.connX - 1
      const dropsY = (await connects(l.y, l.yp)) - 1
      const drops = Math.max(dropsX, dropsY, 0)
      const late = (await lateAnswers(l.x)) - l.lateX + (await lateAnswers(l.y))
      const max = BigInt(drops * W + late * MAX_AMOUNT)
      log(label + ': link ' + l.name + ': ' + l.x.name + ' ' + (xb - l.baseX) + ' (since epoch), ' + l.y.name + ' ' + yb + ', D=' + d + ', drops ' + drops + ', late ' + late + ', allowed 0..' + max)
      if (d < 0n || d > max) fail(label + ': books of link ' + l.name + ' disagree: D=' + d + ' outside 0..' + max + ' (drops ' + drops + ', late answers ' + late + ')')
    }
    for (const [name, a] of Object.entries(acct)) {
      const amount = BigInt(SENDERS[name].amount)
      const bal = BigInt(peerOf(hs[a.node.name], name).balance)
      const lo = BigInt(a.known) * amount
      const hi = lo + BigInt(a.slack) * amount
      log(label + ': ' + a.node.name + ' balance of ' + name + ' ' + bal + ', reported fulfilled ' + a.known + ' x ' + amount + ', slack ' + a.slack)
      if (bal < lo || bal > hi || bal % amount !== 0n) fail(label + ': ' + a.node.name + '\'s balance of ' + name + ' ' + bal + ' outside ' + lo + '..' + hi)
    }
    log(label + ': resources ' + JSON.stringify(res))
    return res
  }

  // ---- the run
  const warm = Math.min(30000, DURATION_MS / 4)
  const endAt = T0 + DURATION_MS
  let first = null
  let cp = false
  while (Date.now() < endAt - 5000) {
    if (!cp && Date.now() - T0 > warm) {
      first = await checkpoint('warm-up')
      cp = true
      paused = false
      await js1.start()
      continue
    }
    await sleep(between(2000, 5000))
    // Mostly one action at a time; one in four overlaps a second one.
    const kinds = [pick(KINDS)]
    if (rnd() < 0.25) kinds.push(pick(KINDS))
    try { await Promise.all(kinds.map(act)) } catch (e) { fail('driver action: ' + e.stack) }
  }
  const last = await checkpoint('end')
  finished = true
  sampling = false
  await sampler
  await Promise.all(Object.values(loops).map((l) => l.done))
  if (first && last) {
    const tol = ASAN ? 4096 : 512
    for (const n of ['A', 'C']) {
      if (last[n].fds !== first[n].fds) fail('node ' + n + ': open fds ' + first[n].fds + ' after warm-up, ' + last[n].fds + ' at the end')
      if (last[n].rss - first[n].rss > tol) fail('node ' + n + ': VmRSS grew from ' + first[n].rss + ' to ' + last[n].rss + ' kB (allowed +' + tol + ' kB)')
    }
  }
  return finish(nodes, [k1, k2, jr1, js1, proxy, relay])
}

async function finish (nodes, actors) {
  for (const a of actors) await a.stop('SIGTERM')
  for (const n of Object.values(nodes)) await n.stop('SIGTERM')
  // Sanitizer reports anywhere (ilpd, ilpctl; run.sh scans node's too).
  for (const f of fs.readdirSync(WORK).filter((x) => x.endsWith('.log'))) {
    const t = fileText(path.join(WORK, f))
    const m = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.exec(t)
    if (m) fail('sanitizer report in ' + f + ': ' + t.slice(Math.max(0, m.index - 200), m.index + 400).replace(/\n/g, ' | '))
  }
  // Log audit of the nodes: no error but a refused reload, no token, and
  // no onion-suffixed host (c.soak) at info or above.
  for (const n of Object.values(nodes)) {
    for (const l of fileText(n.logFile).split('\n')) {
      if (/level=error/.test(l) && !/event=config\.reload_failed/.test(l)) fail('ilpd ' + n.name + ' logged an error: ' + l)
      if (/-soak-token/.test(l)) fail('ilpd ' + n.name + ' logged a token: ' + l)
      if (/c\.soak/i.test(l) && !/level=debug/.test(l)) fail('ilpd ' + n.name + ' logged an onion-suffixed host name at info or above: ' + l)
    }
  }
  console.log('')
  console.log('soak: seed ' + SEED + ', ' + MINUTES + ' min, ' + Object.keys(nodes).length + ' nodes')
  for (const [k, v] of Object.entries(counts).sort()) console.log('  ' + k + ': ' + v)
  if (failures.length) console.log('soak: ' + failures.length + ' failure(s); replay with --seed ' + SEED)
  return failures.length
}

main().then((n) => process.exit(n ? 1 : 0), (e) => { console.log('soak: driver error: ' + e.stack); process.exit(1) })
