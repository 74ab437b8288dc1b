'use strict'
// Issue 3, interop 3: ilpd peered with the reference ilp-connector 23.0.2
// (backend one-to-one, spread 0, rate limit raised), relation peer with
// static routes on both sides, in both directions of the BTP connection:
//   dial:   ilpd is the BTP client of ilp-connector's ilp-plugin-btp listener
//   listen: ilp-connector's ilp-plugin-btp client dials ilpd
// alice is ilpd's child, bob ilp-connector's child (both ilp-plugin-btp
// clients). Packets go alice -> ilpd -> ilp-connector -> bob and back;
// afterwards both connectors' balances for the link must agree.

const crypto = require('crypto')
const fs = require('fs')
const path = require('path')
const ILDCP = require('ilp-protocol-ildcp')
const lib = require('./lib')

const ILPD = 'test.ilpd'
const JS = 'test.js'
const PER_DIRECTION = 1000
const CONCURRENCY = 50
const BIG = '1000000000000000'

function account (relation, options) {
  return {
    relation,
    plugin: 'ilp-plugin-btp',
    assetCode: 'XRP',
    assetScale: 9,
    options,
    balance: { minimum: '-' + BIG, maximum: BIG },
    rateLimit: { refillPeriod: 1000, refillCount: 1000000000, capacity: 1000000000 }
  }
}

function listener (port, secret) {
  return { listener: { port, secret, wsOpts: { host: '127.0.0.1', port } } }
}

// Starts ilp-connector (connector.js) with `config`; resolves once it
// printed READY and its listener ports accept.
async function startConnector (dir, config, listenPorts, logName = 'connector') {
  const file = path.join(dir, 'connector.json')
  fs.writeFileSync(file, JSON.stringify(config, null, 2))
  const child = new lib.Child('ilp-connector', process.execPath,
    [path.join(__dirname, 'connector.js'), file], { logFile: path.join(dir, logName + '.log') })
  const end = Date.now() + 20000
  while (!/^READY /m.test(child.log())) {
    if (!child.alive() || Date.now() > end) {
      await child.stop()
      throw new Error('ilp-connector did not start\n' + child.tail(30))
    }
    await lib.sleep(50)
  }
  for (const p of listenPorts) await lib.waitPort(p, 5000, () => child.alive())
  return child
}

async function jsBalances (adminPort) {
  const r = await lib.httpGet(adminPort, '/balance')
  if (r.status !== 200) throw new Error('ilp-connector /balance answered ' + r.status)
  const accounts = JSON.parse(r.body).accounts
  const out = {}
  for (const [k, v] of Object.entries(accounts)) out[k] = BigInt(v.balance)
  return out
}

// A receiver that fulfills any prepare whose condition it was told about.
function fulfiller (plugin, preimages, seen, self) {
  plugin.registerDataHandler(async (buf) => {
    const p = lib.IlpPacket.deserializeIlpPrepare(buf)
    seen.push({ p, at: Date.now() })
    const f = preimages.get(p.executionCondition.toString('hex'))
    if (!f) {
      return lib.IlpPacket.serializeIlpReject({
        code: 'F06', triggeredBy: self, message: 'unexpected payment', data: Buffer.alloc(0)
      })
    }
    return lib.IlpPacket.serializeIlpFulfill({ fulfillment: f, data: Buffer.from('ok') })
  })
}

