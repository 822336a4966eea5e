/**
 * Child of W6 (recovery). `record <file>`: one instance runs 1,000 steps on a SQLite file and the process dies inside
 * step 1,001 (`process.exit`). `recover <file>`: a NEW process registers the definition with a Worker — which finds
 * the instance through the store's registry and runs it, with no `resume` call — and prints, as JSON, the time from
 * process start to completed, from registration to the first step it runs, and a separate read + replay of the
 * history (the replay part alone).
 */
import { Effect, Layer, Result, Schema, Stream } from "effect"
import { EventStore, replay, Workflow, Worker } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"

const [mode, file] = process.argv.slice(2) as [string, string]
const STEPS = 1_000
class Ticked extends Schema.TaggedClass<Ticked>()("Ticked", { n: Schema.Number }) {}

let firstStepAt: number | undefined
const tick = Workflow.step({
  name: "Tick",
  event: Ticked,
  run: (n: number) =>
    Effect.sync(() => {
      firstStepAt ??= performance.now()
      if (mode === "record" && n === STEPS) process.exit(1)
      return new Ticked({ n: n + 1 })
    }),
  apply: (_, e) => e.n
})
const long = Workflow.loop({ name: "Count", body: tick, exit: { name: "done", when: (n: number) => n > STEPS } }).pipe(
  Workflow.define({ name: "long", input: Schema.Number })
)

const program = Effect.gen(function* () {
  const worker = yield* Worker
  if (mode === "record") {
    yield* worker.register(long, Layer.empty)
    yield* worker.start(long, { id: "1", input: 0 })
    return
  }
  const registering = performance.now()
  yield* worker.register(long, Layer.empty)
  for (;;) {
    const status = yield* worker.status(long, "1")
    if (status._tag === "Completed") break
    yield* Effect.sleep(0)
  }
  const completed = performance.now()
  const store = yield* EventStore
  const t0 = performance.now()
  const events = yield* Stream.runCollect(store.read("long-1"))
  const result = replay(long, "long-1", events)
  const replayMs = performance.now() - t0
  if (!Result.isSuccess(result)) return yield* Effect.die(result.failure)
  process.stdout.write(
    `${JSON.stringify({
      startToCompletedMs: completed,
      registerToFirstStepMs: (firstStepAt ?? completed) - registering,
      replayMs,
      events: events.length
    })}\n`
  )
})

Effect.runPromise(
  Effect.scoped(program).pipe(
    // The same worker identity in both processes (a deployment's stable worker id): the restarted worker takes the
    // lease its predecessor held back at once, instead of waiting for it to expire.
    Effect.provide(
      Worker.layer({ pollIntervalMs: 3_600_000, owner: "bench-worker-1" }).pipe(
        Layer.provideMerge(SqliteStore.layer({ file }))
      )
    )
  )
).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
