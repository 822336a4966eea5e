import { Context, Deferred, Effect, Layer, Option, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  DefinitionNotRegistered,
  EventStore,
  InvalidSignalPayload,
  MemoryStore,
  NonDeterminismError,
  Signal,
  Workflow,
  Worker,
  type WorkerOptions,
  WorkflowRuntime
} from "../../../src/index.js"
import { readStream, runOn, runWorker } from "../../support.js"

// ---- an order: reserve (a service call), wait for Pay, ship; a declined card is a business error ----

class Reserved extends Schema.TaggedClass<Reserved>()("Reserved", { sku: Schema.String }) {}
class Paid extends Schema.TaggedClass<Paid>()("Paid", { amount: Schema.Number }) {}
class Shipped extends Schema.TaggedClass<Shipped>()("Shipped", { by: Schema.String }) {}
class CardDeclined extends Schema.TaggedError<CardDeclined>()("CardDeclined", { reason: Schema.String }) {}

const Pay = Signal.make("Pay", { request: Schema.Struct({ amount: Schema.Number }), response: Schema.String })

/** The warehouse the steps call: provided at registration, never by callers. */
class Warehouse extends Context.Service<
  Warehouse,
  {
    readonly reserve: (sku: string, key: string) => Effect.Effect<void, CardDeclined | Error>
    readonly ship: () => Effect.Effect<string, Error>
  }
>()("test/Warehouse") {}

interface Order {
  readonly sku: string
  readonly paid?: number
  readonly shipped?: string
}

const reserve = Workflow.step({
  name: "Reserve",
  event: Reserved,
  errors: [CardDeclined],
  run: (o: Order, ctx) =>
    Effect.as(
      Warehouse.use((w) => w.reserve(o.sku, ctx.idempotencyKey)),
      new Reserved({ sku: o.sku })
    ),
  apply: (o): Order => o
})
const pay = Workflow.awaitSignal(Pay, {
  name: "Pay",
  event: Paid,
  handle: (_: Order, req) => new Paid({ amount: req.amount }),
  apply: (o, e): Order => ({ ...o, paid: e.amount }),
  respond: (_, e) => `paid ${e.amount}`
})
const ship = Workflow.step({
  name: "Ship",
  event: Shipped,
  run: (_: Order) =>
    Effect.map(
      Warehouse.use((w) => w.ship()),
      (by) => new Shipped({ by })
    ),
  apply: (o, e): Order => ({ ...o, shipped: e.by })
})
const cancel = Workflow.pure(
  "Cancel",
  ({ state }: { state: Order; error: CardDeclined }): Order => ({
    ...state,
    shipped: "cancelled"
  })
)
const Input = Schema.Struct({ sku: Schema.String })
const order = reserve.pipe(
  Workflow.andThen(pay),
  Workflow.andThen(ship),
  Workflow.catch(cancel),
  Workflow.define({ name: "order", input: Input })
)

/** Waits for Pay at once, then ships. */
const payFirst = pay.pipe(Workflow.andThen(ship), Workflow.define({ name: "payFirst", input: Input }))

interface Calls {
  reserve: Array<string>
  ship: number
}
/** A warehouse whose answers the test controls. */
const warehouse = (
  behaviour: {
    readonly reserve?: (sku: string) => Effect.Effect<void, CardDeclined | Error>
    readonly ship?: () => Effect.Effect<string, Error>
  } = {}
) => {
  const calls: Calls = { reserve: [], ship: 0 }
  const layer = Layer.succeed(Warehouse, {
    reserve: (sku, key) =>
      Effect.suspend(() => {
        calls.reserve.push(key)
        return behaviour.reserve?.(sku) ?? Effect.void
      }),
    ship: () =>
      Effect.suspend(() => {
        calls.ship++
        return behaviour.ship?.() ?? Effect.succeed("truck")
      })
  })
  return { calls, layer }
}

/** Run `f` with a worker over `store` (real clock), registered for `order` with `services`. */
const withWorker = <A, E>(
  store: EventStore["Service"],
  services: Layer.Layer<Warehouse>,
  f: (worker: Worker["Service"]) => Effect.Effect<A, E>,
  options: WorkerOptions = { retryDelayMs: 1, leaseTtlMs: 200, pollIntervalMs: 20 }
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const worker = yield* Worker
        yield* worker.register(order, services)
        return yield* f(worker)
      }).pipe(Effect.provide(Worker.layer(options).pipe(Layer.provide(Layer.succeed(EventStore, store)))))
    )
  )

