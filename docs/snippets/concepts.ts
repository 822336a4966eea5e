/**
 * The code samples of docs/concepts.md. This file is typechecked with the rest of the project, and a test
 * checks that every `// #region name` here appears verbatim in concepts.md, so the docs cannot rot.
 */
// #region imports
import { Context, Effect, Layer, Result, Schema, Stream } from "effect"
import { type Caught, EventStore, MemoryStore, replay, Signal, Worker, Workflow } from "durable-monad"
// #endregion imports

// #region step
class Order extends Schema.TaggedClass<Order>()("Order", { id: Schema.String, total: Schema.Number }) {}
class Paid extends Schema.TaggedClass<Paid>()("Paid", { id: Schema.String, receipt: Schema.String }) {}
class Charged extends Schema.TaggedClass<Charged>()("Charged", { receipt: Schema.String }) {}
class CardDeclined extends Schema.TaggedError<CardDeclined>()("CardDeclined", {}) {}

class Payments extends Context.Service<
  Payments,
  { readonly charge: (amount: number, idempotencyKey: string) => Effect.Effect<string> }
>()("Payments") {}

const charge = Workflow.step({
  name: "Charge card",
  event: Charged, // the Schema of the persisted event
  run: (order: Order, ctx) =>
    Effect.map(
      Payments.use((p) => p.charge(order.total, ctx.idempotencyKey)),
      (receipt) => new Charged({ receipt })
    ),
  apply: (order, charged) =>
    charged.receipt === "" ? Workflow.fail(new CardDeclined()) : new Paid({ id: order.id, receipt: charged.receipt })
})
// charge: Workflow<Order, Paid, CardDeclined, Payments, Order | Paid>
// #endregion step

// #region signal
class Shipped extends Schema.TaggedClass<Shipped>()("Shipped", { id: Schema.String, tracking: Schema.String }) {}
class Dispatched extends Schema.TaggedClass<Dispatched>()("Dispatched", { tracking: Schema.String }) {}

const Dispatch = Signal.make("Dispatch", {
  request: Schema.Struct({ tracking: Schema.String }),
  response: Schema.String
})

const waitForDispatch = Workflow.awaitSignal(Dispatch, {
  name: "Wait for dispatch",
  event: Dispatched,
  handle: (_: Paid, request) => new Dispatched({ tracking: request.tracking }),
  apply: (paid, dispatched) => new Shipped({ id: paid.id, tracking: dispatched.tracking }),
  respond: (paid) => `order ${paid.id} dispatched`
})
// #endregion signal

// #region compose
class Refunded extends Schema.TaggedClass<Refunded>()("Refunded", { id: Schema.String }) {}

const fulfil = charge.pipe(Workflow.andThen(waitForDispatch))

const refund = Workflow.pure("Refund", ({ state }: Workflow.CaughtOf<typeof fulfil>) => new Refunded({ id: state.id }))

export const orders = fulfil.pipe(
  Workflow.catch(refund), // CardDeclined is handled: the error channel is now `never`
  Workflow.define({ name: "orders", input: Order })
)
// #endregion compose

// #region branch-loop
type Cart = { readonly items: ReadonlyArray<number>; readonly checked: number }

const review = Workflow.branch({
  name: "Cart size?",
  arms: [
    Workflow.when(
      "more than 10 items",
      (c: Cart) => c.items.length > 10,
      Workflow.pure("Flag for review", (c: Cart) => c)
    )
  ]
  // no `otherwise`: a cart that matches no arm passes through unchanged
})

const checkAll = Workflow.loop({
  name: "Check items",
  body: Workflow.pure("Check one item", (c: Cart) => ({ ...c, checked: c.checked + 1 })),
  exit: { name: "all checked", when: (c) => c.checked >= c.items.length }
})

const cartFlow = review.pipe(
  Workflow.andThen(checkAll),
  Workflow.andThen(
    Workflow.branch({
      arms: [Workflow.when("empty", (c: Cart) => c.items.length === 0, Workflow.end("Nothing to do"))],
      otherwise: Workflow.pure((c: Cart) => c.checked) // anonymous: not drawn
    })
  )
)
// #endregion branch-loop

// #region run
const payments = Layer.succeed(Payments, { charge: (_, key) => Effect.succeed(`receipt-${key}`) })

const program = Effect.gen(function* () {
  const worker = yield* Worker
  // Once, at start-up: the definition and the services its steps need. Instances left runnable by a previous
  // process are found in the store's registry and run now, with no resume call.
  yield* worker.register(orders, payments)
  const order = yield* worker.start(orders, { id: "o-1", input: new Order({ id: "o-1", total: 30 }) })
  const reply = yield* order.signal(Dispatch, { tracking: "1Z999" }) // "order o-1 dispatched"
  const state = yield* order.state // Shipped { id: "o-1", tracking: "1Z999" }
  const journal = yield* order.journal // WorkflowStarted, Charged, Dispatched
  return { reply, state, journal }
})

const worker = Worker.layer().pipe(Layer.provide(MemoryStore.layer))

// The worker drains running steps when its scope closes.
export const run = () => Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(worker)))
// #endregion run

// #region replay
const audit = Effect.gen(function* () {
  const store = yield* EventStore
  const history = yield* Stream.runCollect(store.read("orders-o-1"))
  const result = replay(orders, "orders-o-1", history, { timeline: true })
  if (Result.isFailure(result)) return yield* Effect.fail(result.failure) // NonDeterminismError, …
  for (const entry of result.success.timeline) {
    console.log(entry.revision, entry.step, entry.type, entry.state)
  }
})
// #endregion replay

export const samples = { cartFlow, audit } satisfies Record<string, unknown>
export type Handler = Caught<Order | Paid, CardDeclined>
