'use strict'
// The benchmark driver (bench/run.sh starts it; see docs/benchmark.md).
//
//   node bench/bench.js --ilpd PATH --ilpctl PATH [--rounds N] [--quick]
//                       [--smoke] [--tls] [--no-js] [--json FILE]
//
// In each round, one after the other on this machine: the load tool's own
// floor (ilpctl send -> ilpctl sink --listen, no connector), ilpd, and the
// reference ilp-connector 23.0.2 (tests/interop/connector.js). Each
// connector gets two children, alice (ilpctl send) and bob (ilpctl sink),
// and the same runs: a warm-up, N packets with 100 in flight, N with 1000
// in flight, 3 x L packets with 1 in flight. Every packet has unique data
// (ilpctl's preimage scheme), amount 1, 32 bytes of data, expiry 30 s.
// ilp-connector: backend one-to-one, spread 0, rate limit raised, memory
// store, no balance limits (as ilpd's config: none).
// Measured: packets/s (ilpctl send's own rate: first Prepare to last
// answer), connector CPU per packet (utime+stime from /proc/PID/stat over
// the 100-in-flight run), latency p50/p99 with one in flight minus the
// floor's, VmRSS / VmHWM after the round. The table shows the median over
// rounds; then the ratios and the targets.
// --tls adds ilpd over wss:// (both hops TLS, the backend ilpd and ilpctl
// were built with, test PKI from tests/tls/make-certs.sh) as one more row,
// and TLS handshakes: node's tls.connect to ilpd's TLS listener, wall time
// to the end of the handshake (p50/p90) and ilpd's CPU per handshake.
// --no-js leaves ilp-connector out (for comparing ws and wss quickly).
// The durable ledger (docs/ilpd.8 "DURABLE LEDGER"): the `ilpd` row runs
// with durability = off (balances in RAM only, as before the ledger was
// durable); four more rows run durability = interval and = sync with the
// state file on this machine's disk (under the bench's temporary directory)
// and on tmpfs (/dev/shm), and a table shows, per mode, packets/s at 100
// and 1000 in flight, the share of `off`, the added latency, syncs per
// second and bytes written per hour (ilpd's own ilpd_persist_* counters over
// the 100- and 1000-in-flight runs). --no-durability leaves those rows out.
// --smoke: tiny runs (a few seconds; tests/hardening/t_bench_rounds.sh),
// for checking the harness, not for figures.
//
// Each round and connector gets a directory of its own (DIR/round-N/NAME)
// for its configs and logs, and a run starts only once the receiving
// child is up in ilpd's /health: a log line left over from an earlier
// round must never count as this round's receiver being ready (that made
// round 2 send while bob was still connecting: T01 Peer Unreachable). ilpd
// logs at info (peer.up / peer.down with reasons); when a run fails, the
// error shows the tail of every log of that connector and ilpd's /health,
// and the directory is kept.

const childProcess = require('child_process')
const fs = require('fs')
const path = require('path')
const tls = require('tls')
const lib = require('../tests/interop/lib')
const tlsKit = require('../tests/interop/t_tls')

const CLK_TCK = Number(childProcess.execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

function parseArgs (argv) {
  const o = { rounds: null, quick: false, smoke: false, json: null, ilpd: null, ilpctl: null, tls: false, js: true, dur: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(a + ' needs a value')
      return argv[++i]
    }
    if (a === '--ilpd') o.ilpd = path.resolve(val())
    else if (a === '--ilpctl') o.ilpctl = path.resolve(val())
    else if (a === '--rounds') o.rounds = Math.max(1, parseInt(val(), 10) || 1)
    else if (a === '--quick') o.quick = true
    else if (a === '--smoke') o.smoke = true
    else if (a === '--tls') o.tls = true
    else if (a === '--no-js') o.js = false
    else if (a === '--no-durability') o.dur = false
    else if (a === '--json') o.json = val()
    else throw new Error('unknown option ' + a)
  }
  if (!o.ilpd || !o.ilpctl) throw new Error('--ilpd and --ilpctl are required')
  if (o.rounds === null) o.rounds = o.quick || o.smoke ? 1 : 3
  return o
}

