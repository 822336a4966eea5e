/**
 * The child process of the crash suite: drives some `crashflow` instances to their end on a SQLite file, and
 * SIGKILLs itself at the chosen moment (or gets SIGKILLed by the parent at a random one).
 *
 * Usage: `worker <json WorkerArgs>`. Prints `ready` once the store is open, then `done <json states>` when every
 * instance completed. Every side effect is appended as `key \t nonce \t value` to the log file and fsynced before
 * the step's Effect returns.
 */
import * as Fs from "node:fs"
import { Effect, Layer } from "effect"
import { EventStore, WorkflowRuntime } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { DEFAULT_BUSY_TIMEOUT_MS } from "../../src/interpreters/store/SqliteStore.js"
import { acquireJournal, serviceOf } from "../../src/interpreters/store/sqlite/SqliteJournal.js"
import { driveToEnd, type Input, SideEffects, valueOf } from "./workflow.js"

/**
 * Where the child kills itself, at the `at`-th time it passes that point (1-based):
 * - `step-before-effect` / `step-after-effect`: inside a step's Effect, before / after its side effect is fsynced;
 * - `before-append` / `after-append`: around the store's `append` (a decorator on the EventStore service);
 * - `in-transaction`: inside SQLite's write transaction, after the `at`-th event row is inserted and before the
 *   group commit's COMMIT (a temporary trigger calls a function that kills the process);
 * - `ticks`: after `at` turns of the event loop (`setImmediate`), wherever that lands relative to group commits.
 */
export type KillPoint =
  | "step-before-effect"
  | "step-after-effect"
  | "before-append"
  | "after-append"
  | "in-transaction"
  | "ticks"

export interface WorkerArgs {
  readonly db: string
  readonly log: string
  readonly instances: ReadonlyArray<Input>
  readonly kill?: { readonly point: KillPoint; readonly at: number }
}

const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs
const { kill } = args

const die = (): never => {
  process.kill(process.pid, "SIGKILL")
  // SIGKILL to oneself is delivered before kill(2) returns; should it not be, nothing else may run.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
}

let passed = 0
const checkpoint = (point: KillPoint): void => {
  if (kill?.point === point && ++passed === kill.at) die()
}

// ---- The side effects: one fsynced log line per attempt, before the step's Effect returns. ----

const logFd = Fs.openSync(args.log, "a")
let attempts = 0
const sideEffects = Layer.succeed(SideEffects, {
  perform: (key) =>
    Effect.sync(() => {
      checkpoint("step-before-effect")
      const v = valueOf(key)
      const nonce = `${process.pid}.${++attempts}`
      Fs.writeSync(logFd, `${key}\t${nonce}\t${v}\n`)
      Fs.fsyncSync(logFd)
      checkpoint("step-after-effect")
      return { v, nonce }
    })
})

// ---- The store: SqliteStore.layer, or the same journal with a kill switch inside its transaction. ----

const sqlite: Layer.Layer<EventStore, unknown> =
  kill?.point === "in-transaction"
    ? Layer.effect(
        EventStore,
        Effect.map(
          acquireJournal({ file: args.db, synchronous: "FULL", busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS }),
          (journal) => {
            // better-sqlite3's user-defined functions (not part of the store's typed slice of the driver)
            const db = journal.db as typeof journal.db & { function(name: string, f: () => unknown): void }
            db.function("crash_checkpoint", () => {
              checkpoint("in-transaction")
              return null
            })
            db.exec(
              "CREATE TEMP TRIGGER crash_after_insert AFTER INSERT ON main.events BEGIN SELECT crash_checkpoint(); END"
            )
            return serviceOf(journal)
          }
        )
      )
    : SqliteStore.layer({ file: args.db })

const aroundAppends = Layer.effect(
  EventStore,
  Effect.gen(function* () {
    const inner = yield* EventStore
    return EventStore.of({
      ...inner,
      append: (stream, expected, events) =>
        Effect.suspend(() => {
          checkpoint("before-append")
          return inner.append(stream, expected, events)
        }).pipe(Effect.tap(() => Effect.sync(() => checkpoint("after-append"))))
    })
  })
).pipe(Layer.provide(sqlite))

// A short lease: a killed predecessor's lease on an instance expires quickly.
const runtime = WorkflowRuntime.layerWith({ leaseTtlMs: 200 }).pipe(Layer.provide(aroundAppends))

// ---- Run. ----

const program = Effect.gen(function* () {
  const runtime = yield* WorkflowRuntime
  process.stdout.write("ready\n")
  if (kill?.point === "ticks") {
    let left = kill.at
    const tick = () => (--left <= 0 ? die() : setImmediate(tick))
    setImmediate(tick)
  }
  const states = yield* Effect.forEach(args.instances, (input) => driveToEnd(runtime, input), {
    concurrency: "unbounded"
  })
  process.stdout.write(`done ${JSON.stringify(states)}\n`)
})

Effect.runPromise(program.pipe(Effect.provide([runtime, sideEffects]))).then(
  () => Fs.closeSync(logFd),
  (error) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  }
)
