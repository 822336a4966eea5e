// The test server as a standalone process, to try the CLI or a program against it by hand:
//   npm run esdb:test-server -- --port 2113 [--host 127.0.0.1] [--max-append-size BYTES] [--no-batch-append]
// then connect with esdb://127.0.0.1:2113?tls=false. Data lives in memory and is gone when the process ends.
import { parseArgs } from "node:util"
import { startTestServer } from "./TestServer.js"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "2113" },
    host: { type: "string", default: "127.0.0.1" },
    "max-append-size": { type: "string" },
    "no-batch-append": { type: "boolean", default: false }
  }
})

const port = Number(values.port)
const maxAppendSize = values["max-append-size"] === undefined ? undefined : Number(values["max-append-size"])
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got ${values.port}`)
  process.exit(2)
}
if (maxAppendSize !== undefined && !(Number.isInteger(maxAppendSize) && maxAppendSize > 0)) {
  console.error(`--max-append-size must be a positive integer, got ${values["max-append-size"]}`)
  process.exit(2)
}

const server = await startTestServer({
  port,
  host: values.host,
  batchAppend: !values["no-batch-append"],
  ...(maxAppendSize === undefined ? {} : { maxAppendSize })
})
console.log(`EventStoreDB test server listening on ${server.url} (in memory; Ctrl-C to stop)`)
const stop = () => {
  void server.stop().then(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
