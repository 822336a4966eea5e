// The public contract suite on the EventStoreDB adapter: over the in-process test server always, and over a real
// server when EVENTSTORE_URL is set (e.g. EVENTSTORE_URL='esdb://localhost:2113?tls=false' npm test).
import { Effect, Layer } from "effect"
import { EventStoreDB } from "durable-monad/eventstoredb"
import { storeContract } from "durable-monad/testing"
import { describe, it } from "vitest"
import { startTestServer } from "../../support/eventstoredb/TestServer.js"

/** A fresh test server for each test, stopped with the store. */
const onTestServer = Layer.unwrap(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => startTestServer()),
      (server) => Effect.promise(() => server.stop())
    ),
    (server) => EventStoreDB.layer(server.url)
  )
)

storeContract({ describe, it }, { name: "eventstoredb (test server)", makeLayer: () => onTestServer })

const url = process.env.EVENTSTORE_URL
if (url === undefined || url === "") {
  console.info(
    "EventStoreDB contract on a real server: skipped (set EVENTSTORE_URL=esdb://host:2113?tls=false, see docs/eventstoredb.md)"
  )
  describe("EventStore contract: eventstoredb (real server)", () => {
    it.skip("skipped: set EVENTSTORE_URL=esdb://host:2113?tls=false to run the contract against a real server (docs/eventstoredb.md)", () => {})
  })
} else {
  // One server for every test: each test gets its own namespace, so it sees an empty store.
  let tests = 0
  const run = Date.now().toString(36)
  storeContract(
    { describe, it },
    {
      name: `eventstoredb (${url})`,
      makeLayer: () => EventStoreDB.layer({ connectionString: url, namespace: `t${run}x${++tests}.` })
    }
  )
}