// Packet counts per connector: ilpd is run long enough for the CPU clock
// (CLK_TCK ticks) to resolve its per-packet cost to ~1 %.
function counts (quick, smoke) {
  if (smoke) {
    const s = { warm: 2000, n: 5000, lat: 100 }
    return { floor: s, ilpd: s, wss: s, js: s, handshakes: 5, ...durCounts(s) }
  }
  if (quick) {
    return {
      floor: { warm: 20000, n: 100000, lat: 1000 },
      ilpd: { warm: 20000, n: 100000, lat: 1000 },
      wss: { warm: 20000, n: 100000, lat: 1000 },
      js: { warm: 5000, n: 10000, lat: 500 },
      handshakes: 50,
      ...durCounts({ warm: 20000, n: 100000, lat: 1000 })
    }
  }
  return {
    floor: { warm: 50000, n: 400000, lat: 5000 },
    ilpd: { warm: 50000, n: 400000, lat: 5000 },
    wss: { warm: 50000, n: 400000, lat: 5000 },
    js: { warm: 20000, n: 60000, lat: 3000 },
    handshakes: 300,
    ...durCounts({ warm: 50000, n: 400000, lat: 5000 })
  }
}

// The durability rows: ilpd with a state file, per mode and medium. `off`
// is the plain `ilpd` row. Latency runs: 1 in flight, so in sync mode each
// packet waits for one sync (fdatasync) of its own.
const DURABILITY = [
  ['intD', 'interval', 'disk'],
  ['syncD', 'sync', 'disk'],
  ['intT', 'interval', 'tmpfs'],
  ['syncT', 'sync', 'tmpfs']
]
function durCounts (c) {
  const o = {}
  for (const [k] of DURABILITY) o[k] = c
  return o
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

function cpuTicks (pid) {
  const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8')
  // fields after the ")" that ends the command name; utime, stime = 14, 15
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

function memKb (pid) {
  const s = fs.readFileSync('/proc/' + pid + '/status', 'utf8')
  const get = (k) => {
    const m = new RegExp('^' + k + ':\\s+(\\d+) kB', 'm').exec(s)
    return m ? Number(m[1]) : null
  }
  return { rss: get('VmRSS'), hwm: get('VmHWM') }
}

// Runs `ilpctl send`; resolves to the parsed summary.
function send (ilpctl, url, token, to, count, window, extra) {
  const args = ['send', '--url', url, '--token', token, '--to', to, '--count', String(count),
    '--window', String(window), '--amount', '1', '--data-size', '32', '--expiry-ms', '30000'].concat(extra || [])
  const timeoutMs = 60000 + count * 2   // >= 500 packets/s
  return new Promise((resolve) => {
    childProcess.execFile(ilpctl, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const out = String(stdout)
      const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : null }
      resolve({
        ok: !err,
        error: err ? (err.killed ? 'timed out' : 'exit ' + err.code) + ': ' + String(stderr).trim() : null,
        rate: num(/^rate=([\d.]+) pps/m),
        elapsedMs: num(/elapsed_ms=([\d.]+)/),
        p50: num(/latency_us .*p50=(\d+)/),
        p99: num(/latency_us .*p99=(\d+)/),
        sent: num(/^sent=(\d+)/m),
        fulfilled: num(/^sent=\d+ fulfilled=(\d+)/m),
        summary: (out.match(/^sent=.*$/m) || [''])[0]
      })
    })
  })
}

function startSink (ilpctl, dir, args, name) {
  return new lib.Child(name, ilpctl, ['sink'].concat(args), { logFile: path.join(dir, name + '.log') })
}

// --------------------------------------------------------------- targets

async function setupFloor (o, dir) {
  const [port] = await lib.freePorts(1)
  const sink = startSink(o.ilpctl, dir, ['--listen', '127.0.0.1:' + port, '--token', 'floor-token',
    '--address', 'test.floor.bob'], 'floor-sink')
  await lib.waitPort(port, 5000, () => sink.alive())
  return {
    procs: [sink],
    pid: null,
    url: 'ws://127.0.0.1:' + port + '/',
    token: 'floor-token',
    to: 'test.floor.bob'
  }
}

