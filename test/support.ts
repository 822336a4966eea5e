/** Shared test helpers: run an Effect against a given store with a fixed clock. */
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { EventStore, MemoryStore, type StoredEvent, Worker, type WorkerOptions, WorkflowRuntime } from "../src/index.js"

/** The time every test event is recorded at. */
export const NOW = "2026-01-01T00:00:00.000Z"

/** A memory store to share between several runtimes (each `runtimeOn(store)` call is a new runtime). */
export const memoryStore = (): EventStore["Service"] => MemoryStore.make()

/** A fresh runtime (nothing cached) over `store`. */
export const runtimeOn = (store: EventStore["Service"]): Layer.Layer<WorkflowRuntime | EventStore> =>
  Layer.fresh(WorkflowRuntime.layer).pipe(Layer.provideMerge(Layer.succeed(EventStore, store)))

/** Run `effect` on a fresh runtime over `store`, with the clock at {@link NOW}. */
export const runOn = <A, E>(
  store: EventStore["Service"],
  effect: Effect.Effect<A, E, WorkflowRuntime | EventStore>
): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse(NOW))
      return yield* effect
    }).pipe(Effect.provide(runtimeOn(store)), Effect.provide(TestClock.layer()))
  )

/** The raw events of a stream. */
export const readStream = (store: EventStore["Service"], stream: string): Promise<ReadonlyArray<StoredEvent>> =>
  Effect.runPromise(Stream.runCollect(store.read(stream)))

/**
 * Run `f` with a Worker over `store` on the real clock (its retries and polls sleep), with fast retries and polls;
 * the worker's scope closes (draining running steps) when `f` ends.
 */
export const runWorker = <A, E>(
  store: EventStore["Service"],
  f: (worker: Worker["Service"]) => Effect.Effect<A, E>,
  options: WorkerOptions = { retryDelayMs: 1, pollIntervalMs: 20, leaseTtlMs: 500 }
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(Worker, f)).pipe(
      Effect.provide(Worker.layer(options).pipe(Layer.provide(Layer.succeed(EventStore, store))))
    )
  )
