/**
 * S1: one subscription from the start of a 20,000-event log (100 streams), then live. "catch-up events/s" is the
 * rate at which it delivers the events already stored; "live median ms" is, for 500 appends made one after another
 * once it has caught up, the time from starting an append to the subscription delivering its event (on SQLite
 * that includes the append's fsync).
 */
import * as Path from "node:path"
import { Effect, Fiber, type Layer, Stream } from "effect"
import { EventStore, MemoryStore, NoStream, nameUuid } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { type Figure, median, type StoreKind, scratchDir, type Workload } from "./support.js"

const STREAMS = 100
const PER_STREAM = 200
const LIVE = 500
const NAMESPACE = "3e1d2c4b-5a69-4f78-8e9d-0a1b2c3d4e5f"

const event = (name: string, n: number) => ({
  id: nameUuid(NAMESPACE, name),
  type: "Ticked",
  data: { _tag: "Ticked", n },
  metadata: { step: "tick", occurrence: n, status: "Running", wakeAt: null }
})

const storeLayer = (kind: StoreKind, file: string): Layer.Layer<EventStore, unknown> =>
  kind === "sqlite" ? SqliteStore.layer({ file, synchronous: "FULL" }) : MemoryStore.layer

const run = async (kind: StoreKind): Promise<ReadonlyArray<Figure>> => {
  const { dir, cleanup } = scratchDir()
  try {
    const { catchUp, live } = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* EventStore
        yield* Effect.forEach(
          Array.from({ length: STREAMS }, (_, s) => s),
          (s) =>
            store.append(
              `counter-${s}`,
              NoStream,
              Array.from({ length: PER_STREAM }, (_, n) => event(`${s}/${n}`, n))
            ),
          { concurrency: "unbounded", discard: true }
        )
        const stored = STREAMS * PER_STREAM
        const delivered: Array<number> = []
        let caughtUp = 0
        const started = performance.now()
        const subscriber = yield* Effect.forkChild(
          Stream.runForEach(Stream.take(store.subscribe(), stored + LIVE), () =>
            Effect.sync(() => {
              delivered.push(performance.now())
              if (delivered.length === stored) caughtUp = performance.now()
            })
          )
        )
        while (delivered.length < stored) yield* Effect.sleep(1)
        const latencies: Array<number> = []
        for (let i = 0; i < LIVE; i++) {
          const before = performance.now()
          yield* store.append("live-1", i - 1, [event(`live/${i}`, i)])
          while (delivered.length < stored + i + 1) yield* Effect.yieldNow
          latencies.push(delivered[stored + i]! - before)
        }
        yield* Fiber.join(subscriber)
        return { catchUp: stored / ((caughtUp - started) / 1000), live: median(latencies) }
      }).pipe(Effect.provide(storeLayer(kind, Path.join(dir, "s1.db"))))
    )
    const workload = `S1 ${kind}`
    return [
      { workload, metric: "catch-up events/s", value: catchUp, kind: "rate" },
      { workload, metric: "live median ms", value: live, kind: "time" }
    ]
  } finally {
    cleanup()
  }
}

export const subscription = (kind: StoreKind): Workload => ({
  name: `S1 ${kind}`,
  description: `subscription: catch-up over ${STREAMS * PER_STREAM} events, then ${LIVE} live appends, ${kind} store`,
  run: () => run(kind)
})
