'use strict'
// Issue 3, interop 2: ilp-protocol-stream (2.7.2-alpha.3; 2.7.1 breaks on
// Node 20) pays 1,000,000 units through ilpd. Sender and receiver are
// ilp-plugin-btp children of ilpd in the same asset (XRP, scale 9); the
// sender's peer has max_packet_amount 1000, so STREAM must learn it from
// F08 and split the payment. The receiver must get exactly the amount sent.

const IlpStream = require('ilp-protocol-stream')
const lib = require('./lib')

const ADDR = 'test.ilpd'
const AMOUNT = 1000000
const MAX_PACKET = 1000

module.exports = async function streamSuite (t, ilpdPath) {
  const dir = lib.tmpDir('stream')
  const ilpd = await lib.startIlpd(ilpdPath, dir, {
    node: { address: ADDR, asset_code: 'XRP', asset_scale: 9 },
    peers: {
      sender: { relation: 'child', token: 'sender-secret', max_packet_amount: MAX_PACKET },
      receiver: { relation: 'child', token: 'receiver-secret' }
    }
  })
  const plugins = []
  let server = null
  let conn = null
  try {
    const receiverPlugin = await lib.btpClient(ilpd.btpPort, 'receiver', 'receiver-secret')
    plugins.push(receiverPlugin)
    const senderPlugin = await lib.btpClient(ilpd.btpPort, 'sender', 'sender-secret')
    plugins.push(senderPlugin)

    // Count what the sender's STREAM puts on the wire and what comes back.
    const counts = { prepares: 0, fulfilled: 0, rejected: {}, fulfilledAmount: 0n, largest: 0n }
    const sendData = senderPlugin.sendData.bind(senderPlugin)
    senderPlugin.sendData = async (buf) => {
      counts.prepares++
      const amount = lib.IlpPacket.deserializeIlpPrepare(buf).amount
      const reply = await sendData(buf)
      const r = lib.decodeReply(reply)
      if (r.type === 'fulfill') {
        counts.fulfilled++
        counts.fulfilledAmount += BigInt(amount)
        if (BigInt(amount) > counts.largest) counts.largest = BigInt(amount)
      } else if (r.type === 'reject') {
        counts.rejected[r.code] = (counts.rejected[r.code] || 0) + 1
      }
      return reply
    }

    server = await lib.withTimeout(IlpStream.createServer({ plugin: receiverPlugin }), 10000,
      'STREAM createServer')
    t.eq('stream: receiver learned its address by IL-DCP', server.generateAddressAndSecret()
      .destinationAccount.split('.').slice(0, 3).join('.'), ADDR + '.receiver')
    let receiverStream = null
    let receiverConn = null
    server.on('connection', (c) => {
      receiverConn = c
      c.on('stream', (s) => {
        receiverStream = s
        s.setReceiveMax(Number.MAX_SAFE_INTEGER)
        s.on('money', () => {})
      })
    })

    const { destinationAccount, sharedSecret } = server.generateAddressAndSecret()
    conn = await lib.withTimeout(IlpStream.createConnection({
      plugin: senderPlugin, destinationAccount, sharedSecret
    }), 15000, 'STREAM createConnection')
    const stream = conn.createStream()
    const t0 = Date.now()
    await lib.withTimeout(stream.sendTotal(AMOUNT, { timeout: 60000 }), 65000, 'sendTotal')
    const ms = Date.now() - t0
    // The receiver's bookkeeping may trail the sender's by one event turn.
    const end = Date.now() + 5000
    while ((!receiverStream || receiverStream.totalReceived !== String(AMOUNT)) && Date.now() < end) {
      await lib.sleep(20)
    }

    t.eq('stream: sender totalSent', stream.totalSent, AMOUNT)
    t.eq('stream: receiver stream totalReceived is exactly the amount sent',
      receiverStream ? receiverStream.totalReceived : 'no stream', AMOUNT)
    t.eq('stream: receiver connection totalReceived',
      receiverConn ? receiverConn.totalReceived : 'no connection', AMOUNT)
    t.eq('stream: fulfilled amount on the wire', counts.fulfilledAmount, AMOUNT)
    t.check('stream: no fulfilled packet above max_packet_amount',
      counts.largest <= BigInt(MAX_PACKET) && counts.fulfilled >= AMOUNT / MAX_PACKET,
      counts.fulfilled + ' packets fulfilled, largest ' + counts.largest)
    t.check('stream: STREAM learned the limit from F08', (counts.rejected.F08 || 0) >= 1,
      'rejects ' + JSON.stringify(counts.rejected))
    console.log('stream: paid ' + AMOUNT + ' in ' + ms + ' ms: ' + counts.prepares + ' prepares, ' +
      counts.fulfilled + ' fulfilled, rejects ' + JSON.stringify(counts.rejected))
    try {
      t.eq('stream: ilpd balance of sender', await lib.ilpdBalance(ilpd.adminPort, 'sender'), AMOUNT)
      t.eq('stream: ilpd balance of receiver', await lib.ilpdBalance(ilpd.adminPort, 'receiver'), -AMOUNT)
    } catch (e) {
      t.fail('stream: balances from /health', e.message)
    }
  } catch (e) {
    t.fail('stream: payment of ' + AMOUNT, e.stack || e.message)
  } finally {
    if (conn) await lib.withTimeout(conn.destroy(), 3000, 'close').catch(() => {})
    if (server) await lib.withTimeout(server.close(), 3000, 'close').catch(() => {})
    for (const p of plugins) await p.disconnect().catch(() => {})
    const st = await ilpd.stop()
    t.check('stream: ilpd exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
    if (t.failed) console.log(ilpd.tail(30))
  }
}
