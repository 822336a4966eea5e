/**
 * The child process of the EventStoreDB crash subset (test/interpreters/store/EventStoreDBCrash.test.ts): drives
 * `crashflow` instances (test/crash/workflow.ts) to their end on an EventStoreDB server given by URL, until the
 * parent SIGKILLs it. Usage: `crashWorker <json { url, log, instances }>`. Prints `ready` once the store is open and
 * `done <json states>` when every instance completed. Every side effect is appended to the log file and fsynced
 * before the step's Effect returns, as in test/crash/worker.ts.
 */
import * as Fs from "node:fs"
import { Effect, Layer } from "effect"
import { WorkflowRuntime } from "durable-monad"
import { EventStoreDB } from "durable-monad/eventstoredb"
import { driveToEnd, type Input, SideEffects, valueOf } from "../../crash/workflow.js"

export interface CrashWorkerArgs {
  readonly url: string
  readonly log: string
  readonly instances: ReadonlyArray<Input>
}

const args = JSON.parse(process.argv[2] ?? "{}") as CrashWorkerArgs
const logFd = Fs.openSync(args.log, "a")
let attempts = 0
const sideEffects = Layer.succeed(SideEffects, {
  perform: (key) =>
    Effect.sync(() => {
      const v = valueOf(key)
      const nonce = `${process.pid}.${++attempts}`
      Fs.writeSync(logFd, `${key}\t${nonce}\t${v}\n`)
      Fs.fsyncSync(logFd)
      return { v, nonce }
    })
})

const program = Effect.gen(function* () {
  const runtime = yield* WorkflowRuntime
  process.stdout.write("ready\n")
  const states = yield* Effect.forEach(args.instances, (input) => driveToEnd(runtime, input), {
    concurrency: "unbounded"
  })
  process.stdout.write(`done ${JSON.stringify(states)}\n`)
})

Effect.runPromise(
  // A short lease, as in the SQLite crash worker: a killed predecessor's lease must run out within driveToEnd's turns.
  program.pipe(
    Effect.provide([
      WorkflowRuntime.layerWith({ leaseTtlMs: 200 }).pipe(Layer.provide(EventStoreDB.layer(args.url))),
      sideEffects
    ])
  )
).then(
  () => {
    Fs.closeSync(logFd)
    process.exit(0)
  },
  (error) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
