// A sleeping instance holds no memory in the engine: it is forgotten when it falls asleep and loaded again from
// the store when its timer fires (issue 9: "a sleeping instance holds no memory and no fiber").
import { Context, Effect, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { MemoryStore, type StoredEvent, Workflow } from "../../../src/index.js"
import { makeEngine } from "../../../src/interpreters/runtime/Engine.js"
import { iso, settle, T0 } from "./clocked.js"

class Woke extends Schema.TaggedClass<Woke>()("Woke", { loaded: Schema.Number }) {}

const summary = (history: ReadonlyArray<StoredEvent>) =>
  history.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata }))

describe("a sleeping instance", () => {
  it("is dropped from the engine's memory while it sleeps and loaded again when its timer fires", async () => {
    const store = MemoryStore.make()
    const journal = (id: string) =>
      Effect.runPromise(Stream.runCollect(store.read(`sleeper-${id}`))).then((events) => summary(events).slice(1))
    const seen = await Effect.runPromise(
      Effect.gen(function* () {
        yield* TestClock.setTime(T0)
        return yield* Effect.scoped(
          Effect.gen(function* () {
            const engine = yield* makeEngine(store, { pollIntervalMs: 365 * 86_400_000, leaseTtlMs: 3_600_000 })
            // The step records how many instances the engine holds while it runs: the woken one is loaded again.
            const sleeper = Workflow.sleep({ name: "Nap", duration: (s: { ms: number }) => s.ms, label: "ms" }).pipe(
              Workflow.andThen(
                Workflow.step({
                  name: "Wake",
                  event: Woke,
                  run: () => Effect.sync(() => new Woke({ loaded: engine.loaded().actors })),
                  apply: (s) => s
                })
              ),
              Workflow.define({ name: "sleeper", input: Schema.Struct({ ms: Schema.Number }) })
            )
            const registration = engine.register(sleeper, Context.empty() as Context.Context<any>)
            for (const [id, ms] of [
              ["a", 1_000],
              ["b", 2_000],
              ["c", 3_000]
            ] as const) {
              yield* engine.start(registration, id, { ms }, true)
            }
            yield* settle
            const asleep = engine.loaded()
            yield* TestClock.adjust(999)
            yield* settle
            const early = engine.loaded()
            yield* TestClock.adjust(1)
            yield* settle
            const afterA = engine.loaded()
            yield* TestClock.adjust(2_000)
            yield* settle
            return { asleep, early, afterA, end: engine.loaded() }
          })
        )
      }).pipe(Effect.provide(TestClock.layer()))
    )
    expect(seen).toEqual({
      // Three sleeping instances: no actor, no fiber.
      asleep: { actors: 0, drains: 0 },
      early: { actors: 0, drains: 0 },
      // A woke, ran its step and completed: its actor stays cached (it is not sleeping); B and C still hold nothing.
      afterA: { actors: 1, drains: 0 },
      end: { actors: 3, drains: 0 }
    })
    // No wake-up: no `wakeAt` in the metadata at all.
    const timer = (ms: number, occurrence: number, at: number, status: string, wakeAt: number | null) => ({
      type: occurrence === 0 ? "TimerStarted" : "TimerFired",
      data: { until: iso(T0 + ms) },
      metadata: { step: "nap", occurrence, at: iso(at), kind: "timer", status, ...(wakeAt === null ? {} : { wakeAt }) }
    })
    const woke = (ms: number, loaded: number) => ({
      type: "Woke",
      data: { _tag: "Woke", loaded },
      metadata: { step: "wake", occurrence: 0, at: iso(T0 + ms), status: "Completed" }
    })
    // Each fired at its due time exactly; while its step ran, the engine held it (and the ones that had completed).
    expect(await journal("a")).toEqual([
      timer(1_000, 0, T0, "Waiting", T0 + 1_000),
      timer(1_000, 1, T0 + 1_000, "Running", null),
      woke(1_000, 1)
    ])
    expect(await journal("b")).toEqual([
      timer(2_000, 0, T0, "Waiting", T0 + 2_000),
      timer(2_000, 1, T0 + 2_000, "Running", null),
      woke(2_000, 2)
    ])
    expect(await journal("c")).toEqual([
      timer(3_000, 0, T0, "Waiting", T0 + 3_000),
      timer(3_000, 1, T0 + 3_000, "Running", null),
      woke(3_000, 3)
    ])
  })
})