const types = async (store: EventStore["Service"], stream: string) =>
  (await readStream(store, stream)).map((e) => e.type)

describe("Worker", () => {
  it("provides the step services registered with the definition: callers start and signal with none", async () => {
    const store = MemoryStore.make()
    const wh = warehouse()
    const result = await withWorker(store, wh.layer, (worker) =>
      Effect.gen(function* () {
        const o = yield* worker.start(order, { id: "1", input: { sku: "A" } })
        const waiting = yield* o.status
        const reply = yield* worker.signal(order, "1", Pay, { amount: 5 })
        return { waiting, reply, status: yield* o.status, state: yield* o.state }
      })
    )
    expect(result.waiting).toEqual({ _tag: "Waiting", step: "pay", signals: ["Pay"] })
    expect(result.reply).toBe("paid 5")
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(result.state).toEqual({ sku: "A", paid: 5, shipped: "truck" })
    expect(wh.calls).toEqual({ reserve: ["order/1/reserve/0"], ship: 1 })
    expect(await types(store, "order-1")).toEqual(["WorkflowStarted", "Reserved", "Paid", "Shipped"])
  })

  it("refuses a definition that was not registered", async () => {
    const other = order.workflow.pipe(Workflow.define({ name: "other", input: Input }))
    const error = await withWorker(MemoryStore.make(), warehouse().layer, (worker) =>
      Effect.flip(worker.start(other, { id: "1", input: { sku: "A" } }))
    )
    expect(error).toEqual(new DefinitionNotRegistered({ workflow: "other" }))
  })

  it("a declared error escaping a step's Effect is a business failure: recorded, and caught by catch", async () => {
    const store = MemoryStore.make()
    const wh = warehouse({ reserve: () => Effect.fail(new CardDeclined({ reason: "expired" })) })
    const result = await withWorker(store, wh.layer, (worker) =>
      Effect.gen(function* () {
        const o = yield* worker.start(order, { id: "2", input: { sku: "A" } })
        return { status: yield* o.status, state: yield* o.state, replay: yield* o.replay }
      })
    )
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(result.state).toEqual({ sku: "A", shipped: "cancelled" })
    expect(wh.calls.reserve).toHaveLength(1)
    const events = await readStream(store, "order-2")
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ["WorkflowStarted", { input: { sku: "A" } }],
      ["StepRaised", { error: { _tag: "CardDeclined", reason: "expired" }, schema: 0 }]
    ])
    expect(result.replay.trace).toContainEqual({ _tag: "Caught", catch: "catch-1", node: "reserve" })
  })

  it("a technical failure is recorded as a failed attempt and retried; status shows the incident", async () => {
    const store = MemoryStore.make()
    let failures = 2
    const wh = warehouse({
      reserve: () => (failures-- > 0 ? Effect.fail(new Error("warehouse offline")) : Effect.void)
    })
    const status = await withWorker(store, wh.layer, (worker) =>
      Effect.flatMap(worker.start(order, { id: "3", input: { sku: "A" } }), (o) => o.status)
    )
    expect(status).toEqual({ _tag: "Waiting", step: "pay", signals: ["Pay"] })
    const events = await readStream(store, "order-3")
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ["WorkflowStarted", { input: { sku: "A" } }],
      ["AttemptFailed", { attempt: 1, error: "warehouse offline" }],
      ["AttemptFailed", { attempt: 2, error: "warehouse offline" }],
      ["Reserved", { _tag: "Reserved", sku: "A" }]
    ])
    // One execution, three attempts, one idempotency key.
    expect(wh.calls.reserve).toEqual(["order/3/reserve/0", "order/3/reserve/0", "order/3/reserve/0"])
    // The retried attempt was due 1 ms after the failure: the registry knew when to wake the instance.
    expect(typeof (events[1]!.metadata as { wakeAt: unknown }).wakeAt).toBe("number")
  })

  it("after a restart: the incident survives, and the new worker runs the instance with no resume call", async () => {
    const store = MemoryStore.make()
    const down = warehouse({ ship: () => Effect.fail(new Error("no trucks")) })
    const stuck = await withWorker(
      store,
      down.layer,
      (worker) =>
        Effect.gen(function* () {
          yield* worker.start(order, { id: "4", input: { sku: "A" } })
          yield* worker.signal(order, "4", Pay, { amount: 9 })
          return yield* worker.status(order, "4")
        }),
      { maxAttempts: 2, retryDelayMs: 1, pollIntervalMs: 60_000 }
    )
    expect(stuck).toEqual({ _tag: "Running", step: "ship", lastError: "no trucks", attempts: 2 })
    expect(down.calls.ship).toBe(2)

    // A new process: reads the incident from the journal...
    const seen = await Effect.runPromise(
      Effect.flatMap(WorkflowRuntime, (rt) => Effect.flatMap(rt.get(order, "4"), (o) => o.status)).pipe(
        Effect.provide(WorkflowRuntime.layer.pipe(Layer.provide(Layer.succeed(EventStore, store))))
      )
    )
    expect(seen).toEqual(stuck)
    // ...and a worker registered with healthy services completes it by itself.
    const healthy = warehouse()
    const done = await withWorker(store, healthy.layer, (worker) =>
      Effect.gen(function* () {
        for (let i = 0; i < 200; i++) {
          const status = yield* worker.status(order, "4")
          if (status._tag === "Completed") return status
          yield* Effect.sleep(5)
        }
        return yield* worker.status(order, "4")
      })
    )
    expect(done).toEqual({ _tag: "Completed" })
    expect(healthy.calls.ship).toBe(1)
    expect(await types(store, "order-4")).toEqual([
      "WorkflowStarted",
      "Reserved",
      "Paid",
      "AttemptFailed",
      "AttemptFailed",
      "Shipped"
    ])
  })

  it("status answers at once while a step of the same instance runs", async () => {
    const store = MemoryStore.make()
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        const entered = yield* Deferred.make<void>()
        const wh = warehouse({
          reserve: () => Effect.andThen(Deferred.succeed(entered, undefined), Deferred.await(release))
        })
        return yield* Effect.promise(() =>
          withWorker(store, wh.layer, (worker) =>
            Effect.gen(function* () {
              yield* worker.start(order, { id: "5", input: { sku: "A" }, wait: false })
              yield* Deferred.await(entered)
              // (How fast it answers is measured in bench/, not asserted here.)
              const during = yield* worker.status(order, "5")
              yield* Deferred.succeed(release, undefined)
              return { during }
            })
          )
        )
      })
    )
    expect(result.during).toEqual({ _tag: "Running", step: "reserve" })
  })

  it("graceful shutdown: a running step finishes and is recorded before the worker's scope closes", async () => {
    const store = MemoryStore.make()
    const entered = Effect.runSync(Deferred.make<void>())
    const wh = warehouse({ reserve: () => Effect.andThen(Deferred.succeed(entered, undefined), Effect.sleep(30)) })
    await withWorker(store, wh.layer, (worker) =>
      Effect.andThen(worker.start(order, { id: "6", input: { sku: "A" }, wait: false }), Deferred.await(entered))
    )
    expect(await types(store, "order-6")).toEqual(["WorkflowStarted", "Reserved"])
  })
})

