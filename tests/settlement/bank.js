'use strict'
// The toy ledger the settlement test settles on: a small HTTP "bank" in
// Node's standard library. Accounts hold integer balances (decimal strings,
// BigInt inside, never negative); transfers move units between two accounts
// and are idempotent by their id. Every change is written to a JSON file
// (write to FILE.tmp, then rename) before the answer goes out, so a bank
// restarted on the same file carries on where it was.
//
//   node bank.js --port PORT --file FILE
//
// API (JSON bodies, loopback only):
//   POST /accounts {"id", "balance"}     201 new (balance = opening deposit),
//                                        200 exists (unchanged)
//   GET  /accounts/:id                   200 {"id", "balance"}; 404
//   POST /transfers {"id", "from", "to", "amount"}
//                                        201 {"transfer": {...}}; 200 the same
//                                        transfer again (same id and fields);
//                                        409 id reused with other fields or
//                                        not enough money; 404 an unknown
//                                        account; 400 a bad field
//   GET  /transfers?account=ID&after=SEQ 200 {"transfers": [...]}: those from
//                                        or to ID with seq > SEQ, in order
//   GET  /totals                         200 {"accounts", "total", "transfers",
//                                        "moved", "balances"}
// A transfer is {"seq", "id", "from", "to", "amount", "at"}.

const fs = require('fs')
const http = require('http')

function arg (name, dflt) {
  const i = process.argv.indexOf('--' + name)
  if (i < 0 || i + 1 >= process.argv.length) {
    if (dflt !== undefined) return dflt
    console.error('bank.js: --' + name + ' is required')
    process.exit(2)
  }
  return process.argv[i + 1]
}

const port = +arg('port')
const file = arg('file')
const SAFE = /^[A-Za-z0-9_.~-]{1,64}$/
const AMOUNT = /^(0|[1-9][0-9]{0,30})$/

let state = { accounts: {}, transfers: [], nextSeq: 1 }
if (fs.existsSync(file)) {
  state = JSON.parse(fs.readFileSync(file, 'utf8'))
}

function save () {
  fs.writeFileSync(file + '.tmp', JSON.stringify(state, null, 1))
  fs.renameSync(file + '.tmp', file)
}

function send (res, status, obj) {
  const body = JSON.stringify(obj)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function totals () {
  let total = 0n
  let moved = 0n
  const balances = {}
  for (const [id, a] of Object.entries(state.accounts)) {
    total += BigInt(a.balance)
    balances[id] = a.balance
  }
  for (const t of state.transfers) moved += BigInt(t.amount)
  return {
    accounts: Object.keys(state.accounts).length,
    total: total.toString(),
    transfers: state.transfers.length,
    moved: moved.toString(),
    balances
  }
}

function transfer (b) {
  if (!b || typeof b !== 'object') return [400, { error: 'body must be a JSON object' }]
  for (const k of ['id', 'from', 'to']) {
    if (typeof b[k] !== 'string' || !SAFE.test(b[k])) return [400, { error: 'bad ' + k }]
  }
  if (typeof b.amount !== 'string' || !AMOUNT.test(b.amount) || b.amount === '0') {
    return [400, { error: 'amount must be a positive integer string' }]
  }
  const old = state.transfers.find((t) => t.id === b.id)
  if (old) {
    if (old.from === b.from && old.to === b.to && old.amount === b.amount) return [200, { transfer: old }]
    return [409, { error: 'transfer id reused with other fields', transfer: old }]
  }
  const from = state.accounts[b.from]
  const to = state.accounts[b.to]
  if (!from) return [404, { error: 'no account ' + b.from }]
  if (!to) return [404, { error: 'no account ' + b.to }]
  if (b.from === b.to) return [400, { error: 'from and to are the same account' }]
  const amount = BigInt(b.amount)
  if (BigInt(from.balance) < amount) return [409, { error: 'insufficient funds' }]
  from.balance = (BigInt(from.balance) - amount).toString()
  to.balance = (BigInt(to.balance) + amount).toString()
  const t = { seq: state.nextSeq++, id: b.id, from: b.from, to: b.to, amount: b.amount, at: new Date().toISOString() }
  state.transfers.push(t)
  save()
  return [201, { transfer: t }]
}

function route (req, body) {
  const u = new URL(req.url, 'http://bank')
  const parts = u.pathname.split('/').filter((x) => x)
  let j = null
  if (req.method === 'POST') {
    try {
      j = JSON.parse(body.toString('utf8'))
    } catch (e) {
      return [400, { error: 'malformed JSON' }]
    }
  }
  if (req.method === 'POST' && u.pathname === '/accounts') {
    if (!j || typeof j.id !== 'string' || !SAFE.test(j.id)) return [400, { error: 'bad id' }]
    const bal = j.balance === undefined ? '0' : j.balance
    if (typeof bal !== 'string' || !AMOUNT.test(bal)) return [400, { error: 'bad balance' }]
    if (state.accounts[j.id]) return [200, { id: j.id, balance: state.accounts[j.id].balance }]
    state.accounts[j.id] = { balance: bal }
    save()
    return [201, { id: j.id, balance: bal }]
  }
  if (req.method === 'GET' && parts.length === 2 && parts[0] === 'accounts') {
    const a = state.accounts[parts[1]]
    return a ? [200, { id: parts[1], balance: a.balance }] : [404, { error: 'no such account' }]
  }
  if (req.method === 'POST' && u.pathname === '/transfers') return transfer(j)
  if (req.method === 'GET' && u.pathname === '/transfers') {
    const acct = u.searchParams.get('account')
    const after = +(u.searchParams.get('after') || 0)
    const list = state.transfers.filter((t) => t.seq > after && (!acct || t.from === acct || t.to === acct))
    return [200, { transfers: list }]
  }
  if (req.method === 'GET' && u.pathname === '/totals') return [200, totals()]
  return [404, { error: 'no such endpoint: ' + req.method + ' ' + u.pathname }]
}

const server = http.createServer((req, res) => {
  const chunks = []
  let size = 0
  req.on('data', (c) => {
    size += c.length
    if (size > 65536) {
      send(res, 413, { error: 'body too large' })
      req.destroy()
      return
    }
    chunks.push(c)
  })
  req.on('end', () => {
    if (res.writableEnded) return
    let r
    try {
      r = route(req, Buffer.concat(chunks))
    } catch (e) {
      r = [500, { error: String(e && e.message) }]
    }
    send(res, r[0], r[1])
  })
})
server.listen(port, '127.0.0.1', () => console.log('bank listening port=' + port + ' file=' + file))
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)))
