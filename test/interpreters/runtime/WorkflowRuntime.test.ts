import { Context, Deferred, Effect, Fiber, Layer, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  EventStore,
  InstanceAlreadyExists,
  InstanceNotFound,
  InvalidInput,
  Signal,
  type StepContext,
  StepFailed,
  Workflow,
  WorkflowRuntime
} from "../../../src/index.js"
import { memoryStore, readStream, runOn, runtimeOn } from "../../support.js"

class Count extends Schema.TaggedClass<Count>()("Count", { total: Schema.Number, rounds: Schema.Number }) {}
class Added extends Schema.TaggedClass<Added>()("Added", { n: Schema.Number }) {}
class Worked extends Schema.TaggedClass<Worked>()("Worked", { by: Schema.String }) {}

const Add = Signal.make("Add", { request: Schema.Struct({ n: Schema.Number }), response: Schema.Number })

/** Does the work of the "Work" step; tests give each runtime call its own. */
class Worker extends Context.Service<Worker, { readonly work: (ctx: StepContext) => Effect.Effect<string> }>()(
  "test/Worker"
) {}

/** Sum numbers sent with Add until the total reaches 1000; each Add replies with the new total. */
const adder = Workflow.loop({
  name: "Adding",
  body: Workflow.awaitSignal(Add, {
    name: "Add",
    event: Added,
    // The handler yields, so that without per-instance serialization two signals would interleave.
    handle: (_: Count, request) => Effect.as(Effect.yieldNow, new Added({ n: request.n })),
    apply: (count, added) => new Count({ total: count.total + added.n, rounds: count.rounds + 1 }),
    respond: (count, added) => count.total + added.n
  }).pipe(
    Workflow.andThen(
      Workflow.step({
        name: "Work",
        event: Worked,
        run: (_: Count, ctx) =>
          Effect.map(
            Worker.use((w) => w.work(ctx)),
            (by) => new Worked({ by })
          ),
        apply: (count) => count
      })
    )
  ),
  exit: { name: "total ≥ 1000", when: (c) => c.total >= 1000 }
}).pipe(Workflow.define({ name: "adder", input: Count }))

const worker = (name: string, seen: Array<string> = []) =>
  Effect.provideService(Worker, {
    work: (ctx) =>
      Effect.sync(() => {
        seen.push(ctx.idempotencyKey)
        return name
      })
  })

const zero = new Count({ total: 0, rounds: 0 })

