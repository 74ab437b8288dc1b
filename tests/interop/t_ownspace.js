'use strict'
// Issue 12: ilpd under the reference ilp-connector 23.0.2 as its parent.
//
// Own address space (the routing bug): ilpd (test.js.ilpd) is the child
// "ilpd" of ilp-connector (test.js) and has `default = up`. A Prepare to
// test.js.ilpd.nobody (no such child of ilpd) must be rejected by ilpd at
// once with F02 triggered by ilpd, never sent back up to ilp-connector
// (which routes test.js.ilpd to ilpd: a loop until the expiry, R00 after
// ~28 s, before the fix). Checked from both ends (bob, ilp-connector's
// child, and alice, ilpd's child) and with ilpd's /metrics: nothing
// forwarded. The other way, alice -> test.js.nobody goes up once and comes
// back as ilp-connector's reject (F00 "unknown account id" from
// 23.0.2).
//
// IL-DCP client (`address = auto`): the same setup without a configured
// address; ilpd must take test.js.ilpd, XRP and scale 9 from its parent,
// and its child alice's address follows (alice's own IL-DCP answer).
//
// Both directions of the BTP link: dial (ilpd is the BTP client of
// ilp-connector's listener) and listen (ilp-connector's plugin dials ilpd).

const ILDCP = require('ilp-protocol-ildcp')
const lib = require('./lib')
const conn = require('./t_connector')

const JS = 'test.js'
const ILPD = JS + '.ilpd'
const FAST_MS = 2000

async function metric (adminPort, name) {
  const r = await lib.httpGet(adminPort, '/metrics')
  const line = r.body.split('\n').find((l) => l.startsWith(name + ' '))
  return line ? Number(line.split(' ').pop()) : NaN
}

const FWD = 'ilpd_packets_total{result="forwarded"}'

