'use strict'
// Helpers shared by the interop suites: a tiny test runner, free ports,
// child processes (ilpd, the ilp-connector launcher) that are always
// stopped by PID, ilpd configs in a temp dir, BTP clients, ILP packets.

const childProcess = require('child_process')
const crypto = require('crypto')
const fs = require('fs')
const http = require('http')
const net = require('net')
const os = require('os')
const path = require('path')

const IlpPacket = require('ilp-packet')
const BtpPlugin = require('ilp-plugin-btp')

// ---------------------------------------------------------------- runner

class Runner {
  constructor () {
    this.passed = 0
    this.failed = 0
    this.failures = []
  }

  pass (name, detail) {
    this.passed++
    console.log('PASS: ' + name + (detail ? ' (' + detail + ')' : ''))
  }

  fail (name, detail) {
    this.failed++
    this.failures.push(name)
    console.log('FAIL: ' + name + (detail ? ': ' + detail : ''))
  }

  // check(name, ok, detail): one counted assertion.
  check (name, ok, detail) {
    if (ok) this.pass(name, detail)
    else this.fail(name, detail)
    return !!ok
  }

  eq (name, got, want) {
    const ok = String(got) === String(want)
    return this.check(name, ok, ok ? String(got) : 'got ' + show(got) + ', want ' + show(want))
  }

  summary () {
    if (this.failures.length) {
      console.log('failed: ' + this.failures.join('; '))
    }
    console.log(this.passed + ' passed, ' + this.failed + ' failed')
  }
}

function show (v) {
  if (Buffer.isBuffer(v)) return v.toString('hex')
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

// Rejects after `ms` with `what timed out`.
function withTimeout (promise, ms, what) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what + ' timed out after ' + ms + ' ms')), ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------- ports

// n distinct free loopback ports (all bound at once, then released).
async function freePorts (n) {
  const servers = []
  for (let i = 0; i < n; i++) {
    const s = net.createServer()
    await new Promise((resolve, reject) => {
      s.once('error', reject)
      s.listen(0, '127.0.0.1', resolve)
    })
    servers.push(s)
  }
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

function canConnect (port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

// Resolves when something accepts on 127.0.0.1:port; rejects after ms or
// when `alive()` says the owning process died.
async function waitPort (port, ms, alive) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (alive && !alive()) throw new Error('process exited before listening on port ' + port)
    if (await canConnect(port)) return
    await sleep(50)
  }
  throw new Error('nothing listens on 127.0.0.1:' + port + ' after ' + ms + ' ms')
}

// ---------------------------------------------------------------- processes

const children = new Set()

function killAll () {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL') } catch (e) {}
  }
  children.clear()
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(130) })
}

// A child process with its stdout+stderr in `logFile`.
class Child {
  constructor (name, cmd, args, opts) {
    this.name = name
    this.logFile = opts.logFile
    const fd = fs.openSync(this.logFile, 'a')
    this.proc = childProcess.spawn(cmd, args, {
      stdio: ['ignore', fd, fd],
      env: Object.assign({}, process.env, opts.env || {}),
      cwd: opts.cwd
    })
    fs.closeSync(fd)
    this.pid = this.proc.pid
    this.exitCode = null
    this.exitSignal = null
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code
        this.exitSignal = signal
        children.delete(this)
        resolve()
      })
    })
    this.proc.once('error', (e) => {
      fs.appendFileSync(this.logFile, 'spawn error: ' + e.message + '\n')
    })
    children.add(this)
  }

  alive () {
    return this.exitCode === null && this.exitSignal === null
  }

  log () {
    try { return fs.readFileSync(this.logFile, 'utf8') } catch (e) { return '' }
  }

  tail (n) {
    const lines = this.log().split('\n').filter((l) => l.length)
    return lines.slice(-n).map((l) => '  ' + this.name + ': ' + l).join('\n')
  }

  // SIGTERM, then SIGKILL after `ms` (ilpd may take its 5 s grace plus
  // 2 s for closing handshakes). Resolves to {code, signal, ms}.
  async stop (ms = 10000) {
    const t0 = Date.now()
    if (this.alive()) {
      try { process.kill(this.pid, 'SIGTERM') } catch (e) {}
      const t = setTimeout(() => {
        try { process.kill(this.pid, 'SIGKILL') } catch (e) {}
      }, ms)
      await this.exited
      clearTimeout(t)
    }
    return { code: this.exitCode, signal: this.exitSignal, ms: Date.now() - t0 }
  }
}

