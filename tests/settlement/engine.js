'use strict'
// A settlement engine (Interledger RFC 38) for the settlement test, built on
// the npm package ilp-settlement-core (pinned in package-lock.json) with its
// in-memory store, settling on the toy bank of bank.js. One runs beside each
// ilpd.
//
//   node engine.js (--port P | --unix PATH) --inner-port P2 --control-port P3
//                  --connector http://127.0.0.1:SETTLEMENT_LISTEN_PORT
//                  --bank http://127.0.0.1:BANK_PORT --bank-account NAME
//                  [--bank-scale 6] [--deposit UNITS] --state FILE
//
// What it does:
// - ilp-settlement-core's server (startServer) listens on --inner-port and
//   calls ilpd at --connector (credits: POST /accounts/:id/settlements;
//   messages to the peer's engine: POST /accounts/:id/messages).
// - A small proxy in front of it listens on --port (127.0.0.1), or with
//   --unix on a unix socket at PATH (settlement_engine = unix:PATH), the
//   address ilpd is configured with (settlement_engine). It records every
//   request ilpd makes, with the kind of socket it came over (via: "tcp"
//   or "unix"), and can be told to misbehave (the fault tests): see MODES.
// - Accounts: when ilpd sets up an account (POST /accounts), the engine asks
//   the peer's engine for its bank account through ilpd (a message, which
//   ilpd carries as a Prepare to peer.settle) and tells its own in the same
//   message; the reply carries the peer's. Retried until it succeeds.
// - Settling: the framework calls settle(account, amount) after ilpd's
//   POST /accounts/:id/settlements; the engine pays the peer's bank account
//   floor(amount x 10^bank_scale) units (the rest stays queued in the
//   framework as leftover) and returns what it paid. Without the peer's
//   bank account yet it pays nothing and tries again in a second.
// - Receiving: it polls the bank for transfers to its own account and
//   credits each to ilpd (framework creditSettlement) with the bank's
//   transfer id as the Idempotency-Key; a transfer from an unknown bank
//   account waits until the exchange has named it.
// - Its own state (accounts, the peers' bank accounts, the poll cursor) is
//   in --state (JSON), and the accounts are put back into the framework's
//   in-memory store at start, so a restarted engine knows its accounts. The
//   framework's queued amounts and idempotency keys are in memory only.
//
// MODES (control port, POST /mode {"mode": M}):
//   normal        requests go to the framework
//   down          the --port listener is closed (connection refused) and
//                 its open connections dropped; any other mode reopens it
//   5xx           every request from ilpd gets 503 and a text body
//   4xx           settlement requests get 422 (a refusal); others go on
//   garbage-body  every request gets 201 with a body that is not JSON
//   garbage-http  every request gets bytes that are not HTTP, then close
//   hold          settlement requests go to the framework at once (the
//                 bank transfer happens) but the answer to ilpd is held
//                 until POST /release or another mode
// Control API (127.0.0.1:--control-port): POST /mode, POST /release,
// POST /exchange {"account"} (one hello exchange now; answers its outcome),
// GET /state (mode, accounts, requests seen, held answers, settlements,
// transfers sent, credits made and ilpd's answers to them, messages).

const fs = require('fs')
const http = require('http')

function arg (name, dflt) {
  const i = process.argv.indexOf('--' + name)
  if (i < 0 || i + 1 >= process.argv.length) {
    if (dflt !== undefined) return dflt
    console.error('engine.js: --' + name + ' is required')
    process.exit(2)
  }
  return process.argv[i + 1]
}

const cfg = {
  unixPath: arg('unix', ''),
  port: process.argv.includes('--unix') ? 0 : +arg('port'),
  innerPort: +arg('inner-port'),
  controlPort: +arg('control-port'),
  connector: arg('connector'),
  bank: arg('bank'),
  bankAccount: arg('bank-account'),
  bankScale: +arg('bank-scale', '6'),
  deposit: arg('deposit', '1000000000000'),
  stateFile: arg('state')
}

// ilp-settlement-core's startServer calls app.listen(port), which binds
// every interface; the test keeps to 127.0.0.1, so a listen(port) without
// a host binds the loopback address.
const origListen = http.Server.prototype.listen
http.Server.prototype.listen = function (...a) {
  if (a.length === 1 && typeof a[0] === 'number') return origListen.call(this, a[0], '127.0.0.1')
  return origListen.apply(this, a)
}

const axios = require('axios')
const { BigNumber } = require('bignumber.js')
const { startServer, createMemoryStore } = require('ilp-settlement-core')

function log (ev, obj) {
  console.log(JSON.stringify(Object.assign({ t: new Date().toISOString(), ev }, obj || {})))
}

// ------------------------------------------------------------ own state

