'use strict'
// bls.js - a test business-logic server for ilpd's local delivery (the
// `POST /handle-packet` contract, docs/applications.md), Node.js standard
// library only. tests/apps/bls.py behaves the same in Python.
//
//   node bls.js PORT [SLOW_MS]      prints "listening port=PORT" when ready
//
// The last segment of the destination picks the answer:
//   accept (and anything unknown)  {"accept":true,"data":base64("bls accept")}
//   echo                           accept with the request's data
//   reject-REASON                  {"accept":false,"rejectReason":{"code":REASON,
//                                   "message":"bls says REASON"}}
//   slow                           accept after SLOW_MS (default 5000)
//   garbage                        200 with a body that is not JSON
//   wrongtypes                     {"accept":"yes","data":5}
//   huge                           accept with 40,000 bytes of data (53 KB body)
//   toolong                        accept with 32,768 bytes (one over the limit)
//   big                            accept with 32,767 bytes (the limit)
//   err500                         status 500
//   close                          the connection is closed without an answer
// Every request is checked against the contract (paymentId base64url of
// 16 bytes, destination, amount a decimal string, expiresAt ISO 8601 with
// ms, data base64, isTransit boolean); GET /stats returns the counts:
// {"requests", "transit", "bad", "badWhy", "connections", "last"} (bad:
// requests that broke it; connections: TCP connections that carried a POST /handle-packet, fewer
// than requests when ilpd keeps them alive; last: the last request body). isTransit requests are answered accept and
// counted in transit.

const http = require('http')

const port = +process.argv[2]
const slowMs = +(process.argv[3] || 5000)
if (!(port > 0 && port < 65536)) {
  console.error('usage: node bls.js PORT [SLOW_MS]')
  process.exit(2)
}

const stats = { requests: 0, transit: 0, bad: 0, badWhy: '', connections: 0, last: null }

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const B64URL16 = /^[A-Za-z0-9_-]{21}[AQgw]$/
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

// The reason a request body breaks the contract, or ''.
function check (b) {
  if (typeof b !== 'object' || b === null) return 'not an object'
  if (typeof b.paymentId !== 'string' || !B64URL16.test(b.paymentId)) return 'paymentId'
  if (typeof b.destination !== 'string' || !/^[a-z0-9]+(\.[A-Za-z0-9_~-]+)+$/.test(b.destination)) return 'destination'
  if (typeof b.amount !== 'string' || !/^(0|[1-9][0-9]*)$/.test(b.amount)) return 'amount'
  if (typeof b.expiresAt !== 'string' || !ISO.test(b.expiresAt) ||
      new Date(b.expiresAt).toISOString() !== b.expiresAt) return 'expiresAt'
  if (typeof b.data !== 'string' || !B64.test(b.data)) return 'data'
  if (typeof b.isTransit !== 'boolean') return 'isTransit'
  return ''
}

function json (res, status, obj) {
  const body = Buffer.from(JSON.stringify(obj))
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length })
  res.end(body)
}

function accept (res, data) {
  json(res, 200, { accept: true, data: data.toString('base64') })
}

function handle (req, res, raw) {
  let b
  try {
    b = JSON.parse(raw.toString('utf8'))
  } catch (e) {
    b = null
  }
  stats.requests++
  stats.last = b
  const why = check(b)
  if (why) {
    stats.bad++
    stats.badWhy = why
    json(res, 400, { error: 'bad request: ' + why })
    return
  }
  if (b.isTransit) {
    stats.transit++
    json(res, 200, { accept: true })
    return
  }
  const mode = b.destination.split('.').pop()
  if (mode.startsWith('reject-')) {
    const reason = mode.slice(7)
    json(res, 200, { accept: false, rejectReason: { code: reason, message: 'bls says ' + reason } })
    return
  }
  switch (mode) {
    case 'echo': return accept(res, Buffer.from(b.data, 'base64'))
    case 'slow': setTimeout(() => accept(res, Buffer.from('bls slow')), slowMs); return
    case 'garbage':
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 12 })
      res.end('{"accept":tr')
      return
    case 'wrongtypes': return json(res, 200, { accept: 'yes', data: 5 })
    case 'huge': return accept(res, Buffer.alloc(40000, 0x61))
    case 'toolong': return accept(res, Buffer.alloc(32768, 0x62))
    case 'big': return accept(res, Buffer.alloc(32767, 0x63))
    case 'err500': return json(res, 500, { error: 'bls internal error' })
    case 'close': req.socket.destroy(); return
    default: return accept(res, Buffer.from('bls accept'))
  }
}

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/stats') {
      json(res, 200, stats)
    } else if (req.method === 'POST' && req.url === '/handle-packet') {
      if (!req.socket.blsCounted) { // connections that carried ilpd's requests
        req.socket.blsCounted = true
        stats.connections++
      }
      handle(req, res, Buffer.concat(chunks))
    } else {
      json(res, 404, { error: 'not found' })
    }
  })
})
server.keepAliveTimeout = 30000
server.listen(port, '127.0.0.1', () => console.log('listening port=' + port))
process.on('SIGTERM', () => process.exit(0))