const tmpDirs = []

// A fresh temp dir for one suite's configs and logs (see cleanTmpDirs).
function tmpDir (tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ilpd-interop-' + tag + '-'))
  tmpDirs.push(d)
  return d
}

// Removes the temp dirs unless `keep` (then lists them for reading logs).
function cleanTmpDirs (keep) {
  for (const d of tmpDirs) {
    if (keep) console.log('kept ' + d)
    else fs.rmSync(d, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------- ilpd

// INI text from {node:{...}, btp:{...}, peers:{name:{...}}, routes:{...},
// ledger:{...}}. Without `ledger` the node keeps no state file
// (durability = off): a file under /var/lib/ilpd would be shared by every
// test node.
function ilpdIni (c) {
  const out = ['; written by tests/interop']
  const section = (name, kv) => {
    out.push('', '[' + name + ']')
    for (const [k, v] of Object.entries(kv)) out.push(k + ' = ' + v)
  }
  section('node', c.node)
  section('btp', c.btp)
  section('admin', c.admin)
  section('log', c.log || { level: 'info' })
  if (c.limits) section('limits', c.limits)
  section('ledger', c.ledger || { durability: 'off' })
  for (const [name, p] of Object.entries(c.peers || {})) section('peer ' + name, p)
  if (c.routes) section('routes', c.routes)
  return out.join('\n') + '\n'
}

// Starts ilpd with `conf` (see ilpdIni; btp.listen and admin.listen are
// filled in with free ports when absent). Resolves when GET /health on the
// admin listener answers (the BTP listener opens before it). Readiness is
// not probed with a bare TCP connect to the BTP port: such a connection
// would be one more (half-dead) client for ilpd to deal with.
async function startIlpd (ilpdPath, dir, conf, opts = {}) {
  const [btpPort, adminPort] = await freePorts(2)
  conf = Object.assign({}, conf)
  conf.btp = Object.assign({ listen: '127.0.0.1:' + btpPort }, conf.btp || {})
  conf.admin = Object.assign({ listen: '127.0.0.1:' + adminPort }, conf.admin || {})
  // The durable ledger on (sync, the default) with the node's own state
  // file in the suite's temp dir: a restart (restartIlpd) recovers it.
  conf.ledger = conf.ledger || { state_file: path.join(dir, (opts.name || 'ilpd') + '.ledger.state') }
  const file = path.join(dir, (opts.name || 'ilpd') + '.ini')
  fs.writeFileSync(file, ilpdIni(conf))
  return runIlpd(ilpdPath, dir, file, {
    name: opts.name || 'ilpd',
    env: opts.env,
    btpPort: Number(conf.btp.listen.split(':').pop()) || null,
    adminPort: Number(conf.admin.listen.split(':').pop())
  })
}

// Starts ilpd again with the same config file and ports (after stop()).
function restartIlpd (ilpdPath, dir, old) {
  return runIlpd(ilpdPath, dir, old.configFile, {
    name: old.name, env: old.env, btpPort: old.btpPort, adminPort: old.adminPort
  })
}

// Every ilpd started, so the runner can scan their logs (sanitizers).
const ilpdRuns = []

async function runIlpd (ilpdPath, dir, file, o) {
  const child = new Child(o.name, ilpdPath, ['-c', file], {
    logFile: path.join(dir, o.name + '.log'),
    env: o.env
  })
  ilpdRuns.push(child)
  child.configFile = file
  child.env = o.env
  child.btpPort = o.btpPort
  child.adminPort = o.adminPort
  try {
    const end = Date.now() + 10000
    for (;;) {
      if (!child.alive()) throw new Error('ilpd exited: ' + child.exitCode + ' ' + child.exitSignal)
      try {
        await health(child.adminPort)
        break
      } catch (e) {
        if (Date.now() > end) throw e
      }
      await sleep(50)
    }
  } catch (e) {
    await child.stop()
    throw new Error('ilpd did not start: ' + e.message + '\n' + child.tail(30))
  }
  return child
}

function httpGet (port, urlPath, ms = 5000) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
  }), ms, 'GET ' + urlPath)
}

