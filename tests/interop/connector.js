'use strict'
// Runs the reference ilp-connector 23.0.2 from a JSON file holding its
// createApp() options (the same keys as its CONNECTOR_* environment:
// env, ilpAddress, backend, spread, store, accounts, routes,
// disableMiddleware, adminApi, adminApiPort, ...).
//
//   node connector.js CONFIG.json
//
// Prints "READY address=ADDR pid=PID" on stdout once listen() has finished
// (accounts connected or initialConnectTimeout passed). SIGTERM or SIGINT:
// shutdown() and exit 0 (exit 1 if that takes more than 3 s). Used by the
// interop suite (t_connector.js) and the benchmark (bench/run.sh).

const fs = require('fs')
const path = require('path')

if (process.argv.length !== 3) {
  console.error('usage: node connector.js CONFIG.json')
  process.exit(2)
}
const opts = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
// ilp-connector loads plugins by name; make ours (pinned in this folder's
// lock file) the ones it finds, whatever the working directory.
module.paths.unshift(path.join(__dirname, 'node_modules'))
const { createApp } = require('ilp-connector')

const app = createApp(opts)
let stopping = false

async function stop () {
  if (stopping) return
  stopping = true
  const t = setTimeout(() => process.exit(1), 3000)
  try {
    await app.shutdown()
  } catch (e) {
    console.error('shutdown failed: ' + e.message)
  }
  clearTimeout(t)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

app.listen().then(() => {
  console.log('READY address=' + opts.ilpAddress + ' pid=' + process.pid)
}, (e) => {
  console.error('listen failed: ' + (e && e.stack ? e.stack : e))
  process.exit(1)
})