describe("the fold a start made", () => {
  /** `store` with every `read` of a stream recorded. */
  const counted = (store: EventStore["Service"]) => {
    const reads: Array<string> = []
    const service: EventStore["Service"] = {
      ...store,
      read: (stream, options) => {
        reads.push(stream)
        return store.read(stream, options)
      }
    }
    return { reads, service }
  }

  it("an instance this process started and nobody ever leased runs without reading its stream back", async () => {
    const { reads, service } = counted(MemoryStore.make())
    const wh = warehouse()
    await withWorker(service, wh.layer, (worker) => worker.start(order, { id: "1", input: { sku: "A" } }))
    expect(reads).toEqual([])
    expect(await types(service, "order-1")).toEqual(["WorkflowStarted", "Reserved"])
    expect(wh.calls.reserve).toEqual(["order/1/reserve/0"])
  })

  it("an instance this process started that waits at once is not read back either", async () => {
    const { reads, service } = counted(MemoryStore.make())
    const status = await runWorker(
      service,
      (worker) =>
        Effect.gen(function* () {
          yield* worker.register(payFirst, warehouse().layer)
          yield* worker.start(payFirst, { id: "1", input: { sku: "A" } })
          const unread = [...reads]
          return { unread, status: yield* worker.status(payFirst, "1") }
        }),
      {}
    )
    expect(status.unread).toEqual([])
    expect(status.status).toEqual({ _tag: "Waiting", step: "pay", signals: ["Pay"] })
  })

  it("an instance whose key was leased before is read after taking the lease (its holder may have appended)", async () => {
    const store = MemoryStore.make()
    const { reads, service } = counted(store)
    // Another worker held the key once (version 1) and gave it up: this worker's lease is version 2.
    await Effect.runPromise(
      Effect.flatMap(store.acquireLease("order-2", "elsewhere", 1000), (lease) =>
        store.releaseLease(Option.getOrThrow(lease))
      )
    )
    const wh = warehouse()
    await withWorker(service, wh.layer, (worker) => worker.start(order, { id: "2", input: { sku: "A" } }))
    expect(reads).toEqual(["order-2"])
    expect(await types(service, "order-2")).toEqual(["WorkflowStarted", "Reserved"])
  })

  it("an event appended by another writer between the start and the first lease is not overwritten", async () => {
    const store = MemoryStore.make()
    // The other writer's event lands just before this worker's first lease: its fold is one event behind.
    let injected = false
    const service: EventStore["Service"] = {
      ...store,
      acquireLease: (key, owner, ttlMs) =>
        injected
          ? store.acquireLease(key, owner, ttlMs)
          : Effect.andThen(
              store
                .append(key, 0, [
                  {
                    id: "c3d4e5f6-0000-4000-8000-000000000001",
                    type: "Reserved",
                    data: { _tag: "Reserved", sku: "B" },
                    metadata: {
                      step: "reserve",
                      occurrence: 0,
                      at: new Date(0).toISOString(),
                      status: "Waiting"
                    }
                  }
                ])
                .pipe(
                  Effect.tap(() => Effect.sync(() => (injected = true))),
                  Effect.orDie
                ),
              store.acquireLease(key, owner, ttlMs)
            )
    }
    const wh = warehouse()
    const status = await withWorker(service, wh.layer, (worker) =>
      Effect.andThen(worker.start(order, { id: "3", input: { sku: "A" } }), worker.status(order, "3"))
    )
    // Its step ran on the stale fold, but its append conflicted: the journal keeps the other writer's event.
    const events = await readStream(store, "order-3")
    expect(events.map((e) => e.type)).toEqual(["WorkflowStarted", "Reserved"])
    expect(events[1]!.data).toEqual({ _tag: "Reserved", sku: "B" })
    expect(status).toEqual({ _tag: "Waiting", step: "pay", signals: ["Pay"] })
  })
})