let state = { accounts: {}, cursor: 0, outSeq: 0 }
if (fs.existsSync(cfg.stateFile)) state = JSON.parse(fs.readFileSync(cfg.stateFile, 'utf8'))
function save () {
  fs.writeFileSync(cfg.stateFile + '.tmp', JSON.stringify(state, null, 1))
  fs.renameSync(cfg.stateFile + '.tmp', cfg.stateFile)
}

// What the test reads through GET /state
const seen = {
  requests: [], // every request ilpd made to --port
  settles: [], // framework settle() calls
  transfers: [], // bank transfers this engine made
  credits: [], // creditSettlement calls (incoming transfers)
  toConnector: [], // engine -> ilpd HTTP calls and their answers
  messagesIn: [], // messages from the peer's engine (via ilpd)
  messagesOut: [] // messages to the peer's engine and their replies
}
function keep (list, item) {
  list.push(item)
  if (list.length > 2000) list.shift()
}

// Every engine -> ilpd request the framework makes goes through axios.
const toIlpd = (c) => c && typeof c.url === 'string' && c.url.startsWith(cfg.connector)
axios.interceptors.response.use((res) => {
  if (!toIlpd(res.config)) return res
  keep(seen.toConnector, { method: res.config.method, url: res.config.url, status: res.status, data: res.data })
  log('to-ilpd', { method: res.config.method, url: res.config.url, status: res.status, data: res.data })
  return res
}, (err) => {
  const c = err.config || {}
  const r = err.response
  if (!toIlpd(c)) return Promise.reject(err)
  keep(seen.toConnector, { method: c.method, url: c.url, status: r ? r.status : 0, data: r ? r.data : null, error: err.message })
  log('to-ilpd', { method: c.method, url: c.url, status: r ? r.status : 0, data: r ? r.data : null, error: err.message })
  return Promise.reject(err)
})

// ------------------------------------------------------------ bank client

function bankCall (method, path, body) {
  return axios({ method, url: cfg.bank + path, data: body, timeout: 5000, validateStatus: () => true })
}

// ------------------------------------------------------------ the engine

let services = null

async function exchange (accountId) {
  const reply = await services.sendMessage(accountId, { type: 'hello', bankAccount: cfg.bankAccount })
  keep(seen.messagesOut, { account: accountId, sent: 'hello', reply })
  log('message-out', { account: accountId, reply })
  if (!reply || reply.type !== 'hello' || typeof reply.bankAccount !== 'string') {
    throw new Error('bad hello reply: ' + JSON.stringify(reply))
  }
  const a = state.accounts[accountId]
  if (a) {
    a.peerBank = reply.bankAccount
    save()
  }
  return reply
}

// The exchange in the background, retried (0.5 s, 1 s, ... up to 5 s apart)
// until it succeeds or the account is gone.
const exchanging = new Set()
function exchangeSoon (accountId) {
  if (exchanging.has(accountId)) return
  exchanging.add(accountId)
  let delay = 500
  const attempt = () => {
    if (!state.accounts[accountId] || state.accounts[accountId].peerBank) {
      exchanging.delete(accountId)
      return
    }
    exchange(accountId).then(() => exchanging.delete(accountId), (e) => {
      log('exchange-failed', { account: accountId, error: e.message })
      setTimeout(attempt, delay)
      delay = Math.min(delay * 2, 5000)
    })
  }
  setImmediate(attempt)
}

