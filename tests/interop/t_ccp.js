'use strict'
// Issue 12: CCP route broadcasting with the reference ilp-connector 23.0.2,
// relation peer, with NO static routes on either side.
//
//   bob (child) - ilp-connector test.js - ilpd A test.ilpd - ilpd C test.c
//                                        |                  |
//                                  alice (child)      carol (child)
//
// ilpd A and ilp-connector exchange route controls (SYNC) and updates; C
// is a peer of A (ilpd <-> ilpd CCP). Checked, in both directions of the
// A <-> ilp-connector BTP link (dial and listen):
//  - A learns test.js from ilp-connector; ilp-connector learns test.ilpd
//    and, through A, test.c (two hops); C learns test.js through A
//  - bob -> alice, alice -> bob, bob -> carol and carol -> bob: every
//    packet fulfilled
//  - C's link drops: A withdraws test.c and ilp-connector stops using it
//    (F02 from ilp-connector itself) well within its routeBroadcastInterval
//    (30 s): here within 5 s (measured: 50-200 ms)
//  - ilp-connector stops: A drops its routes at once (alice -> test.js.bob:
//    F02 from ilpd, not T01)

const lib = require('./lib')
const conn = require('./t_connector')

const JS = 'test.js'
const A = 'test.ilpd'
const C = 'test.c'
const N = 20

async function routesOf (adminPort) {
  const r = await lib.httpGet(adminPort, '/routes')
  return r.status === 200 ? JSON.parse(r.body) : { routes: [] }
}

async function waitRoute (adminPort, prefix, present = true, ms = 15000) {
  const end = Date.now() + ms
  for (;;) {
    const t = await routesOf(adminPort)
    const r = t.routes.find((x) => x.prefix === prefix && x.source === 'learned')
    if (!!r === present) return r || true
    if (Date.now() > end) return null
    await lib.sleep(50)
  }
}

// Sends one Prepare every 100 ms until it is fulfilled (or ms passed).
async function untilFulfilled (plugin, dest, preimages, ms) {
  const end = Date.now() + ms
  let r = null
  while (Date.now() < end) {
    const c = lib.newCondition()
    preimages.set(c.condition.toString('hex'), c.fulfillment)
    r = await lib.sendPrepare(plugin, { amount: 1, condition: c.condition, destination: dest }, 5000)
      .catch((e) => ({ type: 'error', message: e.message }))
    if (r.type === 'fulfill') return r
    await lib.sleep(100)
  }
  return r
}

async function pay (plugin, dest, preimages, n) {
  let ok = 0
  const rejects = {}
  for (let i = 0; i < n; i++) {
    const c = lib.newCondition()
    preimages.set(c.condition.toString('hex'), c.fulfillment)
    const r = await lib.sendPrepare(plugin, { amount: 1 + i, condition: c.condition, destination: dest + '.' + i })
      .catch((e) => ({ type: 'error', message: e.message }))
    if (r.type === 'fulfill') ok++
    else rejects[r.code || r.type] = (rejects[r.code || r.type] || 0) + 1
  }
  return { ok, rejects }
}

