'use strict'
// Interop tests of ilpd against the reference JavaScript Interledger stack.
//
//   node interop.js ILPD_PATH [SUITE...]      suites: btp stream connector ownspace tls ccp
//
// Each suite starts its own ilpd (temp config, free loopback ports) and
// stops every process it started. Prints "PASS:"/"FAIL:" lines and
// "N passed, N failed" last; exit status 1 on any failure. Temp dirs
// (configs, logs) are removed unless something failed or KEEP=1.

const fs = require('fs')
const path = require('path')
const lib = require('./lib')

const SUITES = {
  btp: { fn: require('./t_btp'), timeoutMs: 90000 },
  stream: { fn: require('./t_stream'), timeoutMs: 150000 },
  connector: { fn: require('./t_connector'), timeoutMs: 180000 },
  ownspace: { fn: require('./t_ownspace'), timeoutMs: 120000 },
  tls: { fn: require('./t_tls'), timeoutMs: 150000 },
  ccp: { fn: require('./t_ccp'), timeoutMs: 150000 }
}

async function main () {
  const args = process.argv.slice(2)
  if (args.length < 1) {
    console.error('usage: node interop.js ILPD_PATH [' + Object.keys(SUITES).join('|') + ']...')
    process.exit(2)
  }
  const ilpd = path.resolve(args[0])
  const names = args.length > 1 ? args.slice(1) : Object.keys(SUITES)
  const t = new lib.Runner()
  try {
    fs.accessSync(ilpd, fs.constants.X_OK)
  } catch (e) {
    t.fail('ilpd executable', ilpd + ': ' + e.message)
    t.summary()
    process.exit(1)
  }
  for (const name of names) {
    const s = SUITES[name]
    if (!s) {
      t.fail('unknown suite ' + name)
      continue
    }
    console.log('== ' + name)
    const t0 = Date.now()
    const firstRun = lib.ilpdRuns.length
    try {
      await lib.withTimeout(s.fn(t, ilpd), s.timeoutMs, 'suite ' + name)
      // A sanitizer build (ASan/UBSan) reports into ilpd's log.
      const logs = lib.ilpdRuns.slice(firstRun).map((c) => c.log()).join('\n')
      const m = /^.*(runtime error:|Sanitizer).*$/m.exec(logs)
      t.check(name + ': no sanitizer reports in ilpd\'s logs', !m, m ? m[0] : '')
    } catch (e) {
      t.fail('suite ' + name, e.stack || e.message)
      if (/timed out/.test(e.message)) {
        // the suite's own cleanup never ran: end here, killing every child
        t.summary()
        process.exit(1)
      }
    }
    console.log('== ' + name + ' done in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s')
  }
  lib.cleanTmpDirs(t.failed > 0 || process.env.KEEP === '1')
  t.summary()
  process.exit(t.failed ? 1 : 0)
}

main()