const connectEngine = async (svc) => {
  services = svc
  return {
    async setupAccount (accountId) {
      if (!state.accounts[accountId]) state.accounts[accountId] = { peerBank: null }
      save()
      log('account-setup', { account: accountId })
      exchangeSoon(accountId)
    },

    async settle (accountId, amount) {
      const a = state.accounts[accountId]
      const units = amount.shiftedBy(cfg.bankScale).integerValue(BigNumber.ROUND_DOWN)
      const rec = { account: accountId, amount: amount.toFixed(), units: units.toFixed(), paid: '0' }
      keep(seen.settles, rec)
      if (!a || !a.peerBank) {
        log('settle-deferred', { account: accountId, amount: amount.toFixed(), why: 'peer bank account unknown' })
        if (a) exchangeSoon(accountId)
        setTimeout(() => services.trySettlement(accountId), 1000)
        return new BigNumber(0)
      }
      if (units.isZero()) return new BigNumber(0)
      state.outSeq++
      save()
      const id = cfg.bankAccount + '-' + state.outSeq + '-' + Math.floor(Math.random() * 0xffff).toString(16)
      const body = { id, from: cfg.bankAccount, to: a.peerBank, amount: units.toFixed() }
      for (let i = 0; i < 5; i++) {
        let r
        try {
          r = await bankCall('POST', '/transfers', body)
        } catch (e) {
          r = { status: 0, data: e.message }
        }
        if (r.status === 200 || r.status === 201) {
          rec.paid = units.toFixed()
          keep(seen.transfers, body)
          log('transfer', body)
          return units.shiftedBy(-cfg.bankScale)
        }
        log('transfer-failed', { body, status: r.status, data: r.data })
        if (r.status >= 400 && r.status < 500) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      setTimeout(() => services.trySettlement(accountId), 1000)
      return new BigNumber(0)
    },

    async handleMessage (accountId, message) {
      keep(seen.messagesIn, { account: accountId, message })
      log('message-in', { account: accountId, message })
      if (message && message.type === 'hello' && typeof message.bankAccount === 'string') {
        const a = state.accounts[accountId]
        if (a && a.peerBank !== message.bankAccount) {
          a.peerBank = message.bankAccount
          save()
        }
        return { type: 'hello', bankAccount: cfg.bankAccount }
      }
      if (message && message.type === 'ping') return { type: 'pong', n: message.n, from: cfg.bankAccount }
      throw new Error('unknown message')
    },

    async closeAccount (accountId) {
      delete state.accounts[accountId]
      save()
      log('account-closed', { account: accountId })
    }
  }
}

// Incoming settlements: transfers to our bank account, credited to ilpd.
let polling = false
async function poll () {
  if (polling || !services) return
  polling = true
  try {
    const r = await bankCall('GET', '/transfers?account=' + cfg.bankAccount + '&after=' + state.cursor)
    if (r.status !== 200) return
    for (const t of r.data.transfers) {
      if (t.to === cfg.bankAccount) {
        const acct = Object.keys(state.accounts).find((k) => state.accounts[k].peerBank === t.from)
        if (!acct) break // not named by an exchange yet: try again later
        const amount = new BigNumber(t.amount).shiftedBy(-cfg.bankScale)
        keep(seen.credits, { account: acct, amount: amount.toFixed(), transfer: t.id })
        log('credit', { account: acct, amount: amount.toFixed(), transfer: t.id })
        services.creditSettlement(acct, amount, t.id)
      }
      state.cursor = t.seq
      save()
    }
  } catch (e) {
    log('poll-failed', { error: e.message })
  } finally {
    polling = false
  }
}

// ------------------------------------------------------------ the proxy

let mode = 'normal'
const held = []
const innerAgent = new http.Agent({ keepAlive: true })

function releaseHeld () {
  while (held.length) {
    const h = held.shift()
    if (h.res.destroyed || h.res.socket === null) {
      log('held-answer-lost', { path: h.path })
      continue
    }
    h.res.writeHead(h.status, h.headers)
    h.res.end(h.body)
    log('held-answer-released', { path: h.path, status: h.status })
  }
}

function forward (req, body, res, hold) {
  const headers = Object.assign({}, req.headers)
  delete headers.connection
  headers.host = '127.0.0.1:' + cfg.innerPort
  const out = http.request({
    host: '127.0.0.1', port: cfg.innerPort, method: req.method, path: req.url, headers, agent: innerAgent, timeout: 15000
  }, (ir) => {
    const chunks = []
    ir.on('data', (c) => chunks.push(c))
    ir.on('end', () => {
      const b = Buffer.concat(chunks)
      const h = {}
      if (ir.headers['content-type']) h['Content-Type'] = ir.headers['content-type']
      h['Content-Length'] = b.length
      if (hold) {
        held.push({ res, status: ir.statusCode, headers: h, body: b, path: req.url })
        log('answer-held', { path: req.url, status: ir.statusCode })
        return
      }
      res.writeHead(ir.statusCode, h)
      res.end(b)
    })
  })
  out.on('timeout', () => out.destroy(new Error('framework did not answer in 15 s')))
  out.on('error', (e) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'Content-Type': 'text/plain' })
      res.end('engine proxy: ' + e.message)
    }
  })
  out.end(body)
}

