/**
 * W3: a recorded 100,000-event history (one instance of the counter, recorded by the runtime on the memory store,
 * then copied to a SQLite file). Figures:
 * - the fold: `replay()` over the events already in memory — Schema decode, apply and the machine per event;
 * - the same fold for the counter with a Struct event and a plain state (no Schema class built per event);
 * - recovery: a new runtime on a new connection loads the instance (`get`, then `status`), reading from SQLite.
 */
import * as Path from "node:path"
import { Effect, Result, Stream } from "effect"
import { type Definition, EventStore, replay, type StoredEvent, WorkflowRuntime } from "durable-monad"
import {
  counter,
  counterInput,
  type Figure,
  median,
  plainCounter,
  runtimeLayer,
  scratchDir,
  type Workload
} from "./support.js"

const EVENTS = 100_000
const FOLDS = 3
/** Events per append when copying the history to SQLite (the store commits up to 8192 per transaction). */
const CHUNK = 8192

interface History {
  readonly file: string
  /** The counter's history as the SQLite store returns it. */
  readonly events: ReadonlyArray<StoredEvent>
  /** The plain counter's history, as the memory store returns it. */
  readonly plain: ReadonlyArray<StoredEvent>
}

let history: History | undefined
let cleanupHistory: (() => void) | undefined

/** Run one instance for EVENTS - 1 steps on the memory store; its events. */
const record = <In>(definition: Definition<In, unknown, unknown, never, unknown>, input: In) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const instance = yield* runtime.start(definition, { id: "long", input })
      const events = yield* Stream.runCollect((yield* EventStore).read(instance.stream))
      if (events.length !== EVENTS) return yield* Effect.die(new Error(`recorded ${events.length} events`))
      return events
    }).pipe(Effect.provide(runtimeLayer("memory", "")))
  )

/** Record the histories once per process, and copy the counter's to SQLite. */
const recorded = async (): Promise<History> => {
  if (history !== undefined) return history
  const { dir, cleanup } = scratchDir()
  cleanupHistory = cleanup
  const file = Path.join(dir, "w3.db")
  const events = await record(counter, counterInput(EVENTS - 1))
  const plain = await record(plainCounter, { n: 0, until: EVENTS - 1 })
  const stored = await Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* EventStore
      for (let from = 0; from < events.length; from += CHUNK) {
        const chunk = events
          .slice(from, from + CHUNK)
          .map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))
        yield* store.append("counter-long", from - 1, chunk)
      }
      return yield* Stream.runCollect(store.read("counter-long"))
    }).pipe(Effect.provide(runtimeLayer("sqlite", file)))
  )
  history = { file, events: stored, plain }
  return history
}

/** Median ms of FOLDS folds of `events` through `definition`, which must complete the instance. */
const fold = (definition: Definition.Any, stream: string, events: ReadonlyArray<StoredEvent>): number => {
  const times: Array<number> = []
  for (let i = 0; i < FOLDS; i++) {
    const t0 = performance.now()
    const result = replay(definition, stream, events)
    times.push(performance.now() - t0)
    if (Result.isFailure(result) || result.success.status._tag !== "Completed") {
      throw new Error(`the fold of ${stream} did not complete the instance`)
    }
  }
  return median(times)
}

const run = async (): Promise<ReadonlyArray<Figure>> => {
  const { file, events, plain } = await recorded()
  const foldMs = fold(counter, "counter-long", events)
  const plainMs = fold(plainCounter, "plainCounter-long", plain)
  const recoveryMs = await Effect.runPromise(
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const t0 = performance.now()
      const instance = yield* runtime.get(counter, "long")
      const status = yield* instance.status
      const ms = performance.now() - t0
      if (status._tag !== "Completed") return yield* Effect.die(new Error(`recovered as ${status._tag}`))
      return ms
    }).pipe(Effect.provide(runtimeLayer("sqlite", file)))
  )
  const workload = "W3 replay"
  const target = { value: 500_000, text: "≥ 500,000 events/s" }
  return [
    { workload, metric: "fold events/s", value: EVENTS / (foldMs / 1000), kind: "rate", target },
    { workload, metric: "fold events/s (Struct events)", value: EVENTS / (plainMs / 1000), kind: "rate", target },
    { workload, metric: "recovery ms", value: recoveryMs, kind: "time" },
    { workload, metric: "recovery events/s", value: EVENTS / (recoveryMs / 1000), kind: "rate" }
  ]
}

export const replayHistory: Workload = {
  name: "W3 replay",
  description: `fold of a recorded ${EVENTS.toLocaleString("en")}-event history; recovery of that instance from SQLite`,
  run
}

/** Remove the recorded history's file. */
export const disposeHistory = (): void => {
  cleanupHistory?.()
  history = undefined
  cleanupHistory = undefined
}