// Resolves once a `sink --url` printed its address (authenticated, IL-DCP
// done), so the first Prepare finds it connected.
async function waitSink (sink) {
  const end = Date.now() + 10000
  while (!/^sink address=/m.test(sink.log())) {
    if (!sink.alive() || Date.now() > end) throw new Error('ilpctl sink did not connect\n' + sink.tail(10))
    await lib.sleep(20)
  }
}

// Both: the sink printed its address, and ilpd has bob up. On failure,
// stops the sink and ilpd and throws with their logs.
async function sinkReady (sink, ilpd) {
  try {
    await waitSink(sink)
    await lib.waitPeerUp(ilpd.adminPort, 'bob', 10000)
  } catch (e) {
    await sink.stop()
    await ilpd.stop()
    throw new Error(e.message + '\n' + sink.tail(10) + '\n' + ilpd.tail(20))
  }
}

// ledger: the [ledger] section (default: durability = off, the row
// `ilpd`); the durability rows pass a mode and a state file.
async function setupIlpd (o, dir, ledger) {
  const ilpd = await lib.startIlpd(o.ilpd, dir, {
    node: { address: 'test.ilpd', asset_code: 'XRP', asset_scale: 9 },
    ledger: ledger || { durability: 'off' },
    log: { level: 'info' },
    peers: {
      alice: { relation: 'child', token: 'alice-token' },
      bob: { relation: 'child', token: 'bob-token' }
    }
  })
  const url = 'ws://127.0.0.1:' + ilpd.btpPort + '/'
  const sink = startSink(o.ilpctl, dir, ['--url', url, '--token', 'bob-token', '--username', 'bob'], 'ilpd-sink')
  await sinkReady(sink, ilpd)
  return { procs: [sink, ilpd], pid: ilpd.pid, adminPort: ilpd.adminPort, url, token: 'alice-token', to: 'test.ilpd.bob' }
}

// A setup for one durability row: the state file on disk (the round's
// directory) or on tmpfs (/dev/shm, removed after the run).
function durSetup (mode, medium) {
  return async (o, dir) => {
    let sdir = dir
    if (medium === 'tmpfs') {
      sdir = fs.mkdtempSync('/dev/shm/ilpd-bench-')
      tmpfsDirs.push(sdir)
    }
    const t = await setupIlpd(o, dir, { durability: mode, state_file: path.join(sdir, 'ledger.state') })
    t.persist = true
    t.mode = mode
    return t
  }
}
const tmpfsDirs = []

// ilpd's persistence counters (syncs, bytes written) from /metrics.
async function persistCounters (adminPort) {
  const r = await lib.httpGet(adminPort, '/metrics')
  if (r.status !== 200) throw new Error('/metrics answered ' + r.status)
  const text = r.body
  const get = (name) => {
    const m = new RegExp('^' + name + ' (\\d+)', 'm').exec(text)
    return m ? Number(m[1]) : null
  }
  return { syncs: get('ilpd_persist_syncs_total'), bytes: get('ilpd_persist_bytes_written_total'), at: Date.now() }
}

// ilpd with a TLS listener; alice and bob over wss://localhost.
async function setupWss (o, dir) {
  const pki = o.pki
  const ilpd = await tlsKit.startTlsIlpd(o.ilpd, dir, 'ilpd-wss', {
    node: { address: 'test.ilpd', asset_code: 'XRP', asset_scale: 9 },
    btp: { tls: 'on' },
    log: { level: 'info' },
    peers: {
      alice: { relation: 'child', token: 'alice-token' },
      bob: { relation: 'child', token: 'bob-token' }
    }
  }, { cert_file: pki.file('server.pem'), key_file: pki.file('server.key') })
  const url = 'wss://localhost:' + ilpd.btpPort + '/'
  const extra = ['--ca', pki.file('ca.pem')]
  const sink = startSink(o.ilpctl, dir, ['--url', url, '--token', 'bob-token', '--username', 'bob'].concat(extra), 'wss-sink')
  await sinkReady(sink, ilpd)
  return { procs: [sink, ilpd], pid: ilpd.pid, adminPort: ilpd.adminPort, url, token: 'alice-token', to: 'test.ilpd.bob', extra }
}

