/**
 * W2: 200 workflows of 10 steps started at once (`Effect.forEach`, unbounded concurrency). On SQLite the appends
 * that arrive in the same turn of the event loop share one transaction and one fsync (group commit).
 */
import * as Path from "node:path"
import { Effect, Layer } from "effect"
import { Worker } from "durable-monad"
import {
  counter,
  counterInput,
  type Figure,
  type StoreKind,
  scratchDir,
  type Workload,
  workerLayer
} from "./support.js"

const WORKFLOWS = 200
const STEPS = 10

const run = async (kind: StoreKind): Promise<ReadonlyArray<Figure>> => {
  const { dir, cleanup } = scratchDir()
  try {
    const seconds = await Effect.runPromise(
      Effect.gen(function* () {
        const worker = yield* Worker
        yield* worker.register(counter, Layer.empty)
        const ids = Array.from({ length: WORKFLOWS }, (_, i) => `w${i}`)
        const started = performance.now()
        const instances = yield* Effect.forEach(
          ids,
          (id) => worker.start(counter, { id, input: counterInput(STEPS) }),
          { concurrency: "unbounded" }
        )
        const seconds = (performance.now() - started) / 1000
        for (const instance of instances) {
          const status = yield* instance.status
          if (status._tag !== "Completed") return yield* Effect.die(new Error(`${instance.id} ended ${status._tag}`))
        }
        return seconds
      }).pipe(Effect.scoped, Effect.provide(workerLayer(kind, Path.join(dir, "w2.db"))))
    )
    const workload = `W2 ${kind}`
    return [
      { workload, metric: "wall ms", value: seconds * 1000, kind: "time" },
      {
        workload,
        metric: "steps/s",
        value: (WORKFLOWS * STEPS) / seconds,
        kind: "rate",
        ...(kind === "sqlite" ? { target: { value: 10, of: "W1 sqlite steps/s", text: "≥ 10× W1 sqlite" } } : {})
      }
    ]
  } finally {
    cleanup()
  }
}

export const concurrent = (kind: StoreKind): Workload => ({
  name: `W2 ${kind}`,
  description: `${WORKFLOWS} workflows of ${STEPS} steps started concurrently, ${kind} store`,
  run: () => run(kind)
})
