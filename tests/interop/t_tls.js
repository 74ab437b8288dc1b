'use strict'
// Issue 5: ilpd's TLS against node's TLS stack (OpenSSL), for whichever
// backend this ilpd was built with (BearSSL or mbedTLS; printed first).
// A fresh test PKI is made with tests/tls/make-certs.sh (openssl) per run.
//
// 1. Harness self-checks, node against node: the certificates mean what
//    the negative tests below assume (node refuses expired/wrongname/
//    self-signed, the pins are the SPKI hashes) and the node BTP server
//    over https+ws works with ilp-plugin-btp over btp+wss://.
// 2. ilpd's TLS listener ([btp] tls = on): ilp-plugin-btp 1.5.0 clients
//    over btp+wss://localhost (auth, IL-DCP, prepares fulfilled end to
//    end), the negotiated version and suite, a CBC suite refused, plain
//    ws:// refused, a client without the CA refuses ilpd, an RSA server
//    key, an ilpd serving expired.pem refused by node; ilpctl over wss://
//    when ILPCTL (or the build dir's tools/ilpctl/ilpctl) is there.
// 3. ilpd as a wss:// client of node https+ws BTP servers: packets
//    fulfilled through it; peer.tls_failed with the right reason for an
//    expired cert, a wrong name, an unknown CA (self-signed without a pin,
//    and another CA file), a pin mismatch; a self-signed cert with the
//    right pin and tls_server_name both connect; failures are retried.

