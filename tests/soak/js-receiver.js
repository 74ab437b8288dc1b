'use strict'
// The soak's JavaScript receiver: an ilp-plugin-btp 1.5.0 client (pinned in
// tests/interop) that fulfills every Prepare following the ilpctl-sink-v1
// preimage scheme (docs/ilpctl.md) and rejects others with F06.
//
//   node js-receiver.js --server btp+ws://USER:TOKEN@127.0.0.1:PORT
//
// Prints "ready" once connected; on SIGTERM prints `SUMMARY {json}`
// (fulfilled, rejected) and exits 0.
const crypto = require('crypto')
const path = require('path')
const req = require('module').createRequire(path.join(__dirname, '../interop/lib.js'))
const BtpPlugin = req('ilp-plugin-btp')
const IlpPacket = req('ilp-packet')

const server = process.argv[process.argv.indexOf('--server') + 1]
const st = { fulfilled: 0, rejected: 0 }
const plugin = new BtpPlugin({ server })
const sha = (b) => crypto.createHash('sha256').update(b).digest()

plugin.registerDataHandler(async (buf) => {
  const p = IlpPacket.deserializeIlpPrepare(buf)
  const ful = sha(Buffer.concat([Buffer.from('ilpctl-sink-v1'), p.data]))
  if (sha(ful).equals(p.executionCondition)) {
    st.fulfilled++
    return IlpPacket.serializeIlpFulfill({ fulfillment: ful, data: Buffer.alloc(0) })
  }
  st.rejected++
  return IlpPacket.serializeIlpReject({ code: 'F06', triggeredBy: '', message: 'not the ilpctl-sink-v1 scheme', data: Buffer.alloc(0) })
})

plugin.connect().then(() => console.log('ready'), (e) => { console.log('connect failed: ' + e.message); process.exit(1) })

process.on('SIGTERM', () => {
  console.log('SUMMARY ' + JSON.stringify(st))
  plugin.disconnect().catch(() => {}).finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000)
})
