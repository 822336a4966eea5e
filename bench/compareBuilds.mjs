/**
 * W2's shape (200 instances of 10 steps; memory, SQLite, or memory answering a turn later: "async") run by two
 * builds of the library loaded in ONE process, alternated, so that both see the same machine, load and JIT:
 * `npm run build` in each checkout, then
 *
 *   node bench/compareBuilds.mjs <other checkout> [rounds=80] [steps=10] [store=memory|sqlite|async] [instances=200]
 *
 * "this" is the checkout the script is in (its Worker); "other" is an older checkout, run through its `Worker` if it
 * has one, else through its v1 `WorkflowRuntime` (e.g. 7d2b4ae, the commit the worker was merged onto). The first
 * 10 rounds are dropped; prints p25 / median / p75 ms per round and the ratio of the medians.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"

// Two builds, so two copies of effect, on purpose: each library only ever sees its own (builds since the packaging
// issue refuse that unless told).
process.env.DURABLE_MONAD_ALLOW_EFFECT_COPIES = "1"

const here = Path.resolve(import.meta.dirname, "..")
const other = Path.resolve(process.argv[2] ?? "")
const rounds = Number(process.argv[3] ?? 80)
const steps = Number(process.argv[4] ?? 10)
const storeKind = process.argv[5] ?? "memory"
const scratch = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-monad-compare-"))
process.on("exit", () => Fs.rmSync(scratch, { recursive: true, force: true }))
let files = 0
const INSTANCES = Number(process.argv[6] ?? 200)

const load = async (root) => ({
  fx: await import(pathToFileURL(Path.join(root, "node_modules/effect/dist/index.js")).href),
  dm: await import(pathToFileURL(Path.join(root, "dist/src/index.js")).href),
  sqlite: await import(pathToFileURL(Path.join(root, "dist/src/sqlite.js")).href)
})

const make = ({ fx, dm, sqlite }) => {
  const { Effect, Layer, Schema } = fx
  const { Workflow } = dm
  // A new store per round (SQLite: a new file, synchronous=FULL as in bench/).
  // "async": the memory store with every append answered a turn of the event loop later, as SQLite's group commit
  // does, without its I/O.
  const deferred = Layer.effect(
    dm.EventStore,
    Effect.map(dm.EventStore, (store) => ({
      ...store,
      append: (stream, expected, events) =>
        Effect.flatten(
          Effect.callback((resume) => {
            setImmediate(() => resume(Effect.succeed(store.append(stream, expected, events))))
          })
        )
    }))
  ).pipe(Layer.provideMerge(dm.MemoryStore.layer))
  const storeLayer = () =>
    storeKind === "sqlite"
      ? sqlite.SqliteStore.layer({ file: Path.join(scratch, `${files++}.db`), synchronous: "FULL" })
      : storeKind === "async"
        ? deferred
        : dm.MemoryStore.layer
  class Counter extends Schema.TaggedClass()("Counter", { n: Schema.Number, until: Schema.Number }) {}
  class Ticked extends Schema.TaggedClass()("Ticked", { n: Schema.Number }) {}
  const counter = Workflow.loop({
    name: "Count",
    body: Workflow.step({
      name: "Tick",
      event: Ticked,
      run: (s) => Effect.sync(() => new Ticked({ n: s.n + 1 })),
      apply: (s, e) => new Counter({ n: e.n, until: s.until })
    }),
    exit: { name: "reached until", when: (s) => s.n >= s.until }
  }).pipe(Workflow.define({ name: "counter", input: Counter }))
  const ids = Array.from({ length: INSTANCES }, (_, i) => `w${i}`)
  const input = () => new Counter({ n: 0, until: steps })
  const timed = (start) =>
    Effect.gen(function* () {
      const t = performance.now()
      yield* Effect.forEach(ids, start, { concurrency: "unbounded" })
      return performance.now() - t
    })
  if (dm.Worker !== undefined) {
    const { Worker } = dm
    return () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const worker = yield* Worker
          yield* worker.register(counter, Layer.empty)
          return yield* timed((id) => worker.start(counter, { id, input: input() }))
        }).pipe(Effect.scoped, Effect.provide(Worker.layer().pipe(Layer.provideMerge(storeLayer()))))
      )
  }
  const { WorkflowRuntime } = dm
  return () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        return yield* timed((id) => runtime.start(counter, { id, input: input() }))
      }).pipe(Effect.provide(WorkflowRuntime.layer.pipe(Layer.provideMerge(storeLayer()))))
    )
}

const runs = { this: make(await load(here)), other: make(await load(other)) }
const times = { this: [], other: [] }
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 === 0 ? ["other", "this"] : ["this", "other"]) {
    const ms = await runs[name]()
    if (r >= 10) times[name].push(ms)
  }
}
const at = (sorted, p) => sorted[Math.floor(p * (sorted.length - 1))]
const median = {}
for (const name of ["other", "this"]) {
  const sorted = times[name].sort((a, b) => a - b)
  median[name] = at(sorted, 0.5)
  const f = (p) => at(sorted, p).toFixed(2)
  console.log(`${name.padEnd(5)} ms: p25 ${f(0.25)}  median ${f(0.5)}  p75 ${f(0.75)}`)
}
console.log(`this / other (medians): ${(median.this / median.other).toFixed(3)}`)