describe("an instance loaded here whose stream moved elsewhere", () => {
  it("a signal another process appended, dying before what follows ran, is run by the worker that has it loaded", async () => {
    const store = MemoryStore.make()
    const wh = warehouse()
    const result = await runWorker(
      store,
      (worker) =>
        Effect.gen(function* () {
          yield* worker.register(payFirst, wh.layer)
          yield* worker.start(payFirst, { id: "1", input: { sku: "A" } })
          const before = yield* worker.status(payFirst, "1")
          // The other process's signal event (as its worker writes it), then nothing: it died.
          yield* store.append("payFirst-1", 0, [
            {
              id: "c3d4e5f6-0000-4000-8000-000000000002",
              type: "Paid",
              data: { _tag: "Paid", amount: 5 },
              metadata: {
                step: "pay",
                occurrence: 0,
                at: new Date(0).toISOString(),
                sender: "nonce:elsewhere",
                status: "Running"
              }
            }
          ])
          // The poll (every 20 ms) finds the stream ahead of the loaded fold and runs Ship.
          for (let i = 0; i < 100 && wh.calls.ship === 0; i++) yield* Effect.sleep(10)
          return { before, after: yield* worker.status(payFirst, "1") }
        }),
      { retryDelayMs: 1, leaseTtlMs: 200, pollIntervalMs: 20 }
    )
    expect(result.before).toEqual({ _tag: "Waiting", step: "pay", signals: ["Pay"] })
    expect(result.after).toMatchObject({ _tag: "Completed" })
    expect(await types(store, "payFirst-1")).toEqual(["WorkflowStarted", "Paid", "Shipped"])
    expect(wh.calls.ship).toBe(1)
  })
})

