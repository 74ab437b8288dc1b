'use strict'
// The soak's stand-in network pieces, on 127.0.0.1 only (tests/soak/soak.js
// starts, kills and restarts them by PID):
//
//   node proxy.js socks PORT NAME...   a SOCKS5 proxy (RFC 1928 CONNECT, no
//       auth or RFC 1929 username/password with any credentials, as tor's
//       IsolateSOCKSAuth accepts). It connects only to 127.0.0.1: a CONNECT
//       to one of the NAMEs or to 127.0.0.1 goes to 127.0.0.1:port; any other
//       destination gets REP 0x02 (not allowed by ruleset). A greeting that
//       is never followed by a request (ilpd's proxy probe) is just closed.
//   node proxy.js relay PORT TO_PORT   a plain TCP relay 127.0.0.1:PORT ->
//       127.0.0.1:TO_PORT (carries the wss:// link between two nodes, so the
//       driver can cut it abruptly with kill -9).
//
// Prints "ready port=PORT" once listening. Killing the process drops every
// tunnelled connection at once: that is the point.
const net = require('net')

const [mode, portArg, ...rest] = process.argv.slice(2)
const port = Number(portArg)
if (!(mode === 'socks' || mode === 'relay') || !(port > 0)) {
  console.error('usage: proxy.js socks PORT NAME... | relay PORT TO_PORT')
  process.exit(2)
}

function pipe (a, b) {
  a.on('error', () => b.destroy())
  b.on('error', () => a.destroy())
  a.on('close', () => b.destroy())
  b.on('close', () => a.destroy())
  a.pipe(b)
  b.pipe(a)
}

function relay (client, toPort) {
  const up = net.connect(toPort, '127.0.0.1')
  client.pause()
  up.once('connect', () => { pipe(client, up); client.resume() })
  up.once('error', () => client.destroy())
  client.on('error', () => up.destroy())
}

// One SOCKS5 client: greeting, optional auth, CONNECT, then a plain pipe.
function socks (client, names) {
  let buf = Buffer.alloc(0)
  let state = 'greeting'
  const fail = () => client.destroy()
  const reply = (rep) => Buffer.from([5, rep, 0, 1, 127, 0, 0, 1, 0, 0])
  client.on('error', () => {})
  const onData = (d) => {
    buf = Buffer.concat([buf, d])
    for (;;) {
      if (state === 'greeting') {
        if (buf.length < 2) return
        if (buf[0] !== 5) return fail()
        const n = buf[1]
        if (buf.length < 2 + n) return
        const methods = [...buf.subarray(2, 2 + n)]
        buf = buf.subarray(2 + n)
        if (methods.includes(2)) { client.write(Buffer.from([5, 2])); state = 'auth' } else if (methods.includes(0)) { client.write(Buffer.from([5, 0])); state = 'request' } else { client.end(Buffer.from([5, 0xff])); return }
      } else if (state === 'auth') {
        if (buf.length < 2) return
        const ul = buf[1]
        if (buf.length < 3 + ul) return
        const pl = buf[2 + ul]
        if (buf.length < 3 + ul + pl) return
        buf = buf.subarray(3 + ul + pl)
        client.write(Buffer.from([1, 0]))
        state = 'request'
      } else if (state === 'request') {
        if (buf.length < 5) return
        if (buf[0] !== 5 || buf[1] !== 1) { client.end(reply(7)); return }
        let host, off
        if (buf[3] === 1) {
          if (buf.length < 10) return
          host = [...buf.subarray(4, 8)].join('.')
          off = 8
        } else if (buf[3] === 3) {
          const hl = buf[4]
          if (buf.length < 5 + hl + 2) return
          host = buf.subarray(5, 5 + hl).toString('latin1')
          off = 5 + hl
        } else { client.end(reply(8)); return }
        const toPort = buf.readUInt16BE(off)
        const extra = buf.subarray(off + 2)
        client.removeListener('data', onData)
        if (host !== '127.0.0.1' && !names.includes(host.toLowerCase())) { client.end(reply(2)); return }
        client.pause()
        const up = net.connect(toPort, '127.0.0.1')
        up.once('connect', () => {
          client.write(reply(0))
          if (extra.length) up.write(extra)
          pipe(client, up)
          client.resume()
        })
        up.once('error', () => { if (!client.destroyed) client.end(reply(5)) })
        return
      } else return
    }
  }
  client.on('data', onData)
}

const server = net.createServer((c) => {
  if (mode === 'relay') relay(c, Number(rest[0]))
  else socks(c, rest.map((s) => s.toLowerCase()))
})
server.on('error', (e) => { console.error('proxy: ' + e.message); process.exit(1) })
server.listen(port, '127.0.0.1', () => console.log('ready port=' + port))
