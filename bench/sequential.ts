/**
 * W1: 50 workflows run one after another, each 100 sequential run-steps with tiny events. Every step waits for its
 * own append to commit, so on SQLite this is one fsync per step: the figure to compare with the baseline's
 * one-row transactions. On the memory store it is the library's own overhead per step.
 */
import * as Path from "node:path"
import { Effect, Layer } from "effect"
import { Worker } from "durable-monad"
import {
  counter,
  counterInput,
  type Figure,
  median,
  observeSteps,
  type StoreKind,
  scratchDir,
  type Workload,
  workerLayer
} from "./support.js"

const WORKFLOWS = 50
const STEPS = 100

const run = async (kind: StoreKind): Promise<ReadonlyArray<Figure>> => {
  const { dir, cleanup } = scratchDir()
  const latencies: Array<number> = []
  let last: number | undefined
  observeSteps(() => {
    const now = performance.now()
    if (last !== undefined) latencies.push(now - last)
    last = now
  })
  try {
    const seconds = await Effect.runPromise(
      Effect.gen(function* () {
        const worker = yield* Worker
        yield* worker.register(counter, Layer.empty)
        const started = performance.now()
        for (let i = 0; i < WORKFLOWS; i++) {
          // Latency is measured between two steps of the same workflow.
          last = undefined
          const instance = yield* worker.start(counter, { id: `w${i}`, input: counterInput(STEPS) })
          const status = yield* instance.status
          if (status._tag !== "Completed") return yield* Effect.die(new Error(`w${i} ended ${status._tag}`))
        }
        return (performance.now() - started) / 1000
      }).pipe(Effect.scoped, Effect.provide(workerLayer(kind, Path.join(dir, "w1.db"))))
    )
    const workload = `W1 ${kind}`
    return [
      {
        workload,
        metric: "steps/s",
        value: (WORKFLOWS * STEPS) / seconds,
        kind: "rate",
        target:
          kind === "sqlite"
            ? { value: 0.8, of: "baseline rows/s", text: "≥ 0.8× baseline" }
            : { value: 20_000, text: "≥ 20,000 steps/s" }
      },
      { workload, metric: "median ms/step", value: median(latencies), kind: "time" }
    ]
  } finally {
    observeSteps(undefined)
    cleanup()
  }
}

export const sequential = (kind: StoreKind): Workload => ({
  name: `W1 ${kind}`,
  description: `${WORKFLOWS} workflows one after another, ${STEPS} sequential steps each, ${kind} store`,
  run: () => run(kind)
})