// n sequential TLS handshakes of node's client with ilpd's TLS listener:
// wall time connect -> secureConnect (p50, p90) and ilpd's CPU for all.
async function handshakes (o, dir, n) {
  const pki = o.pki
  const ilpd = await tlsKit.startTlsIlpd(o.ilpd, dir, 'ilpd-hs', {
    node: { address: 'test.ilpd' },
    btp: { tls: 'on' },
    log: { level: 'info' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }, { cert_file: pki.file('server.pem'), key_file: pki.file('server.key') })
  const ca = pki.read('ca.pem')
  const one = () => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    // a fresh connection with no session given: every handshake is a full one
    const s = tls.connect({ host: '127.0.0.1', port: ilpd.btpPort, servername: 'localhost', ca })
    const timer = setTimeout(() => { s.destroy(); reject(new Error('TLS handshake timed out')) }, 10000)
    s.once('secureConnect', () => {
      const us = Number(process.hrtime.bigint() - t0) / 1000
      clearTimeout(timer)
      const r = { us, protocol: s.getProtocol(), cipher: s.getCipher().standardName || s.getCipher().name }
      s.destroy()
      resolve(r)
    })
    s.once('error', (e) => { clearTimeout(timer); reject(e) })
  })
  try {
    for (let i = 0; i < 10; i++) await one()   // warm-up
    const before = cpuTicks(ilpd.pid)
    const us = []
    let last
    for (let i = 0; i < n; i++) {
      last = await one()
      us.push(last.us)
    }
    const after = cpuTicks(ilpd.pid)
    us.sort((a, b) => a - b)
    return {
      hsP50Ms: us[us.length >> 1] / 1000,
      hsP90Ms: us[Math.floor(us.length * 0.9)] / 1000,
      hsCpuMs: (after - before) * 1000 / CLK_TCK / n,
      hsSuite: last.protocol + ' ' + last.cipher
    }
  } finally {
    await ilpd.stop()
  }
}

async function setupJs (o, dir) {
  const [alicePort, bobPort] = await lib.freePorts(2)
  const acct = (port, secret) => ({
    relation: 'child',
    plugin: 'ilp-plugin-btp',
    assetCode: 'XRP',
    assetScale: 9,
    options: { listener: { port, secret, wsOpts: { host: '127.0.0.1', port } } },
    rateLimit: { refillPeriod: 1000, refillCount: 1000000000, capacity: 1000000000 }
  })
  const config = {
    env: 'test',
    ilpAddress: 'test.js',
    backend: 'one-to-one',
    spread: 0,
    store: 'memory',
    initialConnectTimeout: 200,
    accounts: { alice: acct(alicePort, 'alice-token'), bob: acct(bobPort, 'bob-token') }
  }
  const file = path.join(dir, 'connector.json')
  fs.writeFileSync(file, JSON.stringify(config, null, 2))
  const js = new lib.Child('ilp-connector', process.execPath,
    [path.join(__dirname, '..', 'tests', 'interop', 'connector.js'), file],
    { logFile: path.join(dir, 'connector.log') })
  const end = Date.now() + 20000
  while (!/^READY /m.test(js.log())) {
    if (!js.alive() || Date.now() > end) {
      await js.stop()
      throw new Error('ilp-connector did not start\n' + js.tail(20))
    }
    await lib.sleep(50)
  }
  await lib.waitPort(alicePort, 5000, () => js.alive())
  await lib.waitPort(bobPort, 5000, () => js.alive())
  const sink = startSink(o.ilpctl, dir, ['--url', 'ws://127.0.0.1:' + bobPort + '/', '--token', 'bob-token',
    '--username', 'bob'], 'js-sink')
  await waitSink(sink)
  return { procs: [sink, js], pid: js.pid, url: 'ws://127.0.0.1:' + alicePort + '/', token: 'alice-token', to: 'test.js.bob' }
}

