// A restarted worker's backlog: the timers that fell due while no worker ran are woken in the background, oldest
// first, so that `register` does not wait for them and timers falling due meanwhile are not queued behind them.
import { Effect, Layer, Schema, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { EventStore, MemoryStore, Workflow } from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"

class Woke extends Schema.TaggedClass<Woke>()("Woke", { n: Schema.Number }) {}

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
})
