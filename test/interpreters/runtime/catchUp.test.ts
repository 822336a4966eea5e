// A restarted worker's backlog: the instances left running and the timers that fell due while no worker ran are
// woken in the background (a few at a time, overdue timers oldest first), so that `register` does not wait for them
// and timers falling due meanwhile are not queued behind them.
import { Effect, Layer, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { EventStore, MemoryStore, Worker, Workflow } from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"

class Woke extends Schema.TaggedClass<Woke>()("Woke", { n: Schema.Number }) {}
class Worked extends Schema.TaggedClass<Worked>()("Worked", { ok: Schema.Boolean }) {}

const calls = { n: 0 }
const sleeper = Workflow.sleep({ name: "Nap", duration: (s: { ms: number }) => s.ms, label: "ms" }).pipe(
  Workflow.andThen(
    Workflow.step({
      name: "Wake",
      event: Woke,
      run: (_: { ms: number }) => Effect.sync(() => new Woke({ n: ++calls.n })),
      apply: (s) => s
    })
  ),
  Workflow.define({ name: "sleeper", input: Schema.Struct({ ms: Schema.Number }) })
)

const INSTANCES = 40
/** Instance i is due at T0 + 1 s + (INSTANCES - i) × 10 ms: the ids' order is not the due order. */
const delayOf = (i: number) => 1000 + (INSTANCES - i) * 10

describe("catching up after a restart", () => {
  it("wakes the overdue instances after `register` returned, oldest first, each once", async () => {
    calls.n = 0
    const store = MemoryStore.make()
    await withClockedWorker(store, T0, [sleeper], Layer.empty, (worker) =>
      Effect.forEach(
        Array.from({ length: INSTANCES }, (_, i) => i),
        (i) => worker.start(sleeper, { id: `s${i}`, input: { ms: delayOf(i) } }),
        { discard: true }
      )
    )
    const restart = T0 + 60_000
    const seen = await withClockedWorker(store, restart, [sleeper], Layer.empty, () =>
      Effect.gen(function* () {
        // `register` has returned (the helper registered the definition): nothing woken yet.
        const atRegister = calls.n
        yield* settle
        return { atRegister, afterSettle: calls.n }
      })
    )
    expect(seen).toEqual({ atRegister: 0, afterSettle: INSTANCES })
    const fired = await Effect.runPromise(
      Effect.gen(function* () {
        const s = yield* EventStore
        const log = yield* Stream.runCollect(s.readAll())
        return log.filter((e) => e.type === "TimerFired").map((e) => e.stream)
      }).pipe(Effect.provide(Layer.succeed(EventStore, store)))
    )
    // Oldest first: the last id was due first.
    expect(fired).toEqual(Array.from({ length: INSTANCES }, (_, i) => `sleeper-s${INSTANCES - 1 - i}`))
    const journal = (await events(store, "sleeper-s0")).map((e) => [e.type, (e.metadata as { at: string }).at])
    expect(journal).toEqual([
      ["WorkflowStarted", iso(T0)],
      ["TimerStarted", iso(T0)],
      ["TimerFired", iso(restart)],
      ["Woke", iso(restart)]
    ])
  })

  it("recovers the instances left running a few at a time, each once", async () => {
    // A first worker parks every instance on an incident (one attempt allowed); the next one's registration gives each
    // another attempt — 16 at a time, not all of them at once.
    const store = MemoryStore.make()
    const load = { failing: true, inFlight: 0, max: 0 }
    const flaky = Workflow.step({
      name: "Work",
      event: Worked,
      run: (_: { n: number }) =>
        Effect.gen(function* () {
          if (load.failing) return yield* Effect.fail(new Error("down"))
          load.max = Math.max(load.max, ++load.inFlight)
          for (let i = 0; i < 5; i++) yield* Effect.yieldNow
          load.inFlight--
          return new Worked({ ok: true })
        }),
      apply: (s) => s
    }).pipe(Workflow.define({ name: "flaky", input: Schema.Struct({ n: Schema.Number }) }))
    const withWorker = <A>(f: (worker: Worker["Service"]) => Effect.Effect<A, unknown>) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const worker = yield* Worker
            yield* worker.register(flaky, Layer.empty)
            return yield* f(worker)
          })
        ).pipe(
          Effect.provide(
            Worker.layer({ maxAttempts: 1, pollIntervalMs: 3_600_000 }).pipe(
              Layer.provide(Layer.succeed(EventStore, store))
            )
          )
        )
      )
    await withWorker((worker) =>
      Effect.forEach(
        Array.from({ length: INSTANCES }, (_, n) => n),
        (n) => worker.start(flaky, { id: `f${n}`, input: { n } }),
        { discard: true }
      )
    )
    load.failing = false
    const statuses = await withWorker((worker) =>
      Effect.gen(function* () {
        // Recovery runs in the background: wait (up to 5 s) until no instance is left running.
        for (let tries = 0; ; tries++) {
          const tags = yield* Effect.forEach(
            Array.from({ length: INSTANCES }, (_, n) => n),
            (n) => Effect.flatMap(worker.get(flaky, `f${n}`), (instance) => Effect.map(instance.status, (s) => s._tag))
          )
          if (tries === 500 || tags.every((tag) => tag !== "Running")) return tags
          yield* Effect.sleep(10)
        }
      })
    )
    expect(statuses).toEqual(Array.from({ length: INSTANCES }, () => "Completed"))
    expect(load.max).toBeGreaterThan(1)
    expect(load.max).toBeLessThanOrEqual(16)
    const journals = await Promise.all(
      Array.from({ length: INSTANCES }, async (_, n) => (await events(store, `flaky-f${n}`)).map((e) => e.type))
    )
    expect(journals).toEqual(Array.from({ length: INSTANCES }, () => ["WorkflowStarted", "AttemptFailed", "Worked"]))
  })
})