async function health (adminPort) {
  const r = await httpGet(adminPort, '/health')
  if (r.status !== 200) throw new Error('/health answered ' + r.status)
  return JSON.parse(r.body)
}

// Balance of `peer` in ilpd's /health, as a BigInt.
async function ilpdBalance (adminPort, peer) {
  const h = await health(adminPort)
  const p = (h.peers || []).find((x) => x.name === peer)
  if (!p) throw new Error('peer ' + peer + ' not in /health')
  return BigInt(p.balance)
}

// Polls /health until `peer` is connected.
async function waitPeerUp (adminPort, peer, ms = 10000) {
  const end = Date.now() + ms
  let last = null
  while (Date.now() < end) {
    try {
      const h = await health(adminPort)
      last = (h.peers || []).find((x) => x.name === peer)
      if (last && last.connected) return
    } catch (e) {}
    await sleep(50)
  }
  throw new Error('peer ' + peer + ' not connected after ' + ms + ' ms: ' + JSON.stringify(last))
}

// ---------------------------------------------------------------- BTP / ILP

// An ilp-plugin-btp client to 127.0.0.1:port; connected on return.
async function btpClient (port, username, token, ms = 10000) {
  const plugin = new BtpPlugin({
    server: 'btp+ws://' + encodeURIComponent(username) + ':' + encodeURIComponent(token) +
      '@127.0.0.1:' + port
  })
  try {
    await withTimeout(plugin.connect(), ms, 'BTP connect as ' + username)
  } catch (e) {
    await plugin.disconnect().catch(() => {})
    throw e
  }
  return plugin
}

function newCondition () {
  const fulfillment = crypto.randomBytes(32)
  const condition = crypto.createHash('sha256').update(fulfillment).digest()
  return { fulfillment, condition }
}

function prepare (opts) {
  return IlpPacket.serializeIlpPrepare({
    amount: String(opts.amount),
    executionCondition: opts.condition,
    expiresAt: opts.expiresAt || new Date(Date.now() + 30000),
    destination: opts.destination,
    data: opts.data || Buffer.alloc(0)
  })
}

// Sends a Prepare; returns {type: 'fulfill'|'reject', ...fields}.
async function sendPrepare (plugin, opts, ms = 10000) {
  const reply = await withTimeout(plugin.sendData(prepare(opts)), ms, 'sendData')
  return decodeReply(reply)
}

function decodeReply (buf) {
  if (!buf || !buf.length) return { type: 'empty' }
  if (buf[0] === IlpPacket.Type.TYPE_ILP_FULFILL) {
    return Object.assign({ type: 'fulfill' }, IlpPacket.deserializeIlpFulfill(buf))
  }
  if (buf[0] === IlpPacket.Type.TYPE_ILP_REJECT) {
    return Object.assign({ type: 'reject' }, IlpPacket.deserializeIlpReject(buf))
  }
  return { type: 'other', raw: buf }
}

function describe (r) {
  if (r.type === 'reject') {
    return 'reject ' + r.code + ' by ' + JSON.stringify(r.triggeredBy) + ' ' + JSON.stringify(r.message)
  }
  if (r.type === 'fulfill') return 'fulfill ' + r.fulfillment.toString('hex').slice(0, 16) + '...'
  return r.type
}

module.exports = {
  Runner,
  Child,
  withTimeout,
  sleep,
  freePorts,
  waitPort,
  tmpDir,
  cleanTmpDirs,
  ilpdIni,
  startIlpd,
  restartIlpd,
  ilpdRuns,
  httpGet,
  health,
  ilpdBalance,
  waitPeerUp,
  btpClient,
  newCondition,
  prepare,
  sendPrepare,
  decodeReply,
  describe,
  IlpPacket,
  BtpPlugin
}