// n payments from `plugin` to `dest`, CONCURRENCY at a time. Amounts vary
// with `seed` so the two directions do not cancel out.
async function payMany (plugin, dest, n, preimages, seed) {
  let next = 0
  let fulfilled = 0
  let total = 0n
  const rejects = {}
  const worker = async () => {
    while (next < n) {
      const i = next++
      const amount = 1 + (i * seed) % 5000
      const c = lib.newCondition()
      preimages.set(c.condition.toString('hex'), c.fulfillment)
      const r = await lib.sendPrepare(plugin, {
        amount, condition: c.condition, destination: dest + '.' + i, data: crypto.randomBytes(24)
      }).catch((e) => ({ type: 'error', message: e.message }))
      if (r.type === 'fulfill' && r.fulfillment.equals(c.fulfillment)) {
        fulfilled++
        total += BigInt(amount)
      } else {
        const k = r.type === 'reject' ? r.code : r.type
        rejects[k] = (rejects[k] || 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return { fulfilled, total, rejects }
}

async function scenario (t, ilpdPath, mode) {
  const tag = 'connector/' + mode
  const dir = lib.tmpDir('conn-' + mode)
  const [jsPeerPort, bobPort, jsAdmin] = await lib.freePorts(3)
  const procs = []
  const plugins = []
  try {
    const jsPeer = mode === 'dial'
      ? { relation: 'peer', url: 'ws://127.0.0.1:' + jsPeerPort + '/', token: 'ilpd-secret', username: 'ilpd' }
      : { relation: 'peer', token: 'js-secret' }
    const ilpd = await lib.startIlpd(ilpdPath, dir, {
      node: { address: ILPD, asset_code: 'XRP', asset_scale: 9 },
      peers: { alice: { relation: 'child', token: 'alice-secret' }, js: jsPeer },
      routes: { [JS]: 'js' }
    })
    procs.push(ilpd)
    const jsConfig = {
      env: 'test',
      ilpAddress: JS,
      backend: 'one-to-one',
      spread: 0,
      store: 'memory',
      initialConnectTimeout: 500,
      adminApi: true,
      adminApiHost: '127.0.0.1',
      adminApiPort: jsAdmin,
      accounts: {
        ilpd: account('peer', mode === 'dial'
          ? listener(jsPeerPort, 'ilpd-secret')
          : { server: 'btp+ws://js:js-secret@127.0.0.1:' + ilpd.btpPort }),
        bob: account('child', listener(bobPort, 'bob-secret'))
      },
      routes: [{ targetPrefix: ILPD, peerId: 'ilpd' }]
    }
    const js = await startConnector(dir, jsConfig, mode === 'dial' ? [jsPeerPort, bobPort] : [bobPort])
    procs.push(js)

    const alice = await lib.btpClient(ilpd.btpPort, 'alice', 'alice-secret')
    plugins.push(alice)
    const bob = await lib.btpClient(bobPort, 'bob', 'bob-secret')
    plugins.push(bob)
    try {
      await lib.waitPeerUp(ilpd.adminPort, 'js', 15000)
      t.pass(tag + ': BTP link between ilpd and ilp-connector is up')
    } catch (e) {
      t.fail(tag + ': BTP link between ilpd and ilp-connector is up', e.message + '\n' + js.tail(20))
      return
    }
    const bobInfo = await lib.withTimeout(ILDCP.fetch(bob.sendData.bind(bob)), 5000, 'IL-DCP')
      .catch((e) => ({ clientAddress: e.message }))
    t.eq(tag + ': bob got his address from ilp-connector', bobInfo.clientAddress, JS + '.bob')

    const preimages = new Map()
    const atBob = []
    const atAlice = []
    fulfiller(bob, preimages, atBob, JS + '.bob')
    fulfiller(alice, preimages, atAlice, ILPD + '.alice')

    // the link may need a moment after auth on the connector's side
    const end = Date.now() + 5000
    for (;;) {
      const c = lib.newCondition()
      preimages.set(c.condition.toString('hex'), c.fulfillment)
      const r = await lib.sendPrepare(alice, { amount: 0, condition: c.condition, destination: JS + '.bob.probe' })
      if (r.type === 'fulfill' || Date.now() > end) break
      await lib.sleep(100)
    }

    // one packet with its fields checked at the far end
    {
      const c = lib.newCondition()
      preimages.set(c.condition.toString('hex'), c.fulfillment)
      const expiresAt = new Date(Date.now() + 20000)
      const data = crypto.randomBytes(40)
      const r = await lib.sendPrepare(alice, {
        amount: 4321, condition: c.condition, destination: JS + '.bob.first', data, expiresAt
      })
      t.check(tag + ': alice -> ilpd -> ilp-connector -> bob fulfilled', r.type === 'fulfill', lib.describe(r))
      const s = atBob.find((x) => x.p.executionCondition.equals(c.condition))
      if (t.check(tag + ': bob received the prepare', !!s)) {
        t.eq(tag + ': amount unchanged across both connectors', s.p.amount, 4321)
        t.check(tag + ': data unchanged across both connectors', s.p.data.equals(data))
        const cut = expiresAt.getTime() - s.p.expiresAt.getTime()
        t.check(tag + ': expiry shortened by both hops (>= 2000 ms)', cut >= 2000 && cut < 4000,
          'shortened by ' + cut + ' ms')
      }
    }

    const ab = await payMany(alice, JS + '.bob', PER_DIRECTION, preimages, 7919)
    t.check(tag + ': ' + PER_DIRECTION + ' packets alice -> bob fulfilled', ab.fulfilled === PER_DIRECTION,
      ab.fulfilled + ' fulfilled, rejects ' + JSON.stringify(ab.rejects))
    const ba = await payMany(bob, ILPD + '.alice', PER_DIRECTION / 2, preimages, 104729)
    t.check(tag + ': ' + PER_DIRECTION / 2 + ' packets bob -> alice fulfilled', ba.fulfilled === PER_DIRECTION / 2,
      ba.fulfilled + ' fulfilled, rejects ' + JSON.stringify(ba.rejects))

    // rejects relayed across the other connector
    {
      const c = lib.newCondition()
      const r = await lib.sendPrepare(bob, { amount: 5, condition: c.condition, destination: ILPD + '.nobody' })
      t.check(tag + ': ilpd F02 relayed to bob by ilp-connector',
        r.type === 'reject' && r.code === 'F02' && r.triggeredBy === ILPD, lib.describe(r))
      const r2 = await lib.sendPrepare(alice, { amount: 5, condition: c.condition, destination: 'test.zzz.nobody' })
      t.check(tag + ': ilpd F02 for a prefix with no route', r2.type === 'reject' && r2.code === 'F02' &&
        r2.triggeredBy === ILPD, lib.describe(r2))
      const r3 = await lib.sendPrepare(alice, { amount: 5, condition: c.condition, destination: JS + '.carol.x' })
      t.check(tag + ': ilp-connector reject relayed to alice unchanged',
        r3.type === 'reject' && r3.triggeredBy === JS, lib.describe(r3))
    }

    // balances: X = alice -> bob, Y = bob -> alice (+ the first packet)
    const X = ab.total + 4321n
    const Y = ba.total
    await lib.sleep(200)
    try {
      const jb = await jsBalances(jsAdmin)
      const ib = {
        alice: await lib.ilpdBalance(ilpd.adminPort, 'alice'),
        js: await lib.ilpdBalance(ilpd.adminPort, 'js')
      }
      console.log(tag + ': X=' + X + ' Y=' + Y + ' ilpd ' + JSON.stringify(ib, (k, v) =>
        typeof v === 'bigint' ? String(v) : v) + ' ilp-connector ' + JSON.stringify(jb, (k, v) =>
        typeof v === 'bigint' ? String(v) : v))
      t.eq(tag + ': balances agree (ilpd js == -(ilp-connector ilpd))', ib.js, -jb.ilpd)
      t.eq(tag + ': ilpd balance of js = Y - X', ib.js, Y - X)
      t.eq(tag + ': ilpd balance of alice = X - Y', ib.alice, X - Y)
      t.eq(tag + ': ilp-connector balance of bob = Y - X', jb.bob, Y - X)
    } catch (e) {
      t.fail(tag + ': balances', e.message)
    }

    // Reconnect: restart the listening side; the dialling side (and the
    // children's ilp-plugin-btp clients) must come back and carry packets.
    let ilpdNow = ilpd
    if (mode === 'dial') {
      await js.stop()
      procs.splice(procs.indexOf(js), 1)
      const until = Date.now() + 5000
      let down = false
      while (!down && Date.now() < until) {
        const h = await lib.health(ilpd.adminPort)
        down = !h.peers.find((x) => x.name === 'js').connected
        if (!down) await lib.sleep(50)
      }
      t.check(tag + ': ilpd sees the link to a stopped ilp-connector go down', down)
      procs.push(await startConnector(dir, jsConfig, [jsPeerPort, bobPort], 'connector-restarted'))
    } else {
      await ilpd.stop()
      procs.splice(procs.indexOf(ilpd), 1)
      ilpdNow = await lib.restartIlpd(ilpdPath, dir, ilpd)
      procs.push(ilpdNow)
    }
    const what = mode === 'dial' ? 'ilpd re-dials a restarted ilp-connector'
      : 'ilp-connector re-dials a restarted ilpd'
    try {
      await lib.waitPeerUp(ilpdNow.adminPort, 'js', 20000)
      t.pass(tag + ': ' + what)
    } catch (e) {
      t.fail(tag + ': ' + what, e.message)
    }
    for (const [from, dest, name] of [[alice, JS + '.bob.again', 'alice -> bob'],
      [bob, ILPD + '.alice.again', 'bob -> alice']]) {
      let r = null
      const until = Date.now() + 15000
      while (Date.now() < until) {
        const c = lib.newCondition()
        preimages.set(c.condition.toString('hex'), c.fulfillment)
        r = await lib.sendPrepare(from, { amount: 3, condition: c.condition, destination: dest }, 5000)
          .catch((e) => ({ type: 'error', message: e.message }))
        if (r.type === 'fulfill') break
        await lib.sleep(200)
      }
      t.check(tag + ': after the restart ' + name + ' fulfilled again', r && r.type === 'fulfill',
        r && (r.type === 'error' ? r.message : lib.describe(r)))
    }
  } catch (e) {
    t.fail(tag, e.stack || e.message)
  } finally {
    for (const p of plugins) await p.disconnect().catch(() => {})
    for (const p of procs.reverse()) {
      const st = await p.stop()
      if (p.name === 'ilpd') t.check(tag + ': ilpd exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
    }
    if (t.failed) for (const p of procs) console.log(p.tail(25))
  }
}

module.exports = async function connectorSuite (t, ilpdPath) {
  await scenario(t, ilpdPath, 'dial')
  await scenario(t, ilpdPath, 'listen')
}
// shared with t_ownspace.js
module.exports.account = account
module.exports.listener = listener
module.exports.startConnector = startConnector
module.exports.fulfiller = fulfiller
