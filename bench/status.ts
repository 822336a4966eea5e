/**
 * W4: `status` of an instance while one of its steps runs (the step waits on a Deferred the benchmark releases at
 * the end). Reads must not wait for the step: the figure is the median and p99 of 2,000 `status` calls, in µs.
 */
import * as Path from "node:path"
import { Deferred, Effect, Layer, Schema } from "effect"
import { type EventStore, MemoryStore, Workflow, Worker } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { type Figure, median, type StoreKind, scratchDir, type Workload } from "./support.js"

class Done extends Schema.TaggedClass<Done>()("Done", {}) {}
const CALLS = 2_000

const run = async (kind: StoreKind): Promise<ReadonlyArray<Figure>> => {
  const { dir, cleanup } = scratchDir()
  try {
    const store: Layer.Layer<EventStore, unknown> =
      kind === "sqlite" ? SqliteStore.layer({ file: Path.join(dir, "w4.db") }) : MemoryStore.layer
    const times = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const entered = yield* Deferred.make<void>()
          const slow = Workflow.step({
            name: "Slow",
            event: Done,
            run: (_: number) =>
              Effect.as(Effect.andThen(Deferred.succeed(entered, undefined), Deferred.await(release)), new Done()),
            apply: (n) => n
          }).pipe(Workflow.define({ name: "slow", input: Schema.Number }))
          const worker = yield* Worker
          yield* worker.register(slow, Layer.empty)
          yield* worker.start(slow, { id: "1", input: 0, wait: false })
          yield* Deferred.await(entered)
          const times: Array<number> = []
          for (let i = 0; i < CALLS; i++) {
            const t0 = performance.now()
            const status = yield* worker.status(slow, "1")
            times.push((performance.now() - t0) * 1000)
            if (status._tag !== "Running") return yield* Effect.die(new Error(`status ${status._tag}`))
          }
          yield* Deferred.succeed(release, undefined)
          return times
        }).pipe(Effect.provide(Worker.layer().pipe(Layer.provide(store))))
      )
    )
    const sorted = [...times].sort((a, b) => a - b)
    const workload = `W4 status during a step, ${kind}`
    return [
      { workload, metric: "median µs", value: median(times), kind: "time", target: { value: 1000, text: "< 1 ms" } },
      { workload, metric: "p99 µs", value: sorted[Math.floor(sorted.length * 0.99)]!, kind: "time" }
    ]
  } finally {
    cleanup()
  }
}

export const statusDuringStep = (kind: StoreKind): Workload => ({
  name: `W4 status ${kind}`,
  description: `${CALLS} status calls while a step of the same instance runs, ${kind} store`,
  run: () => run(kind)
})