async function scenario (t, ilpdPath, mode) {
  const tag = 'ccp/' + mode
  const dir = lib.tmpDir('ccp-' + mode)
  const [jsPeerPort, bobPort] = await lib.freePorts(2)
  const procs = []
  const plugins = []
  try {
    const jsPeer = mode === 'dial'
      ? { relation: 'peer', url: 'ws://127.0.0.1:' + jsPeerPort + '/', token: 'ilpd-secret', username: 'ilpd' }
      : { relation: 'peer', token: 'js-secret' }
    const a = await lib.startIlpd(ilpdPath, dir, {
      node: { address: A, asset_code: 'XRP', asset_scale: 9 },
      peers: {
        alice: { relation: 'child', token: 'alice-secret' },
        js: jsPeer,
        c: { relation: 'peer', token: 'c-secret' }
      }
    }, { name: 'ilpd-a' })
    procs.push(a)
    const c = await lib.startIlpd(ilpdPath, dir, {
      node: { address: C, asset_code: 'XRP', asset_scale: 9 },
      peers: {
        carol: { relation: 'child', token: 'carol-secret' },
        a: { relation: 'peer', url: 'ws://127.0.0.1:' + a.btpPort + '/', token: 'c-secret', username: 'c' }
      },
      btp: { reconnect_min_ms: 100, reconnect_max_ms: 500 }
    }, { name: 'ilpd-c' })
    procs.push(c)
    const jsConfig = {
      env: 'test',
      ilpAddress: JS,
      backend: 'one-to-one',
      spread: 0,
      store: 'memory',
      initialConnectTimeout: 500,
      accounts: {
        ilpd: conn.account('peer', mode === 'dial'
          ? conn.listener(jsPeerPort, 'ilpd-secret')
          : { server: 'btp+ws://js:js-secret@127.0.0.1:' + a.btpPort }),
        bob: conn.account('child', conn.listener(bobPort, 'bob-secret'))
      }
    }
    const js = await conn.startConnector(dir, jsConfig, mode === 'dial' ? [jsPeerPort, bobPort] : [bobPort])
    procs.push(js)
    try {
      await lib.waitPeerUp(a.adminPort, 'js', 15000)
      await lib.waitPeerUp(a.adminPort, 'c', 15000)
      t.pass(tag + ': links up (ilp-connector <-> A <-> C), no static routes anywhere')
    } catch (e) {
      t.fail(tag + ': links up', e.message + '\n' + js.tail(20))
      return
    }
    const r1 = await waitRoute(a.adminPort, JS)
    t.check(tag + ': A learned test.js from ilp-connector (CCP)', r1 && r1.next_hop === 'js',
      JSON.stringify(await routesOf(a.adminPort)))
    const r2 = await waitRoute(c.adminPort, JS)
    t.check(tag + ': C learned test.js through A (two hops)', r2 && r2.next_hop === 'a' && r2.path_length === 2,
      JSON.stringify(r2))
    const r3 = await waitRoute(a.adminPort, C)
    t.check(tag + ': A learned test.c from C', r3 && r3.next_hop === 'c', JSON.stringify(r3))

    const alice = await lib.btpClient(a.btpPort, 'alice', 'alice-secret')
    const bob = await lib.btpClient(bobPort, 'bob', 'bob-secret')
    const carol = await lib.btpClient(c.btpPort, 'carol', 'carol-secret')
    plugins.push(alice, bob, carol)
    const preimages = new Map()
    conn.fulfiller(bob, preimages, [], JS + '.bob')
    conn.fulfiller(alice, preimages, [], A + '.alice')
    conn.fulfiller(carol, preimages, [], C + '.carol')

    // ilp-connector learns test.ilpd and test.c from A's updates
    for (const [from, dest, name] of [[bob, A + '.alice.probe', 'bob -> alice'],
      [bob, C + '.carol.probe', 'bob -> carol (3 hops)'], [alice, JS + '.bob.probe', 'alice -> bob'],
      [carol, JS + '.bob.probe', 'carol -> bob (3 hops)']]) {
      const r = await untilFulfilled(from, dest, preimages, 10000)
      t.check(tag + ': ' + name + ' reachable over learned routes', r && r.type === 'fulfill',
        r && (r.type === 'error' ? r.message : lib.describe(r)))
    }
    for (const [from, dest, name] of [[bob, A + '.alice', 'bob -> alice'], [alice, JS + '.bob', 'alice -> bob'],
      [bob, C + '.carol', 'bob -> carol'], [carol, JS + '.bob', 'carol -> bob']]) {
      const r = await pay(from, dest, preimages, N)
      t.check(tag + ': ' + N + ' packets ' + name + ' all fulfilled', r.ok === N,
        r.ok + ' fulfilled, rejects ' + JSON.stringify(r.rejects))
    }

    // C goes away: A withdraws test.c; ilp-connector must stop using it.
    await c.stop()
    procs.splice(procs.indexOf(c), 1)
    const t0 = Date.now()
    let r = null
    while (Date.now() - t0 < 10000) {
      const cc = lib.newCondition()
      r = await lib.sendPrepare(bob, { amount: 1, condition: cc.condition, destination: C + '.carol.gone' }, 5000)
        .catch((e) => ({ type: 'error', message: e.message }))
      if (r.type === 'reject' && r.code === 'F02' && r.triggeredBy === JS) break
      await lib.sleep(50)
    }
    const dt = Date.now() - t0
    t.check(tag + ': C dropped: ilp-connector stops using test.c (F02 from ilp-connector, no route)',
      r && r.type === 'reject' && r.code === 'F02' && r.triggeredBy === JS, r && lib.describe(r))
    t.check(tag + ': ... within 5 s (ilp-connector\'s routeBroadcastInterval is 30 s)', dt <= 5000, dt + ' ms')
    t.check(tag + ': A no longer has test.c', await waitRoute(a.adminPort, C, false, 2000) !== null)

    // ilp-connector goes away: A drops test.js at once.
    await js.stop()
    procs.splice(procs.indexOf(js), 1)
    const gone = await waitRoute(a.adminPort, JS, false, 5000)
    t.check(tag + ': ilp-connector stopped: A dropped test.js', gone !== null)
    const cc = lib.newCondition()
    const r4 = await lib.sendPrepare(alice, { amount: 1, condition: cc.condition, destination: JS + '.bob.gone' }, 5000)
      .catch((e) => ({ type: 'error', message: e.message }))
    t.check(tag + ': alice -> test.js.bob now F02 from ilpd', r4.type === 'reject' && r4.code === 'F02' &&
      r4.triggeredBy === A, lib.describe(r4))
  } catch (e) {
    t.fail(tag, e.stack || e.message)
  } finally {
    for (const p of plugins) await p.disconnect().catch(() => {})
    for (const p of procs.reverse()) {
      const st = await p.stop()
      if (p.name.startsWith('ilpd')) t.check(tag + ': ' + p.name + ' exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
    }
    if (t.failed) for (const p of procs) console.log(p.tail(25))
  }
}

module.exports = async function ccpSuite (t, ilpdPath) {
  await scenario(t, ilpdPath, 'dial')
  await scenario(t, ilpdPath, 'listen')
}