const childProcess = require('child_process')
const crypto = require('crypto')
const fs = require('fs')
const https = require('https')
const path = require('path')
const tls = require('tls')
const WebSocket = require('ws')
const BtpPacket = require('btp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const lib = require('./lib')

const ADDR = 'test.ilpd'
const OCTETS = BtpPacket.MIME_APPLICATION_OCTET_STREAM

// ------------------------------------------------------------ helpers

function makeCerts (dir) {
  const script = path.join(__dirname, '..', 'tls', 'make-certs.sh')
  childProcess.execFileSync('bash', [script, dir], { timeout: 60000, stdio: ['ignore', 'ignore', 'pipe'] })
  return {
    dir,
    file: (name) => path.join(dir, name),
    read: (name) => fs.readFileSync(path.join(dir, name)),
    pin: (name) => fs.readFileSync(path.join(dir, name + '.pin'), 'utf8').trim()
  }
}

// The TLS backend of this ilpd: from its --version/--help text, else the
// build dir's CMakeCache.txt, else the libraries it links.
function tlsBackend (ilpdPath) {
  const run = (args) => {
    try {
      return childProcess.execFileSync(ilpdPath, args, { timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
    } catch (e) {
      return String(e.stdout || '') + String(e.stderr || '')
    }
  }
  const m = /\b(bearssl|mbedtls)\b/i.exec(run(['--version']) + run(['--help']))
  if (m) return m[1].toLowerCase() + ' (from ilpd --version/--help)'
  for (let d = path.dirname(ilpdPath), i = 0; i < 4; i++, d = path.dirname(d)) {
    try {
      const c = /^ILPD_TLS:\w+=(\w+)$/m.exec(fs.readFileSync(path.join(d, 'CMakeCache.txt'), 'utf8'))
      if (c) return c[1] + ' (from ' + path.join(d, 'CMakeCache.txt') + ')'
    } catch (e) {}
  }
  try {
    const l = childProcess.execFileSync('ldd', [ilpdPath], { timeout: 5000 }).toString()
    const k = /lib(bearssl|mbedtls)/.exec(l)
    if (k) return k[1] + ' (from ldd)'
  } catch (e) {}
  return 'unknown'
}

function findIlpctl (ilpdPath) {
  const c = process.env.ILPCTL || path.resolve(path.dirname(ilpdPath), '..', 'tools', 'ilpctl', 'ilpctl')
  try {
    fs.accessSync(c, fs.constants.X_OK)
    return c
  } catch (e) {
    return null
  }
}

// Starts ilpd with an INI from lib.ilpdIni(conf) plus a [tls] section.
// (lib.restartIlpd runs an existing file on given ports.)
async function startTlsIlpd (ilpdPath, dir, name, conf, tlsConf) {
  const [btpPort, adminPort] = await lib.freePorts(2)
  conf = Object.assign({}, conf)
  conf.btp = Object.assign({ listen: '127.0.0.1:' + btpPort }, conf.btp || {})
  conf.admin = { listen: '127.0.0.1:' + adminPort }
  let ini = lib.ilpdIni(conf)
  if (tlsConf) ini += '\n[tls]\n' + Object.entries(tlsConf).map(([k, v]) => k + ' = ' + v).join('\n') + '\n'
  const configFile = path.join(dir, name + '.ini')
  fs.writeFileSync(configFile, ini)
  return lib.restartIlpd(ilpdPath, dir, { configFile, name, env: undefined, btpPort, adminPort })
}

// `ilpd --check-config FILE` -> {code, out}
function checkConfig (ilpdPath, file) {
  try {
    const out = childProcess.execFileSync(ilpdPath, ['--check-config', file],
      { timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }).toString()
    return { code: 0, out }
  } catch (e) {
    return { code: e.status, out: String(e.stdout || '') + String(e.stderr || '') }
  }
}

// ilpctl-sink-v1: fulfillment = SHA-256("ilpctl-sink-v1" || data)
function sinkFulfillment (data) {
  return crypto.createHash('sha256').update(Buffer.from('ilpctl-sink-v1')).update(data).digest()
}

function sinkAnswer (buf, who) {
  const p = lib.IlpPacket.deserializeIlpPrepare(buf)
  const f = sinkFulfillment(p.data)
  if (!crypto.createHash('sha256').update(f).digest().equals(p.executionCondition)) {
    return lib.IlpPacket.serializeIlpReject({ code: 'F05', triggeredBy: who, message: 'not ilpctl-sink-v1', data: Buffer.alloc(0) })
  }
  return lib.IlpPacket.serializeIlpFulfill({ fulfillment: f, data: Buffer.from('ok') })
}

// A Prepare that a sinkAnswer() fulfills; resolves to true when it was.
async function payToSink (plugin, destination, amount = 1) {
  const data = crypto.randomBytes(32)
  const f = sinkFulfillment(data)
  const r = await lib.sendPrepare(plugin, {
    amount, destination, data, condition: crypto.createHash('sha256').update(f).digest()
  })
  return { ok: r.type === 'fulfill' && r.fulfillment.equals(f), r }
}

// ws's WebSocket with TLS options (ilp-plugin-btp takes the class as a
// module and calls `new WebSocket(url)`).
function wsClass (tlsOpts) {
  return class TlsWebSocket extends WebSocket {
    constructor (url, protocols, opts) {
      super(url, Object.assign({}, tlsOpts, opts || {}))
    }
  }
}

// ilp-plugin-btp over btp+wss://USER:TOKEN@localhost:PORT; connected on return.
async function wssClient (port, user, token, tlsOpts, ms = 10000) {
  const plugin = new lib.BtpPlugin({
    server: 'btp+wss://' + user + ':' + token + '@localhost:' + port
  }, { WebSocket: wsClass(tlsOpts) })
  try {
    await lib.withTimeout(plugin.connect(), ms, 'btp+wss connect as ' + user)
  } catch (e) {
    await plugin.disconnect().catch(() => {})
    throw e
  }
  return plugin
}

// One wss:// WebSocket open attempt: resolves to 'open' or the TLS error
// code/message node gave.
function wssProbe (port, tlsOpts, ms = 5000) {
  return new Promise((resolve) => {
    const ws = new WebSocket('wss://localhost:' + port + '/', Object.assign({}, tlsOpts))
    let done = false
    const finish = (what) => {
      if (done) return
      done = true
      clearTimeout(timer)
      try { ws.terminate() } catch (e) {}
      resolve(what)
    }
    const timer = setTimeout(() => finish('timeout'), ms)
    ws.on('open', () => finish('open'))
    ws.on('error', (e) => finish(e.code || e.message))
    ws.on('close', () => finish('closed'))
  })
}

// A raw TLS connection: {protocol, cipher, pubkeyPin} or {error}.
function tlsProbe (port, opts, ms = 5000) {
  return new Promise((resolve) => {
    const s = tls.connect(Object.assign({ host: '127.0.0.1', port, servername: 'localhost' }, opts))
    const timer = setTimeout(() => { s.destroy(); resolve({ error: 'timeout' }) }, ms)
    s.once('secureConnect', () => {
      clearTimeout(timer)
      const cert = s.getPeerX509Certificate && s.getPeerX509Certificate()
      const spki = cert ? cert.publicKey.export({ type: 'spki', format: 'der' }) : null
      const r = {
        protocol: s.getProtocol(),
        cipher: s.getCipher().standardName || s.getCipher().name,
        authorized: s.authorized,
        pin: spki ? crypto.createHash('sha256').update(spki).digest('hex') : null
      }
      s.destroy()
      resolve(r)
    })
    s.once('error', (e) => { clearTimeout(timer); s.destroy(); resolve({ error: e.code || e.message }) })
  })
}

// ------------------------------------------------------------ node BTP server

// An https + ws BTP server on 127.0.0.1 presenting `cert` (files in the
// PKI dir). Authenticates `token`, answers ILP Prepares with sinkAnswer().
async function nodeBtpServer (pki, cert, key, token) {
  const server = https.createServer({ cert: pki.read(cert), key: pki.read(key) })
  const wss = new WebSocket.Server({ server })
  const st = { auths: 0, prepares: 0, fulfilled: 0, tlsErrors: 0, sockets: new Set(), port: 0 }
  server.on('tlsClientError', () => { st.tlsErrors++ })
  wss.on('connection', (ws) => {
    st.sockets.add(ws)
    ws.on('close', () => st.sockets.delete(ws))
    ws.on('error', () => {})
    let authed = false
    ws.on('message', (m) => {
      let p
      try { p = BtpPacket.deserialize(m) } catch (e) { ws.close(); return }
      const pd = (p.data && p.data.protocolData) || []
      if (!authed) {
        const tok = pd.find((x) => x.protocolName === 'auth_token')
        if (p.type === BtpPacket.TYPE_MESSAGE && pd[0] && pd[0].protocolName === 'auth' &&
          tok && tok.data.toString() === token) {
          authed = true
          st.auths++
          ws.send(BtpPacket.serializeResponse(p.requestId, []))
        } else {
          ws.send(BtpPacket.serializeError({ code: 'F00', name: 'NotAcceptedError', data: 'bad auth', triggeredAt: new Date().toISOString() }, p.requestId, []))
          ws.close()
        }
        return
      }
      if (p.type !== BtpPacket.TYPE_MESSAGE && p.type !== BtpPacket.TYPE_TRANSFER) return
      const ilp = pd.find((x) => x.protocolName === 'ilp')
      if (!ilp) {
        ws.send(BtpPacket.serializeResponse(p.requestId, []))
        return
      }
      st.prepares++
      let reply
      try {
        reply = sinkAnswer(ilp.data, 'test.node')
      } catch (e) {
        reply = lib.IlpPacket.serializeIlpReject({ code: 'F01', triggeredBy: 'test.node', message: e.message, data: Buffer.alloc(0) })
      }
      if (reply[0] === lib.IlpPacket.Type.TYPE_ILP_FULFILL) st.fulfilled++
      ws.send(BtpPacket.serializeResponse(p.requestId, [{ protocolName: 'ilp', contentType: OCTETS, data: reply }]))
    })
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  st.port = server.address().port
  st.close = () => new Promise((resolve) => {
    for (const ws of st.sockets) ws.terminate()
    wss.close()
    server.close(() => resolve())
    setTimeout(resolve, 2000)
  })
  return st
}

// ilpd log lines for event=EVENT (and peer=PEER when given).
function logLines (child, event, peer) {
  return child.log().split('\n').filter((l) => l.includes('event=' + event + ' ') &&
    (!peer || (' ' + l + ' ').includes(' peer=' + peer + ' ')))
}

async function waitFor (fn, ms) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v || Date.now() > end) return v
    await lib.sleep(50)
  }
}

// `ilpctl send` -> {code, summary, out}
function ilpctlSend (ilpctl, args, ms = 60000) {
  return new Promise((resolve) => {
    childProcess.execFile(ilpctl, ['send'].concat(args), { timeout: ms, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const out = String(stdout) + String(stderr)
      resolve({
        code: err ? (err.killed ? 'timeout' : err.code) : 0,
        summary: (String(stdout).match(/^sent=.*$/m) || [''])[0],
        out: out.trim().split('\n').slice(-3).join(' | ')
      })
    })
  })
}

// ------------------------------------------------------------ the suite

module.exports = async function tlsSuite (t, ilpdPath) {
  const dir = lib.tmpDir('tls')
  const backend = tlsBackend(ilpdPath)
  console.log('TLS backend of ' + ilpdPath + ': ' + backend)
  let pki
  try {
    pki = makeCerts(path.join(dir, 'pki'))
    t.pass('tls: test PKI made with tests/tls/make-certs.sh')
  } catch (e) {
    t.fail('tls: tests/tls/make-certs.sh', (e.stderr ? String(e.stderr) : '') + e.message)
    return
  }
  await harness(t, pki)

  // Is TLS built in? A listener config that needs it must check out.
  const probe = path.join(dir, 'probe.ini')
  fs.writeFileSync(probe, lib.ilpdIni({
    node: { address: ADDR },
    btp: { listen: '127.0.0.1:7768', tls: 'on' },
    admin: { listen: '127.0.0.1:7769' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }) + '\n[tls]\ncert_file = ' + pki.file('server.pem') + '\nkey_file = ' + pki.file('server.key') + '\n')
  const cc = checkConfig(ilpdPath, probe)
  if (!t.check('tls: ilpd accepts a config with [btp] tls = on (TLS is built in)', cc.code === 0,
    cc.out.trim() + (cc.code === 0 ? '' : ' -- built with -DILPD_TLS=none, or before TLS was integrated?'))) {
    return
  }
  configErrors(t, ilpdPath, dir, pki)
  const ilpctl = findIlpctl(ilpdPath)
  // No silent skip: without ilpctl the wss:// checks cannot run, and that fails.
  t.check('tls: ilpctl found (next to ilpd, or ILPCTL) for the wss:// checks', !!ilpctl,
    ilpctl || 'not found: build the host preset or set ILPCTL')

  await listenerTests(t, ilpdPath, dir, pki, ilpctl)
  await listenerRefusedTests(t, ilpdPath, dir, pki)
  await clientTests(t, ilpdPath, dir, pki, ilpctl)
  await otherCaTest(t, ilpdPath, dir, pki)
}

// -------- 1. node against node: the PKI and the node BTP server

async function harness (t, pki) {
  const ca = pki.read('ca.pem')
  const servers = []
  try {
    for (const [cert, key] of [['server.pem', 'server.key'], ['expired.pem', 'expired.key'],
      ['wrongname.pem', 'wrongname.key'], ['selfsigned.pem', 'selfsigned.key']]) {
      servers.push(await nodeBtpServer(pki, cert, key, 'node-token'))
    }
    const [good, expired, wrongname, selfsigned] = servers
    const want = [[expired, 'CERT_HAS_EXPIRED'], [wrongname, 'ERR_TLS_CERT_ALTNAME_INVALID'],
      [selfsigned, 'DEPTH_ZERO_SELF_SIGNED_CERT']]
    for (const [s, code] of want) {
      const r = await wssProbe(s.port, { ca })
      t.eq('tls harness: node refuses the node server with ' + code, r, code)
    }
    t.eq('tls harness: node trusts server.pem with ca.pem', await wssProbe(good.port, { ca }), 'open')
    t.eq('tls harness: node without ca.pem refuses server.pem', await wssProbe(good.port, {}), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    const pg = await tlsProbe(good.port, { ca })
    t.eq('tls harness: server.pin is the SHA-256 of the SPKI', pg.pin, pki.pin('server'))
    const ps = await tlsProbe(selfsigned.port, { rejectUnauthorized: false })
    t.eq('tls harness: selfsigned.pin is the SHA-256 of the SPKI', ps.pin, pki.pin('selfsigned'))
    let plugin
    try {
      plugin = await wssClient(good.port, 'ilpd', 'node-token', { ca }, 5000)
      const { ok, r } = await payToSink(plugin, 'test.node.x', 5)
      t.check('tls harness: ilp-plugin-btp over btp+wss:// -> node BTP server: prepare fulfilled', ok, lib.describe(r))
    } catch (e) {
      t.fail('tls harness: ilp-plugin-btp over btp+wss:// -> node BTP server', e.message)
    } finally {
      if (plugin) await plugin.disconnect().catch(() => {})
    }
  } finally {
    for (const s of servers) await s.close()
  }
}

// -------- config errors for unreadable TLS files

function configErrors (t, ilpdPath, dir, pki) {
  const file = path.join(dir, 'badcert.ini')
  fs.writeFileSync(file, lib.ilpdIni({
    node: { address: ADDR },
    btp: { listen: '127.0.0.1:7768', tls: 'on' },
    admin: { listen: '127.0.0.1:7769' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }) + '\n[tls]\ncert_file = ' + path.join(dir, 'no-such.pem') + '\nkey_file = ' + pki.file('server.key') + '\n')
  const r = checkConfig(ilpdPath, file)
  t.check('tls: --check-config reports a missing cert_file at its line', r.code === 1 &&
    /:\d+: \[tls\] cert_file: /.test(r.out), 'exit ' + r.code + ': ' + r.out.trim())
  const nocert = path.join(dir, 'nocert.ini')
  fs.writeFileSync(nocert, lib.ilpdIni({
    node: { address: ADDR },
    btp: { listen: '127.0.0.1:7768', tls: 'on' },
    admin: { listen: '127.0.0.1:7769' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }))
  const r2 = checkConfig(ilpdPath, nocert)
  t.check('tls: --check-config refuses tls = on without cert_file', r2.code === 1 && /:\d+: /.test(r2.out),
    'exit ' + r2.code + ': ' + r2.out.trim())
}

// -------- 2. ilpd's TLS listener, node clients

async function listenerTests (t, ilpdPath, dir, pki, ilpctl) {
  const ca = pki.read('ca.pem')
  const ilpd = await startTlsIlpd(ilpdPath, dir, 'ilpd-listener', {
    node: { address: ADDR, asset_code: 'XRP', asset_scale: 9 },
    btp: { tls: 'on' },
    peers: {
      alice: { relation: 'child', token: 'alice-token' },
      bob: { relation: 'child', token: 'bob-token' },
      carol: { relation: 'child', token: 'carol-token' }   // ilpctl's
    }
  }, { cert_file: pki.file('server.pem'), key_file: pki.file('server.key') })
  const port = ilpd.btpPort
  const plugins = []
  try {
    let alice, bob
    try {
      alice = await wssClient(port, 'alice', 'alice-token', { ca })
      plugins.push(alice)
      bob = await wssClient(port, 'bob', 'bob-token', { ca })
      plugins.push(bob)
      t.pass('tls listener: ilp-plugin-btp clients authenticate over btp+wss://localhost')
    } catch (e) {
      t.fail('tls listener: ilp-plugin-btp clients authenticate over btp+wss://localhost', e.message)
      return
    }
    try {
      const info = await lib.withTimeout(ILDCP.fetch(alice.sendData.bind(alice)), 5000, 'IL-DCP')
      t.eq('tls listener: IL-DCP over wss', info.clientAddress + ' ' + info.assetCode + '/' + info.assetScale,
        ADDR + '.alice XRP/9')
    } catch (e) {
      t.fail('tls listener: IL-DCP over wss', e.message)
    }
    bob.registerDataHandler(async (buf) => sinkAnswer(buf, ADDR + '.bob'))
    {
      const { ok, r } = await payToSink(alice, ADDR + '.bob.one', 1234)
      t.check('tls listener: prepare alice -wss-> ilpd -wss-> bob fulfilled', ok, lib.describe(r))
      const n = 500
      const rs = await Promise.all(Array.from({ length: n }, (_, i) => payToSink(alice, ADDR + '.bob.m' + i, 1)))
      t.eq('tls listener: ' + n + ' concurrent prepares over wss fulfilled', rs.filter((x) => x.ok).length, n)
    }
    {
      const big = crypto.randomBytes(32000)   // several TLS records each way
      const f = sinkFulfillment(big)
      const r = await lib.sendPrepare(alice, {
        amount: 1, destination: ADDR + '.bob.big', data: big,
        condition: crypto.createHash('sha256').update(f).digest()
      })
      t.check('tls listener: a prepare with 32000 bytes of data fulfilled', r.type === 'fulfill' && r.fulfillment.equals(f), lib.describe(r))
    }
    const p = await tlsProbe(port, { ca })
    t.check('tls listener: TLS 1.2 or 1.3 negotiated with node', /^TLSv1\.[23]$/.test(p.protocol || ''), JSON.stringify(p))
    t.check('tls listener: a modern suite (ECDHE + AES-GCM or ChaCha20)',
      /^TLS_(ECDHE_\w+_WITH_)?(AES_\d+_GCM|CHACHA20_POLY1305)_SHA\d+$/.test(p.cipher || ''), p.cipher || p.error)
    t.eq('tls listener: node sees the server.pem key', p.pin, pki.pin('server'))
    const cbc = await tlsProbe(port, { ca, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA' })
    t.check('tls listener: a client offering only CBC suites is refused', !!cbc.error, JSON.stringify(cbc))
    t.check('tls listener: node without ca.pem refuses ilpd', (await wssProbe(port, {})) !== 'open')
    {
      const ws = new WebSocket('ws://127.0.0.1:' + port + '/')
      const r = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), 5000)
        ws.on('open', () => { clearTimeout(timer); resolve('open') })
        ws.on('error', (e) => { clearTimeout(timer); resolve(e.code || e.message) })
      })
      try { ws.terminate() } catch (e) {}
      t.check('tls listener: a plain ws:// client is not upgraded', r !== 'open', r)
    }
    t.check('tls listener: a failed inbound handshake is logged as conn.tls_failed',
      await waitFor(() => logLines(ilpd, 'conn.tls_failed').length > 0, 3000), logLines(ilpd, 'conn.tls_failed')[0])
    t.check('tls listener: alice still forwards', (await payToSink(alice, ADDR + '.bob.after')).ok)

    if (ilpctl) {
      const base = ['--url', 'wss://localhost:' + port + '/', '--token', 'carol-token', '--username', 'carol',
        '--to', ADDR + '.bob.ctl', '--amount', '1']
      const r = await ilpctlSend(ilpctl, base.concat(['--ca', pki.file('ca.pem'), '--count', '5000', '--window', '100']))
      t.check('tls listener: ilpctl send over wss:// with --ca: 5000 fulfilled by ilp-plugin-btp bob',
        r.code === 0 && /^sent=5000 fulfilled=5000 /.test(r.summary + ' '), 'exit ' + r.code + ': ' + r.out)
      const r2 = await ilpctlSend(ilpctl, base.concat(['--ca', pki.file('other-ca.pem'), '--count', '1', '--window', '1']), 15000)
      t.check('tls listener: ilpctl send with the wrong CA fails: unknown CA', r2.code === 1 && /TLS: unknown CA/.test(r2.out),
        'exit ' + r2.code + ': ' + r2.out)
      const r3 = await ilpctlSend(ilpctl, base.concat(['--pin', pki.pin('server'), '--count', '10', '--window', '10']), 15000)
      t.check('tls listener: ilpctl send with --pin of server.pem (no CA)', r3.code === 0, 'exit ' + r3.code + ': ' + r3.out)
    }
    try {
      const m = await lib.httpGet(ilpd.adminPort, '/metrics')
      const ok = /^ilpd_tls_handshakes_total\{result="ok"\} (\d+)/m.exec(m.body)
      const bad = /^ilpd_tls_handshakes_total\{result="failed"\} (\d+)/m.exec(m.body)
      t.check('tls listener: /metrics counts handshakes ok and failed',
        ok && bad && Number(ok[1]) >= 2 && Number(bad[1]) >= 1, ok && bad ? ok[0] + ', ' + bad[0] : 'missing')
    } catch (e) {
      t.fail('tls listener: /metrics', e.message)
    }
  } finally {
    for (const p of plugins) await p.disconnect().catch(() => {})
    const st = await ilpd.stop()
    t.check('tls listener: ilpd exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
    if (t.failed) console.log(ilpd.tail(30))
  }

  // an RSA server key
  const rsa = await startTlsIlpd(ilpdPath, dir, 'ilpd-rsa', {
    node: { address: ADDR },
    btp: { tls: 'on' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }, { cert_file: pki.file('rsa-server.pem'), key_file: pki.file('rsa-server.key') })
  try {
    const p = await tlsProbe(rsa.btpPort, { ca })
    t.check('tls listener (RSA key): node connects, ECDHE_RSA or TLS 1.3',
      !p.error && /ECDHE_RSA|^TLS_(AES|CHACHA)/.test(p.cipher), JSON.stringify(p))
    const a = await wssClient(rsa.btpPort, 'alice', 'alice-token', { ca }).catch((e) => e)
    if (t.check('tls listener (RSA key): ilp-plugin-btp authenticates', !(a instanceof Error), a.message)) {
      await a.disconnect().catch(() => {})
    }
  } finally {
    await rsa.stop()
  }
}

// An ilpd serving expired.pem: node's client (the plugin) refuses it.
async function listenerRefusedTests (t, ilpdPath, dir, pki) {
  const ca = pki.read('ca.pem')
  const ilpd = await startTlsIlpd(ilpdPath, dir, 'ilpd-expired', {
    node: { address: ADDR },
    btp: { tls: 'on' },
    peers: { alice: { relation: 'child', token: 'alice-token' } }
  }, { cert_file: pki.file('expired.pem'), key_file: pki.file('expired.key') })
  try {
    t.eq('tls listener with expired.pem: node refuses it', await wssProbe(ilpd.btpPort, { ca }), 'CERT_HAS_EXPIRED')
    const r = await wssClient(ilpd.btpPort, 'alice', 'alice-token', { ca }, 3000).then((p) => {
      p.disconnect().catch(() => {})
      return 'connected'
    }, (e) => e.message)
    t.check('tls listener with expired.pem: ilp-plugin-btp does not connect', r !== 'connected', r)
    const h = await lib.health(ilpd.adminPort)
    t.check('tls listener with expired.pem: alice not connected in /health',
      !(h.peers || []).some((p) => p.connected), JSON.stringify(h.peers))
  } finally {
    await ilpd.stop()
  }
}

// -------- 3. ilpd as a wss:// client of node https+ws BTP servers

// What each verification failure's reason must say (the contract names
// them "certificate expired", "unknown CA", "name mismatch", "pin
// mismatch"; both backends print exactly these, net/src/tls_common.c).
const REASONS = {
  'certificate expired': /certificate expired/,
  'unknown CA': /unknown CA/,
  'name mismatch': /name mismatch/,
  'pin mismatch': /pin mismatch/
}

function reasonOk (line, want) {
  const m = /reason="([^"]*)"/.exec(line || '')
  if (!m) return false
  return Object.entries(REASONS).every(([k, re]) => re.test(m[1]) === (k === want))
}

const CLIENT_CASES = [
  // peer name, server cert, key, extra peer keys, expected: 'up' or the reason
  ['good', 'server.pem', 'server.key', {}, 'up'],
  ['chain', 'chain.pem', 'server.key', {}, 'up'],
  ['rsa', 'rsa-server.pem', 'rsa-server.key', {}, 'up'],
  ['pinok', 'selfsigned.pem', 'selfsigned.key', { tls_pin: 'selfsigned' }, 'up'],
  ['sni', 'wrongname.pem', 'wrongname.key', { tls_server_name: 'not-this-host.example' }, 'up'],
  ['expired', 'expired.pem', 'expired.key', {}, 'certificate expired'],
  ['wrongname', 'wrongname.pem', 'wrongname.key', {}, 'name mismatch'],
  ['selfsigned', 'selfsigned.pem', 'selfsigned.key', {}, 'unknown CA'],
  ['pinbad', 'server.pem', 'server.key', { tls_pin: 'selfsigned' }, 'pin mismatch']
]

async function clientTests (t, ilpdPath, dir, pki, ilpctl) {
  const servers = {}
  let ilpd = null
  const plugins = []
  try {
    const peers = {
      alice: { relation: 'child', token: 'alice-token' },
      carol: { relation: 'child', token: 'carol-token' }   // ilpctl's
    }
    const routes = {}
    for (const [name, cert, key, extra] of CLIENT_CASES) {
      const s = servers[name] = await nodeBtpServer(pki, cert, key, name + '-token')
      const p = { relation: 'peer', url: 'wss://localhost:' + s.port + '/', token: name + '-token' }
      for (const [k, v] of Object.entries(extra)) p[k] = k === 'tls_pin' ? pki.pin(v) : v
      peers[name] = p
      routes['test.' + name] = name
    }
    ilpd = await startTlsIlpd(ilpdPath, dir, 'ilpd-client', { node: { address: ADDR }, peers, routes },
      { ca_file: pki.file('ca.pem') })
    for (const [name, , , extra, want] of CLIENT_CASES) {
      const what = name + (extra.tls_pin ? ' (tls_pin)' : '') + (extra.tls_server_name ? ' (tls_server_name)' : '')
      if (want === 'up') {
        try {
          await lib.waitPeerUp(ilpd.adminPort, name, 10000)
          t.check('tls client: ilpd connects to the node wss:// server: ' + what, servers[name].auths >= 1,
            'auths ' + servers[name].auths)
        } catch (e) {
          t.fail('tls client: ilpd connects to the node wss:// server: ' + what,
            e.message + ' ' + (logLines(ilpd, 'peer.tls_failed', name)[0] || ''))
        }
      } else {
        const lines = await waitFor(() => {
          const l = logLines(ilpd, 'peer.tls_failed', name)
          return l.length >= 2 ? l : null
        }, 10000) || logLines(ilpd, 'peer.tls_failed', name)
        t.check('tls client: ' + what + ' -> peer.tls_failed, reason says ' + want,
          lines.length > 0 && reasonOk(lines[0], want) && / level=warn /.test(' ' + lines[0] + ' '),
          lines[0] || 'no peer.tls_failed line for ' + name)
        t.check('tls client: ' + what + ': the failed handshake is retried', lines.length >= 2, lines.length + ' attempt(s) logged')
        t.eq('tls client: ' + what + ': no BTP auth reached the server', servers[name].auths, 0)
      }
    }
    const h = await lib.health(ilpd.adminPort)
    const up = (h.peers || []).filter((p) => p.connected).map((p) => p.name).sort().join(',')
    t.eq('tls client: /health: exactly the good peers connected', up, 'chain,good,pinok,rsa,sni')

    // packets from a child of ilpd reach the node servers and are fulfilled
    let alice
    try {
      alice = await lib.btpClient(ilpd.btpPort, 'alice', 'alice-token')
      plugins.push(alice)
    } catch (e) {
      t.fail('tls client: alice connects over plain ws', e.message)
      return
    }
    for (const name of ['good', 'rsa', 'pinok', 'sni']) {
      const rs = await Promise.all(Array.from({ length: 100 }, () => payToSink(alice, 'test.' + name + '.x')))
      t.eq('tls client: alice -ws-> ilpd -wss-> node ' + name + ': 100 prepares fulfilled', rs.filter((x) => x.ok).length, 100)
    }
    {
      const r = await payToSink(alice, 'test.expired.x')
      t.check('tls client: a prepare to the peer with the expired cert is rejected T01',
        r.r.type === 'reject' && r.r.code === 'T01', lib.describe(r.r))
    }
    if (ilpctl) {
      const r = await ilpctlSend(ilpctl, ['--url', 'ws://127.0.0.1:' + ilpd.btpPort + '/', '--token', 'carol-token',
        '--username', 'carol', '--to', 'test.good.ctl', '--count', '10000', '--window', '100', '--amount', '1'])
      t.check('tls client: ilpctl send -> ilpd -wss-> node server: 10000 fulfilled',
        r.code === 0 && /^sent=10000 fulfilled=10000 /.test(r.summary + ' '), 'exit ' + r.code + ': ' + r.out)
    }
  } finally {
    for (const p of plugins) await p.disconnect().catch(() => {})
    if (ilpd) {
      const st = await ilpd.stop()
      t.check('tls client: ilpd exits cleanly on SIGTERM', st.code === 0, JSON.stringify(st))
      if (t.failed) console.log(ilpd.tail(30))
    }
    for (const s of Object.values(servers)) await s.close()
  }
}

// ca_file = other-ca.pem: server.pem (from ca.pem) is from an unknown CA.
async function otherCaTest (t, ilpdPath, dir, pki) {
  const s = await nodeBtpServer(pki, 'server.pem', 'server.key', 'x-token')
  let ilpd = null
  try {
    ilpd = await startTlsIlpd(ilpdPath, dir, 'ilpd-otherca', {
      node: { address: ADDR },
      peers: { otherca: { relation: 'peer', url: 'wss://localhost:' + s.port + '/', token: 'x-token' } }
    }, { ca_file: pki.file('other-ca.pem') })
    const lines = await waitFor(() => {
      const l = logLines(ilpd, 'peer.tls_failed', 'otherca')
      return l.length ? l : null
    }, 10000) || []
    t.check('tls client: ca_file = other-ca.pem, server.pem -> peer.tls_failed, reason says unknown CA',
      lines.length > 0 && reasonOk(lines[0], 'unknown CA'), lines[0] || 'no peer.tls_failed line')
    t.eq('tls client: other CA: no BTP auth reached the server', s.auths, 0)
  } finally {
    if (ilpd) await ilpd.stop()
    await s.close()
  }
}

// for bench/bench.js (TLS rows)
module.exports.makeCerts = makeCerts
module.exports.tlsBackend = tlsBackend
module.exports.startTlsIlpd = startTlsIlpd
