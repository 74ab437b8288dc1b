'use strict'
// Issue 3, interop 1: ilp-plugin-btp 1.5.0 clients as children of ilpd.
// Auth, IL-DCP, prepares fulfilled end to end, and each refusal with its
// code: F02 no route, F08 too large (with its data), R02 expiry too short,
// R00 already expired, F05 wrong fulfillment, T01 next hop down, a
// downstream reject relayed unchanged, and a wrong token refused at auth.

const crypto = require('crypto')
const net = require('net')
const WebSocket = require('ws')
const BtpPacket = require('btp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const lib = require('./lib')

const ADDR = 'test.ilpd'
const MAX_PACKET = 1000000

// A raw WebSocket auth attempt. Resolves to {frames, closed, code} once
// the server closed, or after the first frame if `stopOnFrame`, or after ms.
function rawAuth (port, token, ms, stopOnFrame) {
  return new Promise((resolve) => {
    const frames = []
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/')
    let done = false
    const finish = (closed, code) => {
      if (done) return
      done = true
      clearTimeout(timer)
      try { ws.terminate() } catch (e) {}
      resolve({ frames, closed, code })
    }
    const timer = setTimeout(() => finish(false, null), ms)
    ws.on('open', () => {
      ws.send(BtpPacket.serializeMessage(4242, [
        { protocolName: 'auth', contentType: BtpPacket.MIME_APPLICATION_OCTET_STREAM, data: Buffer.alloc(0) },
        { protocolName: 'auth_username', contentType: BtpPacket.MIME_TEXT_PLAIN_UTF8, data: Buffer.from('alice') },
        { protocolName: 'auth_token', contentType: BtpPacket.MIME_TEXT_PLAIN_UTF8, data: Buffer.from(token) }
      ]))
    })
    ws.on('message', (m) => {
      try { frames.push(BtpPacket.deserialize(m)) } catch (e) { frames.push({ undecodable: e.message }) }
      if (stopOnFrame) finish(false, null)
    })
    ws.on('close', (code) => finish(true, code))
    ws.on('error', () => finish(true, null))
  })
}

module.exports = async function btpSuite (t, ilpdPath) {
  const dir = lib.tmpDir('btp')
  const ilpd = await lib.startIlpd(ilpdPath, dir, {
    node: { address: ADDR, asset_code: 'XRP', asset_scale: 9 },
    peers: {
      alice: { relation: 'child', token: 'alice-secret', max_packet_amount: MAX_PACKET },
      bob: { relation: 'child', token: 'bob-secret' },
      carol: { relation: 'child', token: 'carol-secret' }
    }
  })
  const plugins = []
  try {
    await run(t, ilpd, plugins)
  } finally {
    for (const p of plugins) await p.disconnect().catch(() => {})
    // A client that connects and closes before sending anything must not
    // hold ilpd's connection slot (nor its shutdown) until auth_timeout_ms.
    await new Promise((resolve) => {
      const s = net.connect(ilpd.btpPort, '127.0.0.1', () => { s.destroy(); resolve() })
      s.on('error', resolve)
    })
    await lib.sleep(200)
    const st = await ilpd.stop()
    t.check('btp: ilpd exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
    t.check('btp: with nothing in flight ilpd exits within 2 s of SIGTERM, even after a client ' +
      'closed before the WebSocket upgrade', st.ms < 2000, 'took ' + st.ms + ' ms')
    if (t.failed) console.log(ilpd.tail(40))
  }
}

async function run (t, ilpd, plugins) {
  const port = ilpd.btpPort

  // --- auth
  let alice, bob
  try {
    alice = await lib.btpClient(port, 'alice', 'alice-secret')
    plugins.push(alice)
    bob = await lib.btpClient(port, 'bob', 'bob-secret')
    plugins.push(bob)
    t.pass('btp: ilp-plugin-btp clients authenticate (alice, bob)')
  } catch (e) {
    t.fail('btp: ilp-plugin-btp clients authenticate', e.message)
    return
  }
  try {
    await lib.waitPeerUp(ilpd.adminPort, 'alice', 5000)
    await lib.waitPeerUp(ilpd.adminPort, 'bob', 5000)
    t.pass('btp: /health shows alice and bob connected')
  } catch (e) {
    t.fail('btp: /health shows alice and bob connected', e.message)
  }

  // --- IL-DCP
  for (const [name, plugin] of [['alice', alice], ['bob', bob]]) {
    try {
      const info = await lib.withTimeout(ILDCP.fetch(plugin.sendData.bind(plugin)), 5000, 'IL-DCP')
      t.eq('btp: IL-DCP address for ' + name, info.clientAddress, ADDR + '.' + name)
      t.eq('btp: IL-DCP asset for ' + name, info.assetCode + '/' + info.assetScale, 'XRP/9')
    } catch (e) {
      t.fail('btp: IL-DCP for ' + name, e.message)
    }
  }

  // --- bob: the receiver. Fulfills with the preimage it was told about;
  // ".wrong" gets a wrong fulfillment, ".reject" a custom reject.
  const preimages = new Map()
  const seen = []
  const customReject = lib.IlpPacket.serializeIlpReject({
    code: 'F99',
    triggeredBy: ADDR + '.bob',
    message: 'custom reject from bob ✓',
    data: Buffer.from('0102030405', 'hex')
  })
  bob.registerDataHandler(async (buf) => {
    const p = lib.IlpPacket.deserializeIlpPrepare(buf)
    seen.push({ p, at: Date.now() })
    if (p.destination.endsWith('.wrong')) {
      return lib.IlpPacket.serializeIlpFulfill({ fulfillment: crypto.randomBytes(32), data: Buffer.alloc(0) })
    }
    if (p.destination.endsWith('.reject')) return customReject
    const f = preimages.get(p.executionCondition.toString('hex'))
    if (!f) {
      return lib.IlpPacket.serializeIlpReject({
        code: 'F06', triggeredBy: ADDR + '.bob', message: 'unknown condition', data: Buffer.alloc(0)
      })
    }
    return lib.IlpPacket.serializeIlpFulfill({ fulfillment: f, data: Buffer.from('thanks:' + p.amount) })
  })
  const pay = async (amount, destination, extra = {}) => {
    const c = lib.newCondition()
    preimages.set(c.condition.toString('hex'), c.fulfillment)
    const data = extra.data || crypto.randomBytes(32)
    const r = await lib.sendPrepare(alice, Object.assign({
      amount, condition: c.condition, destination, data
    }, extra))
    return { r, c, data }
  }

  let fulfilledTotal = 0n

  // --- one prepare end to end, with the forwarded fields checked
  {
    const expiresAt = new Date(Date.now() + 20000)
    const sentAt = Date.now()
    const { r, c, data } = await pay(1234, ADDR + '.bob.one', { expiresAt })
    const ok = r.type === 'fulfill' && r.fulfillment.equals(c.fulfillment)
    t.check('btp: prepare alice -> ilpd -> bob fulfilled', ok, lib.describe(r))
    if (ok) {
      fulfilledTotal += 1234n
      t.eq('btp: fulfill data relayed unchanged', r.data.toString(), 'thanks:1234')
    }
    const s = seen.find((x) => x.p.executionCondition.equals(c.condition))
    if (t.check('btp: bob received the forwarded prepare', !!s)) {
      t.eq('btp: forwarded amount (rate 1)', s.p.amount, '1234')
      t.eq('btp: forwarded destination', s.p.destination, ADDR + '.bob.one')
      t.check('btp: forwarded data unchanged', s.p.data.equals(data))
      const cut = expiresAt.getTime() - s.p.expiresAt.getTime()
      t.check('btp: forwarded expiry shortened by the message window (1000 ms)',
        cut >= 1000 && cut <= 1000 + (s.at - sentAt) + 50, 'shortened by ' + cut + ' ms')
    }
  }

  // --- many in parallel
  {
    const n = 500
    const results = await Promise.all(Array.from({ length: n }, (_, i) => pay(1 + i, ADDR + '.bob.many.' + i)))
    let good = 0
    results.forEach(({ r, c }, i) => {
      if (r.type === 'fulfill' && r.fulfillment.equals(c.fulfillment)) {
        good++
        fulfilledTotal += BigInt(1 + i)
      }
    })
    t.eq('btp: ' + n + ' concurrent prepares all fulfilled', good, n)
  }

  // --- refusals
  const expectReject = async (name, code, amount, destination, extra, checkMore) => {
    const { r } = await pay(amount, destination, extra)
    const ok = r.type === 'reject' && r.code === code
    t.check(name + ' -> ' + code, ok, lib.describe(r))
    if (ok && checkMore) checkMore(r)
    return r
  }
  await expectReject('btp: no route', 'F02', 10, 'test.nowhere.bob', {}, (r) =>
    t.eq('btp: F02 triggeredBy is ilpd', r.triggeredBy, ADDR))
  await expectReject('btp: no route (other scheme)', 'F02', 10, 'g.elsewhere.bob', {})
  await expectReject('btp: amount above max_packet_amount', 'F08', MAX_PACKET + 1, ADDR + '.bob.big', {}, (r) => {
    const want = Buffer.alloc(16)
    want.writeBigUInt64BE(BigInt(MAX_PACKET + 1), 0)
    want.writeBigUInt64BE(BigInt(MAX_PACKET), 8)
    t.eq('btp: F08 data = received/maximum', r.data.toString('hex'), want.toString('hex'))
    t.eq('btp: F08 triggeredBy is ilpd', r.triggeredBy, ADDR)
  })
  {
    // exactly the maximum passes (the limit is inclusive)
    const { r, c } = await pay(MAX_PACKET, ADDR + '.bob.max')
    const ok = r.type === 'fulfill' && r.fulfillment.equals(c.fulfillment)
    t.check('btp: amount == max_packet_amount fulfilled', ok, lib.describe(r))
    if (ok) fulfilledTotal += BigInt(MAX_PACKET)
  }
  await expectReject('btp: expiry too short (500 ms left)', 'R02', 10, ADDR + '.bob.short',
    { expiresAt: new Date(Date.now() + 500) })
  await expectReject('btp: already expired', 'R00', 10, ADDR + '.bob.late',
    { expiresAt: new Date(Date.now() - 1000) })
  await expectReject('btp: wrong fulfillment from bob', 'F05', 77, ADDR + '.bob.wrong', {}, (r) =>
    t.eq('btp: F05 triggeredBy is ilpd', r.triggeredBy, ADDR))
  await expectReject('btp: next hop not connected (carol)', 'T01', 10, ADDR + '.carol', {})
  {
    const { r } = await pay(55, ADDR + '.bob.reject')
    const raw = lib.IlpPacket.serializeIlpReject(r.type === 'reject' ? r : {
      code: 'XXX', triggeredBy: '', message: '', data: Buffer.alloc(0)
    })
    t.check('btp: reject from bob relayed byte for byte', raw.equals(customReject), lib.describe(r))
  }

  // --- wrong token
  {
    const bad = new lib.BtpPlugin({ server: 'btp+ws://alice:not-the-token@127.0.0.1:' + port })
    let outcome
    try {
      await lib.withTimeout(bad.connect(), 5000, 'connect')
      outcome = 'connected'
    } catch (e) {
      outcome = e.message
    }
    await bad.disconnect().catch(() => {})
    t.check('btp: ilp-plugin-btp with a wrong token is refused', outcome === 'connection aborted', outcome)

    const raw = await rawAuth(port, 'not-the-token', 5000)
    const f = raw.frames[0]
    t.check('btp: wrong token gets a BTP Error F00 for the auth request',
      raw.frames.length === 1 && f.type === BtpPacket.TYPE_ERROR && f.requestId === 4242 &&
        f.data.code === 'F00', JSON.stringify(raw.frames))
    t.check('btp: wrong token: the connection is closed', raw.closed, 'close code ' + raw.code)
    const okAuth = await rawAuth(port, 'carol-secret', 5000, true)
    const g = okAuth.frames[0]
    t.check('btp: right token gets a BTP Response for the auth request',
      g && g.type === BtpPacket.TYPE_RESPONSE && g.requestId === 4242, JSON.stringify(okAuth.frames))
  }

  // --- alice still works after all that, and balances agree
  {
    const { r, c } = await pay(1, ADDR + '.bob.after')
    const ok = r.type === 'fulfill' && r.fulfillment.equals(c.fulfillment)
    t.check('btp: alice still forwards after the refusals', ok, lib.describe(r))
    if (ok) fulfilledTotal += 1n
  }
  try {
    const a = await lib.ilpdBalance(ilpd.adminPort, 'alice')
    const b = await lib.ilpdBalance(ilpd.adminPort, 'bob')
    t.eq('btp: alice balance = sum fulfilled (she owes ilpd)', a, fulfilledTotal)
    t.eq('btp: bob balance = -sum fulfilled (ilpd owes him)', b, -fulfilledTotal)
  } catch (e) {
    t.fail('btp: balances from /health', e.message)
  }
}