// What a failed run leaves to explain it: the tail of every log of this
// connector (ilpd's peer.down lines give the reason), ilpd's /health.
async function diagnose (t) {
  const out = t.procs.map((p) => p.tail(20))
  if (t.adminPort) {
    try {
      out.push('  /health: ' + JSON.stringify(await lib.health(t.adminPort)))
    } catch (e) {
      out.push('  /health: ' + e.message)
    }
  }
  return out.join('\n')
}

// One connector, one round: warm-up, 100 in flight, 1000 in flight, 1.
async function measure (o, name, setup, c, dir) {
  fs.mkdirSync(dir, { recursive: true })
  const t = await setup(o, dir)
  const r = { name }
  try {
    const run = async (count, window) => {
      const before = t.pid ? cpuTicks(t.pid) : 0
      const s = await send(o.ilpctl, t.url, t.token, t.to, count, window, t.extra)
      const after = t.pid ? cpuTicks(t.pid) : 0
      // ilp-plugin-btp picks random 32-bit BTP request ids and matches
      // replies by id alone: with 1000 in flight, about one packet in 4
      // million collides and gets the other's Fulfill, which ilp-connector
      // then refuses with F05. Counted and shown, not fatal, for it only.
      const f05 = Number((/ F05=(\d+)/.exec(s.summary) || [0, 0])[1])
      const onlyF05 = s.sent === count && s.fulfilled + f05 === count
      if (name === 'js' && onlyF05 && f05 > 0 && f05 <= 10) {
        r.f05 = (r.f05 || 0) + f05
      } else if (!s.ok || s.fulfilled !== count) {
        throw new Error(name + ': send ' + count + ' window ' + window + ' failed: ' +
          (s.error || '') + ' ' + s.summary + '\n' + await diagnose(t))
      }
      s.cpuUsPerPacket = t.pid ? (after - before) * 1e6 / CLK_TCK / count : null
      return s
    }
    // warm-up until two consecutive runs agree within 15 % (JIT, caches)
    let prev = null
    for (let i = 0; i < 4; i++) {
      const w = await run(c.warm, 100)
      if (prev && Math.abs(w.rate - prev) / prev < 0.15) break
      prev = w.rate
    }
    const p0 = t.persist ? await persistCounters(t.adminPort) : null
    const w100 = await run(c.n, 100)
    const w1000 = await run(c.n, 1000)
    if (p0) {
      // over the 100- and 1000-in-flight runs: syncs per second, bytes
      // written per hour, at the packet rate of those runs. Interval mode
      // writes the runs' last changes up to sync_interval_ms (1 s) later:
      // wait for that commit, so its bytes are counted.
      const runMs = w100.elapsedMs + w1000.elapsedMs
      await lib.sleep(1200)
      const p1 = await persistCounters(t.adminPort)
      const secs = (p1.at - p0.at) / 1000
      if (p0.syncs === null || p1.syncs === null || p1.syncs <= p0.syncs) {
        throw new Error(name + ': ilpd_persist_syncs_total did not grow (' + p0.syncs + ' -> ' + p1.syncs +
          '): is the state file in use?\n' + await diagnose(t))
      }
      // sync mode: per second of the runs (its syncs follow the packets);
      // interval mode: per second of wall time (its syncs follow the clock)
      const per = t.mode === 'sync' && runMs > 0 ? runMs / 1000 : secs
      r.syncsPerSec = (p1.syncs - p0.syncs) / per
      r.bytesPerHour = (p1.bytes - p0.bytes) / per * 3600
      r.syncsPer1000Pkt = (p1.syncs - p0.syncs) / (2 * c.n) * 1000
      r.pktPerSec = runMs > 0 ? 2 * c.n / (runMs / 1000) : null
    }
    // latency: three runs with one in flight, the median of each figure
    // (a single run's p99 is at the mercy of one scheduling hiccup)
    const lat = []
    for (let i = 0; i < 3; i++) lat.push(await run(c.lat, 1))
    r.pps100 = w100.rate
    r.pps1000 = w1000.rate
    r.cpu100 = w100.cpuUsPerPacket
    r.cpu1000 = w1000.cpuUsPerPacket
    r.p50 = median(lat.map((x) => x.p50))
    r.p99 = median(lat.map((x) => x.p99))
    if (t.pid) Object.assign(r, memKb(t.pid))
  } finally {
    for (const p of t.procs) await p.stop()
  }
  return r
}