describe("defects of v1, fixed", () => {
  it("an invalid signal payload is refused before anything runs: the pending step does not run, nothing is appended", async () => {
    const store = MemoryStore.make()
    let down = true
    const wh = warehouse({ reserve: () => (down ? Effect.fail(new Error("offline")) : Effect.void) })
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        const o = yield* rt.start(order, { id: "7", input: { sku: "A" } })
        down = false
        const before = yield* o.journal
        const error = yield* Effect.flip(o.signal(Pay, { amount: "ten" } as unknown as { amount: number }))
        return { before, error, after: yield* o.journal }
      }).pipe(Effect.provide(wh.layer))
    )
    expect(result.error).toBeInstanceOf(InvalidSignalPayload)
    expect(result.error).toMatchObject({ stream: "order-7", signal: "Pay" })
    expect(result.after).toEqual(result.before)
    expect(wh.calls.reserve).toHaveLength(1)
  })

  it("a signal is validated against the registered definition's Schema, not the caller's copy of the Signal", async () => {
    const store = MemoryStore.make()
    const Loose = Signal.make("Pay", { request: Schema.Struct({ amount: Schema.String }), response: Schema.String })
    const error = await withWorker(store, warehouse().layer, (worker) =>
      Effect.gen(function* () {
        yield* worker.start(order, { id: "8", input: { sku: "A" } })
        return yield* Effect.flip(worker.signal(order, "8", Loose, { amount: "ten" }))
      })
    )
    expect(error).toBeInstanceOf(InvalidSignalPayload)
    expect(await types(store, "order-8")).toEqual(["WorkflowStarted", "Reserved"])
  })

  it("loaded instances are cached per definition: another definition of the same name does not see the first's state", async () => {
    const store = MemoryStore.make()
    const impostor = Workflow.step({
      name: "Something else",
      event: Reserved,
      run: (o: Order) => Effect.succeed(new Reserved({ sku: o.sku })),
      apply: (o): Order => o
    }).pipe(Workflow.define({ name: "order", input: Input }))
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        yield* rt.start(order, { id: "9", input: { sku: "A" } })
        return yield* Effect.flip(rt.get(impostor, "9"))
      }).pipe(Effect.provide(warehouse().layer))
    )
    expect(result).toBeInstanceOf(NonDeterminismError)
    expect(result).toMatchObject({ stream: "order-9", revision: 1, found: "reserve" })
  })

  it("two identical signals from two processes are two signals; with one idempotency key, one (and the same reply)", async () => {
    const Add = Signal.make("Add", { request: Schema.Struct({ n: Schema.Number }), response: Schema.Number })
    class Added extends Schema.TaggedClass<Added>()("Added", { n: Schema.Number }) {}
    const adder = Workflow.loop({
      name: "Adding",
      body: Workflow.awaitSignal(Add, {
        name: "Add",
        event: Added,
        handle: (_: number, r) => new Added({ n: r.n }),
        apply: (total, e) => total + e.n,
        respond: (total, e) => total + e.n
      }),
      exit: { name: "never", when: () => false }
    }).pipe(Workflow.define({ name: "adder", input: Schema.Number }))
    const store = MemoryStore.make()
    const send = (key?: string) =>
      runOn(
        store,
        Effect.gen(function* () {
          const rt = yield* WorkflowRuntime
          const a = yield* rt.get(adder, "1")
          return yield* a.signal(Add, { n: 1 }, key === undefined ? {} : { idempotencyKey: key })
        })
      )
    await runOn(
      store,
      Effect.flatMap(WorkflowRuntime, (rt) => rt.start(adder, { id: "1", input: 0 }))
    )
    // Two processes (two runtimes) send the same request: both are recorded.
    expect([await send(), await send()]).toEqual([1, 2])
    // A webhook delivered twice with the same key: the second gets the first's reply; nothing more is appended.
    expect(await send("delivery-7")).toBe(3)
    expect(await send("delivery-7")).toBe(3)
    const events = await readStream(store, "adder-1")
    expect(events.map((e) => e.type)).toEqual(["WorkflowStarted", "Added", "Added", "Added"])
    expect((events[3]!.metadata as { sender: string }).sender).toBe("key:delivery-7")
  })

  it("starting again with the same input compares inputs by Schema, not by the key order of their JSON", async () => {
    class Noted extends Schema.TaggedClass<Noted>()("Noted", {}) {}
    const Tags = Schema.Record(Schema.String, Schema.Number)
    const tagged = Workflow.step({
      name: "Note",
      event: Noted,
      run: () => Effect.succeed(new Noted()),
      apply: (t: Record<string, number>) => t
    }).pipe(Workflow.define({ name: "tagged", input: Tags }))
    const store = MemoryStore.make()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        yield* rt.start(tagged, { id: "1", input: { x: 1, y: 2 } })
        const again = yield* rt.start(tagged, { id: "1", input: { y: 2, x: 1 } })
        const other = yield* Effect.flip(rt.start(tagged, { id: "1", input: { x: 1, y: 3 } }))
        return { again: yield* again.status, other }
      })
    )
    expect(result.again).toEqual({ _tag: "Completed" })
    expect(result.other).toMatchObject({ _tag: "InstanceAlreadyExists", stream: "tagged-1" })
    expect(await types(store, "tagged-1")).toEqual(["WorkflowStarted", "Noted"])
  })
})
