/**
 * Child of W5: starts N instances that wait for a signal, with one Worker keeping them all loaded (their actors and
 * positions in memory), on a SQLite file or the memory store (which holds every event in the process too); then
 * prints the process's RSS and heap (after a GC) as JSON. `idleChild <n> sqlite|memory <file> all|default`.
 */
import { Effect, Layer, Schema } from "effect"
import { type EventStore, MemoryStore, Signal, Workflow, Worker } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"

const N = Number(process.argv[2] ?? 100_000)
const kind = process.argv[3] ?? "memory"
const file = process.argv[4] ?? ""
/** "all": keep every instance loaded; "default": the Worker's default cache (10,000 least recently used). */
const loaded = process.argv[5] ?? "all"
class Got extends Schema.TaggedClass<Got>()("Got", {}) {}
const Go = Signal.make("Go", { request: Schema.Struct({}), response: Schema.Void })
const waiting = Workflow.awaitSignal(Go, {
  name: "Wait",
  event: Got,
  handle: () => new Got(),
  apply: (s: { readonly id: number }) => s
}).pipe(Workflow.define({ name: "idle", input: Schema.Struct({ id: Schema.Number }) }))

const before = process.memoryUsage().rss
const program = Effect.gen(function* () {
  const worker = yield* Worker
  yield* worker.register(waiting, Layer.empty)
  const started = performance.now()
  // Started 64 at a time: on SQLite their appends share group commits.
  yield* Effect.forEach(
    Array.from({ length: N }, (_, i) => i),
    (i) => worker.start(waiting, { id: `i${i}`, input: { id: i } }),
    { concurrency: 64, discard: true }
  )
  const ms = performance.now() - started
  const check = yield* worker.status(waiting, `i${N - 1}`)
  if (check._tag !== "Waiting") return yield* Effect.die(new Error(check._tag))
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  process.stdout.write(
    `${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, before, ms })}\n`
  )
})
Effect.runPromise(
  Effect.scoped(program).pipe(
    Effect.provide(
      Worker.layer({ ...(loaded === "all" ? { maxCachedInstances: N } : {}), pollIntervalMs: 3_600_000 }).pipe(
        Layer.provide(kind === "sqlite" ? SqliteStore.layer({ file }) : (MemoryStore.layer as Layer.Layer<EventStore>))
      )
    )
  )
).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
