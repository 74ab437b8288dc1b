'use strict'
// The soak's JavaScript sender: a raw BTP client (ws + btp-packet +
// ilp-packet, pinned in tests/interop) that counts answers PER REQUEST ID,
// so a Prepare answered twice, an answer for an id never sent, or a
// Prepare never answered is seen (ilp-plugin-btp would hide the first two).
//
//   node js-sender.js --url ws://127.0.0.1:P --user U --token T --to ADDR
//                     [--amount A] [--window W] [--rate PPS] [--expiry-ms MS]
//
// Sends Prepares paced at --rate with at most --window in flight, with the
// ilpctl-sink-v1 preimage scheme (docs/ilpctl.md), so any receiver of the
// soak can fulfill them. On SIGTERM it stops sending, waits for the
// outstanding answers (at most expiry + 5 s: the connector must have
// answered by then) and prints one line `SUMMARY {json}`; exit 0.
// Anomalies are printed at once as `ANOMALY ...` lines, so they survive a
// kill -9, and so is `progress sent=N` before every 50th Prepare (the
// driver's bound on a killed run). If the connection closes first it prints the summary with
// closedEarly and exits 3.
const crypto = require('crypto')
const path = require('path')
const req = require('module').createRequire(path.join(__dirname, '../interop/lib.js'))
const WebSocket = req('ws')
const Btp = req('btp-packet')
const IlpPacket = req('ilp-packet')

const o = { amount: 1, window: 4, rate: 50, 'expiry-ms': 8000 }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1]
for (const k of ['amount', 'window', 'rate', 'expiry-ms']) o[k] = Number(o[k])

const runId = crypto.randomBytes(8)
const st = { sent: 0, fulfilled: 0, rejected: 0, codes: {}, duplicates: 0, strays: 0, badFulfill: 0, btpErrors: 0, closedEarly: false }
const inflight = new Map() // id -> expected fulfillment
const answered = new Set()
let nextId = 1000
let ready = false
let stopping = false
let t0 = 0

const ws = new WebSocket(o.url)
ws.on('error', (e) => console.log('ws error: ' + e.message))

function scheme (seq) {
  const data = Buffer.alloc(32)
  runId.copy(data, 0)
  data.writeBigUInt64BE(BigInt(seq), 8)
  const ful = crypto.createHash('sha256').update(Buffer.concat([Buffer.from('ilpctl-sink-v1'), data])).digest()
  return { data, ful, cond: crypto.createHash('sha256').update(ful).digest() }
}

function sendOne () {
  const id = nextId++
  const s = scheme(st.sent)
  const pkt = IlpPacket.serializeIlpPrepare({
    amount: String(o.amount),
    executionCondition: s.cond,
    expiresAt: new Date(Date.now() + o['expiry-ms']),
    destination: o.to,
    data: s.data
  })
  inflight.set(id, s.ful)
  st.sent++
  if (st.sent % 50 === 1) console.log('progress sent=' + (st.sent - 1))
  ws.send(Btp.serializeMessage(id, [{ protocolName: 'ilp', contentType: Btp.MIME_APPLICATION_OCTET_STREAM, data: pkt }]))
}

function pump () {
  if (!ready || stopping) return
  const due = Math.floor((Date.now() - t0) / 1000 * o.rate)
  while (st.sent < due && inflight.size < o.window) sendOne()
}

function onAnswer (p) {
  const id = p.requestId
  if (answered.has(id)) {
    st.duplicates++
    console.log('ANOMALY duplicate answer for request id ' + id)
    return
  }
  const ful = inflight.get(id)
  if (ful === undefined) {
    st.strays++
    console.log('ANOMALY answer for unknown request id ' + id)
    return
  }
  inflight.delete(id)
  answered.add(id)
  if (p.type === Btp.TYPE_ERROR) {
    st.btpErrors++
    console.log('ANOMALY BTP Error instead of an ILP answer: ' + p.data.code + ' ' + p.data.name)
    return
  }
  const ilp = (p.data.protocolData || []).find((x) => x.protocolName === 'ilp')
  const b = ilp && ilp.data
  if (b && b[0] === IlpPacket.Type.TYPE_ILP_FULFILL) {
    const f = IlpPacket.deserializeIlpFulfill(b)
    if (f.fulfillment.equals(ful)) st.fulfilled++
    else { st.badFulfill++; console.log('ANOMALY wrong fulfillment for id ' + id) }
  } else if (b && b[0] === IlpPacket.Type.TYPE_ILP_REJECT) {
    const r = IlpPacket.deserializeIlpReject(b)
    st.rejected++
    st.codes[r.code] = (st.codes[r.code] || 0) + 1
  } else {
    st.badFulfill++
    console.log('ANOMALY undecodable answer for id ' + id)
  }
}

function summary (code) {
  const s = Object.assign({}, st, { unanswered: inflight.size })
  console.log('SUMMARY ' + JSON.stringify(s))
  try { ws.close() } catch (e) {}
  setTimeout(() => process.exit(code), 200)
}

ws.on('open', () => {
  ws.send(Btp.serializeMessage(1, [
    { protocolName: 'auth', contentType: Btp.MIME_APPLICATION_OCTET_STREAM, data: Buffer.alloc(0) },
    { protocolName: 'auth_username', contentType: Btp.MIME_TEXT_PLAIN_UTF8, data: Buffer.from(o.user) },
    { protocolName: 'auth_token', contentType: Btp.MIME_TEXT_PLAIN_UTF8, data: Buffer.from(o.token) }
  ]))
})

ws.on('message', (m) => {
  let p
  try { p = Btp.deserialize(m) } catch (e) { console.log('ANOMALY undecodable BTP frame'); st.badFulfill++; return }
  if (p.type === Btp.TYPE_MESSAGE || p.type === Btp.TYPE_TRANSFER) {
    ws.send(Btp.serializeError({ code: 'F00', name: 'NotAcceptedError', triggeredAt: new Date(), data: 'js-sender takes no requests' }, p.requestId, []))
    return
  }
  if (p.requestId === 1 && !ready) {
    if (p.type !== Btp.TYPE_RESPONSE) { console.log('auth refused'); process.exit(1) }
    ready = true
    t0 = Date.now()
    console.log('ready')
    return
  }
  onAnswer(p)
  if (stopping && inflight.size === 0) summary(0)
})

ws.on('close', () => {
  if (stopping) return
  st.closedEarly = true
  console.log('connection closed')
  summary(3)
})

setInterval(pump, 20)

process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  if (inflight.size === 0) return summary(0)
  setTimeout(() => summary(0), o['expiry-ms'] + 5000)
})
