'use strict'
// js_send.js - the JavaScript sender of tests/apps/deliver.sh: an
// ilp-plugin-btp client (tests/interop's pinned node_modules, via
// NODE_PATH) that sends Prepares with condition = SHA-256(SHA-256(data))
// through ilpd to a business-logic server (bls.js / bls.py) and checks
// every answer.
//
//   node js_send.js BTP_PORT USERNAME TOKEN PREFIX
//
// PREFIX is the server's address space (test.b): PREFIX.echo must be
// fulfilled with fulfillment SHA-256(data) and the data echoed back,
// PREFIX.reject-invalid_amount must be rejected F03 (message "bls says
// invalid_amount", triggeredBy the delivering ilpd), and a Prepare with
// another condition F05. Prints PASS/FAIL lines and "N passed, N failed".

const crypto = require('crypto')
const IlpPacket = require('ilp-packet')
const BtpPlugin = require('ilp-plugin-btp')

const [port, username, token, prefix] = process.argv.slice(2)
let passed = 0
let failed = 0

function check (name, ok, detail) {
  if (ok) passed++
  else failed++
  console.log((ok ? 'PASS: ' : 'FAIL: ') + 'js sender: ' + name + (detail ? ' (' + detail + ')' : ''))
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest()

function withTimeout (p, ms, what) {
  let t
  return Promise.race([p, new Promise((resolve, reject) => {
    t = setTimeout(() => reject(new Error(what + ' timed out after ' + ms + ' ms')), ms)
  })]).finally(() => clearTimeout(t))
}

async function send (plugin, destination, data, condition) {
  const reply = await withTimeout(plugin.sendData(IlpPacket.serializeIlpPrepare({
    amount: '7',
    executionCondition: condition || sha256(sha256(data)),
    expiresAt: new Date(Date.now() + 20000),
    destination,
    data
  })), 25000, 'sendData to ' + destination)
  if (reply[0] === IlpPacket.Type.TYPE_ILP_FULFILL) {
    return Object.assign({ type: 'fulfill' }, IlpPacket.deserializeIlpFulfill(reply))
  }
  if (reply[0] === IlpPacket.Type.TYPE_ILP_REJECT) {
    return Object.assign({ type: 'reject' }, IlpPacket.deserializeIlpReject(reply))
  }
  return { type: 'other' }
}

async function main () {
  const plugin = new BtpPlugin({
    server: 'btp+ws://' + encodeURIComponent(username) + ':' + encodeURIComponent(token) +
      '@127.0.0.1:' + port
  })
  await withTimeout(plugin.connect(), 10000, 'BTP connect')
  try {
    for (let i = 0; i < 5; i++) {
      const data = crypto.randomBytes(100 + i * 1000)
      const r = await send(plugin, prefix + '.echo', data)
      check('echo #' + i + ' fulfilled', r.type === 'fulfill', r.type === 'reject' ? r.code + ' ' + r.message : r.type)
      if (r.type === 'fulfill') {
        check('echo #' + i + ' fulfillment = SHA-256(data)', r.fulfillment.equals(sha256(data)))
        check('echo #' + i + ' data echoed (' + data.length + ' bytes)', r.data.equals(data))
      }
    }
    let r = await send(plugin, prefix + '.reject-invalid_amount', Buffer.from('x'))
    check('reject-invalid_amount -> F03', r.type === 'reject' && r.code === 'F03',
      r.type === 'reject' ? r.code + ' ' + JSON.stringify(r.message) : r.type)
    if (r.type === 'reject') {
      check('reject message passed on', String(r.message) === 'bls says invalid_amount', JSON.stringify(String(r.message)))
      check('reject triggeredBy the delivering ilpd', r.triggeredBy === prefix, r.triggeredBy)
    }
    r = await send(plugin, prefix + '.accept', Buffer.from('y'), crypto.randomBytes(32))
    check('another condition -> F05 (no request)', r.type === 'reject' && r.code === 'F05',
      r.type === 'reject' ? r.code : r.type)
  } catch (e) {
    check('no exception', false, e.message)
  }
  await plugin.disconnect().catch(() => {})
  console.log(passed + ' passed, ' + failed + ' failed')
  process.exit(failed ? 1 : 0)
}

main().catch((e) => {
  console.log('FAIL: js sender: ' + e.message)
  console.log(passed + ' passed, ' + (failed + 1) + ' failed')
  process.exit(1)
})
