// A worker driven by the test clock, for the tests of durable time (timers, races, interruptions, retries).
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { type Definition, EventStore, type StoreError, type StoredEvent, Worker } from "../../../src/index.js"

export const T0 = Date.parse("2026-01-01T00:00:00.000Z")
export const iso = (ms: number): string => new Date(ms).toISOString()

/** Polling is off (a year): only the worker's armed wake-up may fire a timer. Leases outlive every test. */
const OPTIONS = { pollIntervalMs: 365 * 86_400_000, leaseTtlMs: 3_600_000 }

export type StoreOf = EventStore["Service"] | Layer.Layer<EventStore, StoreError>

const storeLayer = (store: StoreOf) => ("append" in store ? Layer.succeed(EventStore, store) : store)

/**
 * Run `f` with a fresh worker over `store` that has `definitions` registered with `services`, the test clock at
 * `now`; the worker shuts down after `f`.
 */
export const withClockedWorker = <A, E, R>(
  store: StoreOf,
  now: number,
  definitions: ReadonlyArray<Definition.Any>,
  services: Layer.Layer<R>,
  f: (worker: Worker["Service"]) => Effect.Effect<A, E>
): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function* () {
      // Before the worker starts: its polling and lease renewal are scheduled from the time it starts at.
      yield* TestClock.setTime(now)
      return yield* Effect.scoped(
        Effect.gen(function* () {
          const worker = yield* Worker
          for (const d of definitions) yield* worker.register(d as Definition<any, any, any, R, any>, services)
          return yield* f(worker)
        }).pipe(Effect.provide(Worker.layer(OPTIONS).pipe(Layer.provide(storeLayer(store)))))
      )
    }).pipe(Effect.provide(TestClock.layer()))
  )

/** Let the worker's forked fibers run (no time passes: the clock is the test clock). */
export const settle = Effect.gen(function* () {
  for (let i = 0; i < 200; i++) yield* Effect.yieldNow
})

export const events = (store: StoreOf, stream: string): Promise<ReadonlyArray<StoredEvent>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const s = yield* EventStore
      return yield* Stream.runCollect(s.read(stream))
    }).pipe(Effect.provide(storeLayer(store)))
  )