const sockets = new Set()
const proxy = http.createServer((req, res) => {
  const chunks = []
  let size = 0
  req.on('data', (c) => {
    size += c.length
    if (size <= 1 << 20) chunks.push(c)
  })
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const entry = {
      at: Date.now(),
      method: req.method,
      path: req.url,
      key: req.headers['idempotency-key'] || null,
      contentType: req.headers['content-type'] || null,
      body: body.toString('utf8').slice(0, 1000),
      via: req.socket.remoteFamily ? 'tcp' : 'unix', // a unix socket has no address family
      mode
    }
    keep(seen.requests, entry)
    log('from-ilpd', entry)
    if (mode === '5xx') {
      res.writeHead(503, { 'Content-Type': 'text/plain' })
      res.end('engine unavailable (test fault)')
      return
    }
    if (mode === '4xx' && /\/settlements$/.test(req.url.split('?')[0])) {
      res.writeHead(422, { 'Content-Type': 'text/plain' })
      res.end('settlement refused (test fault)')
      return
    }
    if (mode === 'garbage-body') {
      res.writeHead(201, { 'Content-Type': 'application/json' })
      res.end('\u0000{"amount": garbage, ]]] not json')
      return
    }
    if (mode === 'garbage-http') {
      req.socket.end('SPLAT this is not HTTP at all\r\n\r\n\u0001\u0002\u0003')
      return
    }
    const hold = mode === 'hold' && req.method === 'POST' && /\/settlements$/.test(req.url.split('?')[0])
    forward(req, body, res, hold)
  })
})
proxy.keepAliveTimeout = 30000
proxy.on('connection', (s) => {
  sockets.add(s)
  s.on('close', () => sockets.delete(s))
})

function proxyListen () {
  return new Promise((resolve, reject) => {
    proxy.once('error', reject)
    const done = () => {
      proxy.removeListener('error', reject)
      resolve()
    }
    if (cfg.unixPath) {
      // a socket file left by an earlier listen (down mode, a restart)
      try { if (fs.lstatSync(cfg.unixPath).isSocket()) fs.unlinkSync(cfg.unixPath) } catch (e) {}
      proxy.listen(cfg.unixPath, done)
    } else {
      proxy.listen(cfg.port, '127.0.0.1', done)
    }
  })
}

async function setMode (m) {
  const was = mode
  mode = m
  if (was === 'hold' && m !== 'hold') releaseHeld()
  if (m === 'down' && was !== 'down') {
    await new Promise((resolve) => {
      proxy.close(() => resolve())
      for (const s of sockets) s.destroy()
    })
  } else if (m !== 'down' && was === 'down') {
    await proxyListen()
  }
  log('mode', { from: was, to: m })
}

// ------------------------------------------------------------ control

function controlServer () {
  return http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const reply = (status, obj) => {
        const b = JSON.stringify(obj)
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b) })
        res.end(b)
      }
      let j = {}
      try {
        if (chunks.length) j = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch (e) {
        return reply(400, { error: 'malformed JSON' })
      }
      try {
        if (req.method === 'GET' && req.url === '/state') {
          return reply(200, Object.assign({ mode, held: held.length, accounts: state.accounts, cursor: state.cursor }, seen))
        }
        if (req.method === 'POST' && req.url === '/mode') {
          const modes = ['normal', 'down', '5xx', '4xx', 'garbage-body', 'garbage-http', 'hold']
          if (!modes.includes(j.mode)) return reply(400, { error: 'mode is one of ' + modes.join(' ') })
          await setMode(j.mode)
          return reply(200, { mode })
        }
        if (req.method === 'POST' && req.url === '/release') {
          const n = held.length
          releaseHeld()
          return reply(200, { released: n })
        }
        if (req.method === 'POST' && req.url === '/exchange') {
          const r = await exchange(j.account)
          return reply(200, { reply: r })
        }
        if (req.method === 'POST' && req.url === '/ping') {
          const r = await services.sendMessage(j.account, { type: 'ping', n: j.n })
          keep(seen.messagesOut, { account: j.account, sent: 'ping', reply: r })
          return reply(200, { reply: r })
        }
        return reply(404, { error: 'no such control endpoint' })
      } catch (e) {
        return reply(502, { error: e.message, status: e.response ? e.response.status : 0, data: e.response ? String(e.response.data) : null })
      }
    })
  })
}

// ------------------------------------------------------------ start

async function main () {
  let ok = false
  for (let i = 0; i < 100 && !ok; i++) {
    try {
      const r = await bankCall('POST', '/accounts', { id: cfg.bankAccount, balance: cfg.deposit })
      ok = r.status === 200 || r.status === 201
    } catch (e) {}
    if (!ok) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (!ok) throw new Error('bank at ' + cfg.bank + ' did not open account ' + cfg.bankAccount)

  const store = createMemoryStore()
  for (const id of Object.keys(state.accounts)) await store.createAccount(id)
  await startServer(connectEngine, store, { connectorUrl: cfg.connector, port: cfg.innerPort })
  await proxyListen()
  await new Promise((resolve) => controlServer().listen(cfg.controlPort, '127.0.0.1', resolve))
  for (const id of Object.keys(state.accounts)) {
    if (!state.accounts[id].peerBank) exchangeSoon(id)
  }
  setInterval(poll, 150)
  log('ready', { port: cfg.port, unix: cfg.unixPath || null, innerPort: cfg.innerPort, controlPort: cfg.controlPort, bankAccount: cfg.bankAccount })
}

main().catch((e) => {
  log('fatal', { error: e.message })
  process.exit(1)
})
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
