/**
 * A child of the two-worker crash suite: one worker process of several sharing one SQLite file. It registers
 * `crashflow` with a Worker (short leases, fast polling), starts the given instances (a start of an existing one is
 * a no-op), approves the ones that wait (with an idempotency key, so two processes approving one instance record
 * one signal), and prints `done` once every instance completed — whichever process ran their steps.
 *
 * Every side effect logs `key \t pid \t begin \t end` (ms, `performance.timeOrigin`-based) and takes 25 ms, so
 * the parent can check that no two processes ever ran one step's Effect at the same time.
 */
import * as Fs from "node:fs"
import { Effect, Layer } from "effect"
import { Worker } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { Approve, crashflow, type Input, SideEffects, valueOf } from "./workflow.js"

export interface PoolArgs {
  readonly db: string
  readonly log: string
  readonly instances: ReadonlyArray<Input>
}

const args = JSON.parse(process.argv[2] ?? "{}") as PoolArgs
const logFd = Fs.openSync(args.log, "a")
const now = () => performance.timeOrigin + performance.now()
let attempts = 0

const sideEffects = Layer.succeed(SideEffects, {
  perform: (key) =>
    Effect.gen(function* () {
      const begin = now()
      yield* Effect.sleep(25)
      const end = now()
      Fs.writeSync(logFd, `${key}\t${process.pid}\t${begin.toFixed(3)}\t${end.toFixed(3)}\n`)
      Fs.fsyncSync(logFd)
      return { v: valueOf(key), nonce: `${process.pid}.${++attempts}` }
    })
})

const program = Effect.gen(function* () {
  const worker = yield* Worker
  yield* worker.register(crashflow, sideEffects)
  process.stdout.write("ready\n")
  for (const input of args.instances) yield* worker.start(crashflow, { id: input.id, input, wait: false })
  for (;;) {
    let completed = 0
    for (const input of args.instances) {
      const status = yield* worker.status(crashflow, input.id)
      if (status._tag === "Completed") completed++
      else if (status._tag === "Waiting") {
        yield* Effect.ignore(
          worker.signal(crashflow, input.id, Approve, { by: "approver" }, { idempotencyKey: `approve-${input.id}` })
        )
      } else if (status._tag === "Failed") return yield* Effect.die(new Error(`${input.id} failed`))
    }
    if (completed === args.instances.length) break
    yield* Effect.sleep(20)
  }
  process.stdout.write("done\n")
})

Effect.runPromise(
  Effect.scoped(program).pipe(
    Effect.provide(
      Worker.layer({ leaseTtlMs: 300, pollIntervalMs: 30, retryDelayMs: 10 }).pipe(
        Layer.provide(SqliteStore.layer({ file: args.db }))
      )
    )
  )
).then(
  () => Fs.closeSync(logFd),
  (error) => {
    process.stderr.write(
      `pool worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exitCode = 1
  }
)
