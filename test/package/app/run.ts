/**
 * Runs `order` on the SQLite store in `app.db`: one instance shipped, one left waiting for Dispatch. Prints each
 * instance's state as JSON, one line each, for the packaging test to compare.
 */
import { Effect, Layer } from "effect"
import { WorkflowRuntime } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { AddQuantity, Cart, Dispatch, order } from "./order.js"

const program = Effect.gen(function* () {
  const runtime = yield* WorkflowRuntime
  const shipped = yield* runtime.start(order, { id: "o-1", input: new Cart({ sku: "tea" }) })
  yield* shipped.signal(AddQuantity, { qty: 1 })
  yield* shipped.signal(Dispatch, { parcels: 2 })
  const waiting = yield* runtime.start(order, { id: "o-2", input: new Cart({ sku: "cups" }) })
  yield* waiting.signal(AddQuantity, { qty: 2.5 })
  for (const instance of [shipped, waiting]) console.log(JSON.stringify(yield* instance.state))
})

await Effect.runPromise(
  program.pipe(Effect.provide(WorkflowRuntime.layer.pipe(Layer.provide(SqliteStore.layer({ file: "app.db" })))))
)