async function scenario (t, ilpdPath, mode, auto) {
  const tag = 'ownspace/' + mode + (auto ? '/auto' : '')
  const dir = lib.tmpDir('own-' + mode + (auto ? '-auto' : ''))
  const [jsPeerPort, bobPort] = await lib.freePorts(2)
  const procs = []
  const plugins = []
  try {
    const up = mode === 'dial'
      ? { relation: 'parent', url: 'ws://127.0.0.1:' + jsPeerPort + '/', token: 'ilpd-secret', username: 'ilpd' }
      : { relation: 'parent', token: 'js-secret' }
    const node = auto ? { address: 'auto' } : { address: ILPD, asset_code: 'XRP', asset_scale: 9 }
    const ilpd = await lib.startIlpd(ilpdPath, dir, {
      node,
      peers: { alice: { relation: 'child', token: 'alice-secret' }, up },
      routes: { default: 'up' }
    })
    procs.push(ilpd)
    const jsConfig = {
      env: 'test',
      ilpAddress: JS,
      backend: 'one-to-one',
      spread: 0,
      store: 'memory',
      initialConnectTimeout: 500,
      accounts: {
        ilpd: conn.account('child', mode === 'dial'
          ? conn.listener(jsPeerPort, 'ilpd-secret')
          : { server: 'btp+ws://js:js-secret@127.0.0.1:' + ilpd.btpPort }),
        bob: conn.account('child', conn.listener(bobPort, 'bob-secret'))
      }
    }
    const js = await conn.startConnector(dir, jsConfig, mode === 'dial' ? [jsPeerPort, bobPort] : [bobPort])
    procs.push(js)
    const bob = await lib.btpClient(bobPort, 'bob', 'bob-secret')
    plugins.push(bob)
    try {
      await lib.waitPeerUp(ilpd.adminPort, 'up', 15000)
      t.pass(tag + ': ilpd is up under ilp-connector')
    } catch (e) {
      t.fail(tag + ': ilpd is up under ilp-connector', e.message + '\n' + js.tail(20))
      return
    }
    if (auto) {
      let h = null
      const end = Date.now() + 10000
      while (Date.now() < end) {
        h = await lib.health(ilpd.adminPort)
        if (h.address) break
        await lib.sleep(50)
      }
      t.eq(tag + ': ilpd took its address from ilp-connector (IL-DCP)', h && h.address, ILPD)
      t.eq(tag + ': /health addressSource', h && h.addressSource, 'ildcp')
    }
    const alice = await lib.btpClient(ilpd.btpPort, 'alice', 'alice-secret')
    plugins.push(alice)
    const aliceInfo = await lib.withTimeout(ILDCP.fetch(alice.sendData.bind(alice)), 5000, 'IL-DCP')
      .catch((e) => ({ clientAddress: e.message }))
    t.eq(tag + ': alice got her address from ilpd', aliceInfo.clientAddress, ILPD + '.alice')
    if (auto) {
      t.eq(tag + ': alice got the asset from ilpd (taken from the parent)',
        aliceInfo.assetCode + '/' + aliceInfo.assetScale, 'XRP/9')
    }
    const preimages = new Map()
    conn.fulfiller(bob, preimages, [], JS + '.bob')
    conn.fulfiller(alice, preimages, [], ILPD + '.alice')

    // the link may need a moment after auth on the connector's side
    const end = Date.now() + 5000
    for (;;) {
      const c = lib.newCondition()
      preimages.set(c.condition.toString('hex'), c.fulfillment)
      const r = await lib.sendPrepare(bob, { amount: 1, condition: c.condition, destination: ILPD + '.alice.probe' })
      if (r.type === 'fulfill' || Date.now() > end) {
        t.check(tag + ': bob -> ilp-connector -> ilpd -> alice fulfilled', r.type === 'fulfill', lib.describe(r))
        break
      }
      await lib.sleep(100)
    }

    for (const [from, who] of [[bob, 'bob (ilp-connector\'s child)'], [alice, 'alice (ilpd\'s child)']]) {
      const f0 = await metric(ilpd.adminPort, FWD)
      const t0 = Date.now()
      const rs = []
      for (let i = 0; i < 3; i++) {
        const c = lib.newCondition()
        rs.push(await lib.sendPrepare(from, {
          amount: 2, condition: c.condition, destination: ILPD + '.nobody.' + i,
          expiresAt: new Date(Date.now() + 30000)
        }, 35000).catch((e) => ({ type: 'error', message: e.message })))
      }
      const dt = Date.now() - t0
      const f1 = await metric(ilpd.adminPort, FWD)
      const bad = rs.find((r) => !(r.type === 'reject' && r.code === 'F02' && r.triggeredBy === ILPD))
      t.check(tag + ': ' + who + ' -> ' + ILPD + '.nobody: F02 from ilpd', !bad,
        bad ? (bad.type === 'error' ? bad.message : lib.describe(bad)) : '3 x F02')
      t.check(tag + ': ... at once (not at the expiry)', dt < 3 * FAST_MS, dt + ' ms for 3')
      t.eq(tag + ': ... ilpd forwarded no packet (/metrics)', f1 - f0, 0)
    }
    {
      const f0 = await metric(ilpd.adminPort, FWD)
      const c = lib.newCondition()
      const t0 = Date.now()
      const r = await lib.sendPrepare(alice, { amount: 2, condition: c.condition, destination: JS + '.nobody' }, 35000)
        .catch((e) => ({ type: 'error', message: e.message }))
      const dt = Date.now() - t0
      const f1 = await metric(ilpd.adminPort, FWD)
      // ilp-connector 23.0.2 answers F00 "unknown account id" here (its
      // own address space: a child account that does not exist)
      t.check(tag + ': alice -> ' + JS + '.nobody: a final reject from ilp-connector, at once',
        r.type === 'reject' && r.code[0] === 'F' && r.triggeredBy === JS && dt < FAST_MS,
        (r.type === 'error' ? r.message : lib.describe(r)) + ' in ' + dt + ' ms')
      t.eq(tag + ': ... ilpd forwarded it once (up)', f1 - f0, 1)
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

module.exports = async function ownSpaceSuite (t, ilpdPath) {
  await scenario(t, ilpdPath, 'dial', false)
  await scenario(t, ilpdPath, 'listen', false)
  await scenario(t, ilpdPath, 'dial', true)
  await scenario(t, ilpdPath, 'listen', true)
}
module.exports.scenario = scenario