describe("WorkflowRuntime", () => {
  it("serializes concurrent signals to one instance: every one lands, in some order, with no conflict", async () => {
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(adder, { id: "a", input: zero })
        const replies = yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (n) => instance.signal(Add, { n }), {
          concurrency: "unbounded"
        })
        return { replies, state: yield* instance.state, journal: yield* instance.journal }
      }).pipe(worker("w"))
    )
    expect(result.state).toEqual(new Count({ total: 55, rounds: 10 }))
    expect([...result.replies].sort((a, b) => a - b)).toHaveLength(10)
    expect(Math.max(...result.replies)).toBe(55)
    // start + (Add, Work) × 10, contiguous revisions, alternating steps
    expect(result.journal.map((e) => e.revision)).toEqual(Array.from({ length: 21 }, (_, i) => i))
    expect(result.journal.slice(1).map((e) => e.step)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "add" : "work"))
    )
  })

  it("two runtimes on one store never run one step at once: the second leaves it to the lease holder", async () => {
    const store = memoryStore()
    await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(adder, { id: "b", input: zero })
        // The worker dies: the signal is recorded and "Work" stays pending.
        yield* instance.signal(Add, { n: 5 })
      }).pipe(Effect.provideService(Worker, { work: () => Effect.die("worker down") }))
    )
    const calls: Array<string> = []
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const r1 = yield* Effect.provide(WorkflowRuntime, runtimeOn(store))
        const r2 = yield* Effect.provide(WorkflowRuntime, runtimeOn(store))
        const i1 = yield* r1.get(adder, "b")
        const i2 = yield* r2.get(adder, "b")
        const entered = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const slow = Effect.provideService(Worker, {
          work: () =>
            Effect.sync(() => calls.push("slow")).pipe(
              Effect.andThen(Deferred.succeed(entered, undefined)),
              Effect.andThen(Deferred.await(release)),
              Effect.as("slow")
            )
        })
        const fiber = yield* Effect.forkChild(slow(i1.resume))
        yield* Deferred.await(entered)
        // r1 holds the instance's lease while its step runs: r2 does not run the step a second time.
        const during = yield* worker("fast", calls)(i2.resume)
        yield* Deferred.succeed(release, undefined)
        const done = yield* Fiber.join(fiber)
        return { during, done, after: yield* i2.status, state: yield* i2.state }
      })
    )
    expect(result.during).toEqual({ _tag: "Running", step: "work", lastError: "worker down", attempts: 1 })
    expect(result.done).toEqual({ _tag: "Waiting", step: "add", signals: ["Add"] })
    expect(result.after).toEqual({ _tag: "Waiting", step: "add", signals: ["Add"] })
    expect(result.state).toEqual(new Count({ total: 5, rounds: 1 }))
    expect(calls).toEqual(["slow"])
    const events = await readStream(store, "adder-b")
    expect(events.map((e) => [e.revision, e.type, e.data])).toEqual([
      [0, "WorkflowStarted", { input: { _tag: "Count", total: 0, rounds: 0 } }],
      [1, "Added", { _tag: "Added", n: 5 }],
      [2, "AttemptFailed", { attempt: 1, error: "worker down" }],
      [3, "Worked", { _tag: "Worked", by: "slow" }]
    ])
  })

  it("idempotency keys continue across runtimes: one per execution of a step", async () => {
    const store = memoryStore()
    const seen: Array<string> = []
    await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(adder, { id: "c", input: zero })
        yield* instance.signal(Add, { n: 1 })
        yield* instance.signal(Add, { n: 2 })
      }).pipe(worker("w", seen))
    )
    const reply = await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).get(adder, "c")
        return yield* instance.signal(Add, { n: 3 })
      }).pipe(worker("w", seen))
    )
    expect(reply).toBe(6)
    expect(seen).toEqual(["adder/c/work/0", "adder/c/work/1", "adder/c/work/2"])
    const events = await readStream(store, "adder-c")
    const at = "2026-01-01T00:00:00.000Z"
    const added = (occurrence: number, reply: number) => ({
      step: "add",
      occurrence,
      at,
      signal: "Add",
      sender: expect.stringMatching(/^nonce:/),
      reply,
      status: "Running"
    })
    const worked = (occurrence: number) => ({ step: "work", occurrence, at, status: "Waiting" })
    expect(events.slice(1).map((e) => e.metadata)).toEqual([
      added(0, 1),
      worked(0),
      added(1, 3),
      worked(1),
      added(2, 6),
      worked(2)
    ])
  })

  it("start is idempotent for the same input, and refuses another input for an existing id", async () => {
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const first = yield* runtime.start(adder, { id: "d", input: zero })
        yield* first.signal(Add, { n: 7 })
        const again = yield* runtime.start(adder, { id: "d", input: zero })
        const other = yield* Effect.flip(runtime.start(adder, { id: "d", input: new Count({ total: 1, rounds: 0 }) }))
        return { state: yield* again.state, other }
      }).pipe(worker("w"))
    )
    expect(result.state).toEqual(new Count({ total: 7, rounds: 1 }))
    expect(result.other).toEqual(new InstanceAlreadyExists({ stream: "adder-d" }))
    expect((await readStream(store, "adder-d")).map((e) => e.type)).toEqual(["WorkflowStarted", "Added", "Worked"])
  })

  it("invalid input is a typed error and creates nothing", async () => {
    const store = memoryStore()
    const error = await runOn(
      store,
      Effect.flip(
        Effect.flatMap(WorkflowRuntime, (r) =>
          r.start(adder, { id: "e", input: { total: "lots", rounds: 0 } as unknown as Count })
        )
      ).pipe(worker("w"))
    )
    expect(error).toBeInstanceOf(InvalidInput)
    expect(error).toMatchObject({ stream: "adder-e" })
    expect(await readStream(store, "adder-e")).toEqual([])
  })

  it("get on an unknown id is InstanceNotFound; list gives the ids of a workflow", async () => {
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const missing = yield* Effect.flip(runtime.get(adder, "nope"))
        for (const id of ["x-2", "x-1", "y"]) yield* runtime.start(adder, { id, input: zero })
        return { missing, ids: yield* Stream.runCollect(runtime.list(adder)) }
      }).pipe(worker("w"))
    )
    expect(result.missing).toEqual(new InstanceNotFound({ stream: "adder-nope" }))
    expect(result.ids).toEqual(["x-1", "x-2", "y"])
  })

  it("an apply that throws on a live event: StepFailed, nothing appended, the instance still waits", async () => {
    const Boom = Signal.make("Boom", { request: Schema.Struct({}), response: Schema.Void })
    const fragile = Workflow.awaitSignal(Boom, {
      name: "Boom",
      event: Added,
      handle: () => new Added({ n: 1 }),
      apply: (_: Count): Count => {
        throw new Error("bug in apply")
      }
    }).pipe(Workflow.define({ name: "fragile", input: Count }))
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(fragile, { id: "f", input: zero })
        const error = yield* Effect.flip(instance.signal(Boom, {}))
        return { error, status: yield* instance.status }
      })
    )
    expect(result.error).toBeInstanceOf(StepFailed)
    expect(result.error.message).toBe("fragile-f: step boom failed: bug in apply")
    expect(result.status).toEqual({ _tag: "Waiting", step: "boom", signals: ["Boom"] })
    expect((await readStream(store, "fragile-f")).map((e) => e.type)).toEqual(["WorkflowStarted"])
  })

  it("a signal handler failing with a typed error: StepFailed carrying it, nothing appended", async () => {
    class Refused extends Schema.TaggedError<Refused>()("Refused", {}) {}
    const Ask = Signal.make("Ask", { request: Schema.Struct({}), response: Schema.Void })
    const picky = Workflow.awaitSignal(Ask, {
      name: "Ask",
      event: Added,
      handle: (_: Count) => Effect.fail(new Refused()),
      apply: (c) => c
    }).pipe(Workflow.define({ name: "picky", input: Count }))
    const store = memoryStore()
    const error = await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(picky, { id: "g", input: zero })
        return yield* Effect.flip(instance.signal(Ask, {}))
      })
    )
    expect(error).toMatchObject({ _tag: "StepFailed", stream: "picky-g", step: "ask" })
    expect(error._tag === "StepFailed" && error.cause.toString()).toContain("Refused")
    expect((await readStream(store, "picky-g")).map((e) => e.type)).toEqual(["WorkflowStarted"])
  })

  it("a caller that stops waiting does not stop the instance: status answers while the step runs", async () => {
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* worker("w")(runtime.start(adder, { id: "h", input: zero }))
        const entered = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const slow = Effect.provideService(Worker, {
          work: () =>
            Deferred.succeed(entered, undefined).pipe(Effect.andThen(Deferred.await(release)), Effect.as("slow"))
        })
        const fiber = yield* Effect.forkChild(slow(instance.signal(Add, { n: 1 })))
        yield* Deferred.await(entered)
        yield* Fiber.interrupt(fiber)
        // The step still runs in the instance's actor; reads do not wait for it.
        const during = { status: yield* instance.status, journal: yield* instance.journal }
        yield* Deferred.succeed(release, undefined)
        const after = yield* worker("w")(instance.resume)
        return { during, after, journal: yield* instance.journal }
      })
    )
    expect(result.during.status).toEqual({ _tag: "Running", step: "work" })
    expect(result.during.journal.map((e) => e.step)).toEqual(["start", "add"])
    expect(result.after).toEqual({ _tag: "Waiting", step: "add", signals: ["Add"] })
    expect(result.journal.map((e) => [e.step, e.type])).toEqual([
      ["start", "WorkflowStarted"],
      ["add", "Added"],
      ["work", "Worked"]
    ])
  })

  it("a definition that throws before its first event: start fails and creates nothing", async () => {
    const broken = Workflow.pure("Explode", (_: Count): Count => {
      throw new Error("no")
    }).pipe(Workflow.define({ name: "broken", input: Count }))
    const store: EventStore["Service"] = memoryStore()
    const error = await runOn(
      store,
      Effect.flip(Effect.flatMap(WorkflowRuntime, (r) => r.start(broken, { id: "i", input: zero })))
    )
    expect(error).toBeInstanceOf(StepFailed)
    expect(error.message).toBe("broken-i: step start failed: no")
    expect(await readStream(store, "broken-i")).toEqual([])
  })

  it("instance handles can be reused: replay, signal, replay again", async () => {
    const store = memoryStore()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(adder, { id: "j", input: zero })
        const first = yield* instance.replay
        yield* instance.signal(Add, { n: 2 })
        const second = yield* instance.replay
        yield* instance.signal(Add, { n: 3 })
        const third = yield* instance.replay
        return [first, second, third].map((r) => ({
          revision: r.revision,
          steps: r.timeline.map((e) => e.step),
          state: r.state,
          work: r.visits.get("work")
        }))
      }).pipe(worker("w"))
    )
    expect(result).toEqual([
      { revision: 0, steps: ["start"], state: zero, work: undefined },
      {
        revision: 2,
        steps: ["start", "add", "work"],
        state: new Count({ total: 2, rounds: 1 }),
        work: { done: 1, failed: 0 }
      },
      {
        revision: 4,
        steps: ["start", "add", "work", "add", "work"],
        state: new Count({ total: 5, rounds: 2 }),
        work: { done: 2, failed: 0 }
      }
    ])
  })

  it("keeps at most maxCachedInstances loaded; an evicted instance is rebuilt and stays serialized", async () => {
    const store = memoryStore()
    const small = Layer.fresh(WorkflowRuntime.layerWith({ maxCachedInstances: 1 })).pipe(
      Layer.provideMerge(Layer.succeed(EventStore, store))
    )
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const a = yield* runtime.start(adder, { id: "a", input: zero })
        // Starting b evicts a (one instance at most); a's old handle and a new one must share one lock again.
        const b = yield* runtime.start(adder, { id: "b", input: zero })
        const again = yield* runtime.get(adder, "a")
        yield* Effect.forEach([1, 2, 3, 4], (n) => (n % 2 === 0 ? a : again).signal(Add, { n }), {
          concurrency: "unbounded"
        })
        yield* b.signal(Add, { n: 100 })
        return { a: yield* a.state, b: yield* b.state, journal: yield* again.journal }
      }).pipe(worker("w"), Effect.provide(small))
    )
    expect(result.a).toEqual(new Count({ total: 10, rounds: 4 }))
    expect(result.b).toEqual(new Count({ total: 100, rounds: 1 }))
    expect(result.journal.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
  })
})