// --------------------------------------------------------------- report

function fmt (x, digits = 0) {
  if (x === null || x === undefined || !isFinite(x)) return '-'
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function table (rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  return rows.map((r) => r.map((c, i) => i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))
    .join('  ')).join('\n')
}

async function main () {
  const o = parseArgs(process.argv.slice(2))
  const c = counts(o.quick, o.smoke)
  const dir = lib.tmpDir('bench')
  const all = { floor: [], ilpd: [], js: [] }
  const setups = [['floor', setupFloor], ['ilpd', setupIlpd]]
  if (o.dur) {
    for (const [k, mode, medium] of DURABILITY) {
      all[k] = []
      setups.push([k, durSetup(mode, medium)])
    }
  }
  let backend = null
  if (o.tls) {
    all.wss = []
    all.hs = []
    setups.push(['wss', setupWss])
    o.pki = tlsKit.makeCerts(path.join(dir, 'pki'))
    backend = tlsKit.tlsBackend(o.ilpd).split(' ')[0]
    console.log('TLS backend: ' + tlsKit.tlsBackend(o.ilpd) + ' (ilpctl: the same build, presumably)')
  }
  if (o.js) setups.push(['js', setupJs])
  const t0 = Date.now()
  let failed = false
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // fresh directories per round: no log file is shared between rounds
      const rdir = path.join(dir, 'round-' + round)
      for (const [key, setup] of setups) {
        const r = await measure(o, key, setup, c[key], path.join(rdir, key))
        all[key].push(r)
        console.log('round ' + round + ' ' + key.padEnd(5) + ' ' + JSON.stringify(r))
      }
      if (o.tls) {
        fs.mkdirSync(path.join(rdir, 'hs'), { recursive: true })
        const h = await handshakes(o, path.join(rdir, 'hs'), c.handshakes)
        all.hs.push(h)
        console.log('round ' + round + ' hs    ' + JSON.stringify(h))
      }
    }
  } catch (e) {
    console.error('bench: ' + (e.stack || e.message))
    failed = true
  }
  for (const d of tmpfsDirs) fs.rmSync(d, { recursive: true, force: true })
  lib.cleanTmpDirs(failed || process.env.KEEP === '1')
  if (failed) process.exit(1)

  const m = {}
  for (const k of Object.keys(all)) {
    if (k === 'hs') continue
    m[k] = {}
    for (const f of ['pps100', 'pps1000', 'cpu100', 'cpu1000', 'p50', 'p99', 'rss', 'hwm', 'syncsPerSec', 'bytesPerHour', 'pktPerSec']) {
      m[k][f] = median(all[k].map((r) => r[f]))
    }
  }
  const added = (k, f) => m[k][f] === null ? null : Math.max(0, m[k][f] - m.floor[f])
  const rows = [
    ['', 'packets/s @100', 'packets/s @1000', 'CPU us/pkt @100', 'CPU us/pkt @1000',
      'added p50 us', 'added p99 us', 'RSS MiB', 'peak RSS MiB']
  ]
  const label = { floor: 'no connector (floor)', ilpd: o.dur ? 'ilpd (durability=off)' : 'ilpd', wss: 'ilpd over wss (' + backend + ')', js: 'ilp-connector 23.0.2' }
  for (const k of setups.map((x) => x[0])) {
    if (DURABILITY.some((d) => d[0] === k)) continue
    rows.push([label[k], fmt(m[k].pps100), fmt(m[k].pps1000), fmt(m[k].cpu100, 2), fmt(m[k].cpu1000, 2),
      k === 'floor' ? '(' + fmt(m[k].p50) + ')' : fmt(added(k, 'p50')),
      k === 'floor' ? '(' + fmt(m[k].p99) + ')' : fmt(added(k, 'p99')),
      k === 'floor' ? '-' : fmt(m[k].rss / 1024, 1), k === 'floor' ? '-' : fmt(m[k].hwm / 1024, 1)])
  }
  const ratio = (a, b) => (a && b) ? a / b : null
  const r = {
    pps100: ratio(m.ilpd.pps100, m.js.pps100),
    pps1000: ratio(m.ilpd.pps1000, m.js.pps1000),
    cpu100: ratio(m.js.cpu100, m.ilpd.cpu100),
    cpu1000: ratio(m.js.cpu1000, m.ilpd.cpu1000),
    p50: ratio(added('js', 'p50'), added('ilpd', 'p50')),
    p99: ratio(added('js', 'p99'), added('ilpd', 'p99')),
    rss: ratio(m.js.rss, m.ilpd.rss),
    hwm: ratio(m.js.hwm, m.ilpd.hwm)
  }
  if (o.js) rows.push(['ilpd advantage (x)', fmt(r.pps100, 1), fmt(r.pps1000, 1), fmt(r.cpu100, 1), fmt(r.cpu1000, 1),
    fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.rss, 1), fmt(r.hwm, 1)])

  console.log('')
  console.log('Median of ' + o.rounds + ' round(s)' + (o.quick ? ' (--quick: short runs)' : '') +
    (o.smoke ? ' (--smoke: tiny runs, figures mean nothing)' : '') +
    '; packets: ilpd/floor ' + c.ilpd.n + ', ilp-connector ' + c.js.n + ' per run; ' +
    'latency: 3 x ' + c.ilpd.lat + '/' + c.js.lat + ' packets with 1 in flight; CPU clock ' + CLK_TCK + ' Hz')
  console.log(table(rows))
  if (o.js) console.log('(advantage = ilpd / ilp-connector for packets/s; ilp-connector / ilpd for CPU, latency, memory)')
  let tlsSummary = null
  if (o.tls) {
    tlsSummary = {
      backend,
      hsP50Ms: median(all.hs.map((x) => x.hsP50Ms)),
      hsP90Ms: median(all.hs.map((x) => x.hsP90Ms)),
      hsCpuMs: median(all.hs.map((x) => x.hsCpuMs)),
      suite: all.hs.length ? all.hs[0].hsSuite : null,
      pps100: ratio(m.wss.pps100, m.ilpd.pps100),
      pps1000: ratio(m.wss.pps1000, m.ilpd.pps1000),
      cpu100: ratio(m.wss.cpu100, m.ilpd.cpu100)
    }
    console.log('')
    console.log('TLS (' + backend + ', ' + tlsSummary.suite + '): handshake with node\'s client p50 ' +
      fmt(tlsSummary.hsP50Ms, 2) + ' ms, p90 ' + fmt(tlsSummary.hsP90Ms, 2) + ' ms, ilpd CPU ' +
      fmt(tlsSummary.hsCpuMs, 2) + ' ms per handshake (' + c.handshakes + ' full handshakes per round)')
    const pct = (x) => x === null ? '-' : fmt(100 * x)
    console.log('TLS (' + backend + '): wss/ws packets/s ' + pct(tlsSummary.pps100) + ' % @100, ' +
      pct(tlsSummary.pps1000) + ' % @1000; ilpd CPU per packet wss/ws ' + fmt(tlsSummary.cpu100, 2) + 'x @100')
  }
  let durSummary = null
  if (o.dur) {
    durSummary = {}
    const drows = [['durability', 'state on', 'packets/s @100', 'packets/s @1000', '% of off @1000',
      'added p50 us', 'added p99 us', 'syncs/s', 'MB written/h', 'at packets/s']]
    drows.push(['off', '-', fmt(m.ilpd.pps100), fmt(m.ilpd.pps1000), '100', fmt(added('ilpd', 'p50')),
      fmt(added('ilpd', 'p99')), '0', '0', '-'])
    for (const [k, mode, medium] of DURABILITY) {
      const share = ratio(m[k].pps1000, m.ilpd.pps1000)
      durSummary[k] = { mode, medium, pps100: m[k].pps100, pps1000: m[k].pps1000, shareOfOff1000: share,
        addedP50: added(k, 'p50'), addedP99: added(k, 'p99'), syncsPerSec: m[k].syncsPerSec,
        bytesPerHour: m[k].bytesPerHour, pktPerSec: m[k].pktPerSec }
      drows.push([mode, medium === 'disk' ? 'disk (' + dir.split('/').slice(0, 2).join('/') + ')' : 'tmpfs (/dev/shm)',
        fmt(m[k].pps100), fmt(m[k].pps1000), share === null ? '-' : fmt(100 * share),
        fmt(added(k, 'p50')), fmt(added(k, 'p99')), fmt(m[k].syncsPerSec),
        fmt(m[k].bytesPerHour / 1e6, 1), fmt(m[k].pktPerSec)])
    }
    console.log('')
    console.log('Durable ledger (median of ' + o.rounds + ' round(s); syncs and bytes over the 100- and 1000-in-flight runs):')
    console.log(table(drows))
    console.log('(interval mode writes one record per changed peer per sync_interval_ms, whatever the packet rate: ' +
      'its bytes per hour at the rate above bound those at 1,000 Fulfills/s)')
  }
  const f05 = (all.js || []).reduce((a, x) => a + (x.f05 || 0), 0)
  if (f05) {
    console.log('note: ilp-connector answered ' + f05 + ' packet(s) with F05: ilp-plugin-btp\'s random BTP ' +
      'request ids collided (see docs/benchmark.md); not an ilpd or ilpctl error')
  }
  if (m.ilpd.pps100 && m.floor.pps100 && m.ilpd.pps100 > 0.8 * m.floor.pps100) {
    console.log('note: ilpd runs at ' + fmt(100 * m.ilpd.pps100 / m.floor.pps100) + ' % of the load tool\'s ' +
      'floor: its packets/s is a lower bound, limited by ilpctl on this ' + require('os').cpus().length + '-core machine')
  }
  console.log('')
  const target = (what, ok, detail) => console.log((ok ? 'target met:    ' : 'target MISSED: ') + what + ' (' + detail + ')')
  if (o.js) {
    target('ilpd >= 10x ilp-connector packets/s at 100 in flight', r.pps100 >= 10, fmt(r.pps100, 1) + 'x')
    target('ilpd CPU per packet <= 1/10 of ilp-connector', r.cpu100 >= 10, fmt(r.cpu100, 1) + 'x less')
  }
  if (o.dur) {
    const d = durSummary
    const sh = (x) => x === null || x === undefined ? '-' : fmt(100 * x) + ' %'
    target('durability = sync keeps >= 50 % of off\'s packets/s at 1000 in flight (state on disk)',
      d.syncD.shareOfOff1000 >= 0.5, sh(d.syncD.shareOfOff1000))
    target('durability = interval within 10 % of off\'s packets/s at 1000 in flight (state on disk)',
      d.intD.shareOfOff1000 >= 0.9, sh(d.intD.shareOfOff1000))
    target('durability = interval writes < 100 MB/hour (at >= 1,000 Fulfills/s)',
      d.intD.bytesPerHour < 100e6 && d.intD.pktPerSec >= 1000,
      fmt(d.intD.bytesPerHour / 1e6, 2) + ' MB/h at ' + fmt(d.intD.pktPerSec) + ' packets/s')
  }
  console.log('bench took ' + ((Date.now() - t0) / 1000).toFixed(0) + ' s')
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ rounds: all, median: m, ratios: r, tls: tlsSummary, durability: durSummary, counts: c }, null, 2))
}

main().catch((e) => {
  console.error('bench: ' + (e.stack || e.message))
  process.exit(1)
})
