/**
 * W7 (issue 9's "W4"; the name W4 went to issue 8's status bench): 10,000 instances each sleeping a random 0–2 s
 * (real clock), then one step. Wake-up lag is the time from a timer's due time to its step running (the due time is
 * taken before `start`, so the figure slightly overstates the lag); memory is the process's RSS and heap while they
 * all sleep. Then the same after a restart: a worker starts them and shuts down, a new worker on the same store
 * wakes them.
 */
import { Effect, Layer, Schema } from "effect"
import { EventStore, MemoryStore, Workflow, Worker } from "durable-monad"
import type { Figure, Workload } from "./support.js"

class Woke extends Schema.TaggedClass<Woke>()("Woke", {}) {}
const INSTANCES = 10_000
const MAX_MS = 2_000

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

const run = async (): Promise<ReadonlyArray<Figure>> => {
  const due = new Map<string, number>()
  const lags: Array<number> = []
  let all: () => void = () => {}
  const woken = () => new Promise<void>((resolve) => (all = resolve))
  const sleeper = Workflow.sleep({ name: "Sleep", duration: (s: { ms: number }) => s.ms, label: "ms" }).pipe(
    Workflow.andThen(
      Workflow.step({
        name: "Wake",
        event: Woke,
        run: (_: { ms: number }, ctx) =>
          Effect.sync(() => {
            lags.push(Date.now() - due.get(ctx.instanceId)!)
            if (lags.length === due.size) all()
            return new Woke()
          }),
        apply: (s) => s
      })
    ),
    Workflow.define({ name: "sleeper", input: Schema.Struct({ ms: Schema.Number }) })
  )
  const store = Layer.succeed(EventStore, MemoryStore.make())
  const startAll = (prefix: string, offset: number) =>
    Effect.gen(function* () {
      const worker = yield* Worker
      yield* worker.register(sleeper, Layer.empty)
      for (let i = 0; i < INSTANCES; i++) {
        const ms = offset + Math.floor(Math.random() * MAX_MS)
        due.set(`${prefix}${i}`, Date.now() + ms)
        yield* worker.start(sleeper, { id: `${prefix}${i}`, input: { ms } })
      }
    })
  const withWorker = <A, E>(f: Effect.Effect<A, E, Worker>) =>
    Effect.runPromise(Effect.scoped(f.pipe(Effect.provide(Worker.layer().pipe(Layer.provide(store))))))

  // Live: start them all, measure memory while they sleep, wait until every one woke.
  const live = woken()
  const memory = await withWorker(
    Effect.gen(function* () {
      yield* startAll("a", 0)
      const m = process.memoryUsage()
      yield* Effect.promise(() => live)
      return m
    })
  )
  const liveLags = [...lags]
  // Restart: one worker starts them (due 3–5 s later) and stops; a new one wakes them.
  due.clear()
  lags.length = 0
  await withWorker(startAll("b", 3_000))
  const restarted = woken()
  await withWorker(
    Effect.gen(function* () {
      const worker = yield* Worker
      yield* worker.register(sleeper, Layer.empty)
      yield* Effect.promise(() => restarted)
    })
  )
  const w = "W7 timers, memory"
  return [
    {
      workload: w,
      metric: "wake-up lag p50 ms",
      value: percentile(liveLags, 0.5),
      kind: "time",
      target: { value: 50, text: "< 50 ms" }
    },
    {
      workload: w,
      metric: "wake-up lag p99 ms",
      value: percentile(liveLags, 0.99),
      kind: "time",
      target: { value: 200, text: "< 200 ms" }
    },
    { workload: w, metric: "RSS MB while sleeping", value: memory.rss / 2 ** 20, kind: "time" },
    { workload: w, metric: "heap MB while sleeping", value: memory.heapUsed / 2 ** 20, kind: "time" },
    {
      workload: w,
      metric: "after restart: lag p50 ms",
      value: percentile(lags, 0.5),
      kind: "time",
      target: { value: 50, text: "< 50 ms" }
    },
    {
      workload: w,
      metric: "after restart: lag p99 ms",
      value: percentile(lags, 0.99),
      kind: "time",
      target: { value: 200, text: "< 200 ms" }
    }
  ]
}

export const timers: Workload = {
  name: "W7 timers memory",
  description: `${INSTANCES} instances sleeping 0–${MAX_MS / 1000} s, then after a worker restart (memory store)`,
  run
}
