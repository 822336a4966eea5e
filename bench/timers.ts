/**
 * W7 (issue 9's "W4"; the name W4 went to issue 8's status bench): 10,000 instances each sleeping a random 0–2 s
 * (real clock, memory store), then one step.
 *
 * - Live: wake-up lag is the time from a timer's due time to its step running.
 * - Restart: a worker starts 10,000 instances and shuts down; a new worker on the same store is registered
 *   RESTART_AT_MS after the first began. Half of them fell due while no worker ran: the catch-up time runs from the
 *   new worker's registration to the last of those stepping. The other half fall due while the new worker is up:
 *   their lag is from their due time (the lag the target is about).
 * - Memory, while the restart's 10,000 sleep in the first worker: read after a full GC, as a delta against a GC'd
 *   baseline taken with the store empty — and again after that worker stopped, the store kept: the difference is
 *   what the worker holds of a sleeping instance (nothing, ideally); the rest is the memory store's (its events).
 */
import { createContext, runInContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { Effect, Layer, Schema } from "effect"
import { EventStore, MemoryStore, Workflow, Worker } from "durable-monad"
import type { Figure, Workload } from "./support.js"

class Woke extends Schema.TaggedClass<Woke>()("Woke", {}) {}
const INSTANCES = 10_000
const MAX_MS = 2_000
/** When the restarted worker is registered, ms after the first one began starting its instances (due 3–5 s). */
const RESTART_AT_MS = 4_000
/** How long after the last due time the bench gives up waiting for instances that never woke, ms. */
const STUCK_MS = 20_000

// The bench runs without --expose-gc: take V8's gc function this way (the flag applies to contexts made after it).
setFlagsFromString("--expose-gc")
const collect = runInContext("gc", createContext()) as () => void
const memory = () => {
  for (let i = 0; i < 3; i++) collect()
  return process.memoryUsage()
}

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

const MB = 2 ** 20

const run = async (): Promise<ReadonlyArray<Figure>> => {
  const due = new Map<string, number>()
  const woke = new Map<string, number>()
  let all: () => void = () => {}
  /** Every instance in `due` has woken — or STUCK_MS passed after the last due time (then some never woke). */
  const woken = () =>
    new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (Date.now() > Math.max(...due.values()) + STUCK_MS) all()
      }, 500)
      all = () => {
        clearInterval(check)
        resolve()
      }
    })
  const sleeper = Workflow.sleep({ name: "Sleep", duration: (s: { ms: number }) => s.ms, label: "ms" }).pipe(
    Workflow.andThen(
      Workflow.step({
        name: "Wake",
        event: Woke,
        run: (_: { ms: number }, ctx) =>
          Effect.sync(() => {
            woke.set(ctx.instanceId, Date.now())
            if (woke.size === due.size) all()
            return new Woke()
          }),
        apply: (s) => s
      })
    ),
    Workflow.define({ name: "sleeper", input: Schema.Struct({ ms: Schema.Number }) })
  )
  /** Start INSTANCES instances, the i-th due at `dueAt(i)` (ms since the epoch). */
  const startAll = (prefix: string, dueAt: (i: number) => number) =>
    Effect.gen(function* () {
      const worker = yield* Worker
      yield* worker.register(sleeper, Layer.empty)
      for (let i = 0; i < INSTANCES; i++) {
        const at = dueAt(i)
        due.set(`${prefix}${i}`, at)
        yield* worker.start(sleeper, { id: `${prefix}${i}`, input: { ms: Math.max(0, at - Date.now()) } })
      }
    })
  const withWorker = <A, E>(store: EventStore["Service"], f: Effect.Effect<A, E, Worker>) =>
    Effect.runPromise(
      Effect.scoped(f.pipe(Effect.provide(Worker.layer().pipe(Layer.provide(Layer.succeed(EventStore, store))))))
    )

  // Live: start them all (each due 0–2 s after its start), wait until every one woke.
  const live = woken()
  await withWorker(
    MemoryStore.make(),
    Effect.gen(function* () {
      yield* startAll("a", () => Date.now() + Math.floor(Math.random() * MAX_MS))
      yield* Effect.promise(() => live)
    })
  )
  const liveLags = [...woke].map(([id, at]) => at - due.get(id)!)
  const liveStuck = due.size - woke.size
  due.clear()
  woke.clear()

  // Restart: one worker starts them and stops; a new one, registered at RESTART_AT_MS, wakes them. Half are due
  // 3–4 s after the first began (overdue at the restart), half 4–6 s (due while the new worker is up).
  const store = MemoryStore.make()
  const empty = memory()
  const began = Date.now()
  const sleeping = await withWorker(
    store,
    Effect.gen(function* () {
      yield* startAll("b", (i) =>
        i % 2 === 0
          ? began + 3_000 + Math.floor(Math.random() * 1_000)
          : began + RESTART_AT_MS + Math.floor(Math.random() * MAX_MS)
      )
      // All of them sleep now (if starting them took less than 3 s).
      return memory()
    })
  )
  const startedMs = Date.now() - began
  // The same instances, with no worker: what the store alone holds of them.
  const storeOnly = memory()
  if (Date.now() < began + RESTART_AT_MS) await new Promise((r) => setTimeout(r, began + RESTART_AT_MS - Date.now()))
  const restarted = woken()
  let registeredAt = 0
  await withWorker(
    store,
    Effect.gen(function* () {
      const worker = yield* Worker
      registeredAt = Date.now()
      yield* worker.register(sleeper, Layer.empty)
      yield* Effect.promise(() => restarted)
    })
  )
  // Overdue: fell due while no worker ran (and not fired by the first worker, had its starts taken over 3 s).
  const overdue = [...due].filter(([id, at]) => at < registeredAt && (woke.get(id) ?? 0) >= registeredAt)
  const upLags = [...due].filter(([id, at]) => at >= registeredAt && woke.has(id)).map(([id, at]) => woke.get(id)! - at)
  const catchUp = overdue.length === 0 ? 0 : Math.max(...overdue.map(([id]) => woke.get(id)!)) - registeredAt
  const perInstance = (m: NodeJS.MemoryUsage) => (m.heapUsed - empty.heapUsed) / INSTANCES

  const w = "W7 timers, memory"
  const lag = (metric: string, values: ReadonlyArray<number>, p: number, target: number): Figure => ({
    workload: w,
    metric,
    value: percentile(values, p),
    kind: "time",
    target: { value: target, text: `< ${target} ms` }
  })
  const figure = (metric: string, value: number): Figure => ({ workload: w, metric, value, kind: "time" })
  return [
    lag("wake-up lag p50 ms", liveLags, 0.5, 50),
    lag("wake-up lag p99 ms", liveLags, 0.99, 200),
    figure("sleeping: heap MB over empty", (sleeping.heapUsed - empty.heapUsed) / MB),
    figure("sleeping: RSS MB over empty", (sleeping.rss - empty.rss) / MB),
    figure("sleeping: heap B/instance", perInstance(sleeping)),
    figure("sleeping: of it, the worker's B", perInstance(sleeping) - perInstance(storeOnly)),
    figure("never woke (live + restart)", liveStuck + due.size - woke.size),
    figure("restart: overdue instances", overdue.length),
    figure("restart: first worker's starts ms", startedMs),
    lag("restart: lag p50 ms (due while up)", upLags, 0.5, 50),
    lag("restart: lag p99 ms (due while up)", upLags, 0.99, 200),
    figure("restart: catch-up ms (overdue)", catchUp)
  ]
}

export const timers: Workload = {
  name: "W7 timers memory",
  description: `${INSTANCES} instances sleeping 0–${MAX_MS / 1000} s, then after a worker restart (memory store)`,
  run
}
