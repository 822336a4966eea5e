/**
 * What the workloads share: the benchmark workflow, stores, timing helpers and the shape of a measurement.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Layer, Schema } from "effect"
import { type EventStore, MemoryStore, Worker, Workflow, WorkflowRuntime } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"

// ---- The workflow: a loop of one run-step with a tiny event, `steps` times. ----

export class Counter extends Schema.TaggedClass<Counter>()("Counter", { n: Schema.Number, until: Schema.Number }) {}
export class Ticked extends Schema.TaggedClass<Ticked>()("Ticked", { n: Schema.Number }) {}

/** Called at the start of every step's Effect (per-step latency is the time between two calls). */
let onStep: (() => void) | undefined
export const observeSteps = (f: (() => void) | undefined): void => {
  onStep = f
}

const tick = Workflow.step({
  name: "Tick",
  event: Ticked,
  run: (s: Counter) =>
    Effect.sync(() => {
      onStep?.()
      return new Ticked({ n: s.n + 1 })
    }),
  apply: (s, e) => new Counter({ n: e.n, until: s.until })
})

/** Runs `Tick` until `n` reaches the input's `until`: `until` sequential step events after `WorkflowStarted`. */
export const counter = Workflow.loop({
  name: "Count",
  body: tick,
  exit: { name: "reached until", when: (s: Counter) => s.n >= s.until }
}).pipe(Workflow.define({ name: "counter", input: Counter }))

export const counterInput = (steps: number) => new Counter({ n: 0, until: steps })

/**
 * The same loop with a Struct event and a plain-object state: no Schema class instance is built per event, so a
 * fold of it shows the library's own cost (decoding a `Schema.TaggedClass` is most of the per-event cost above).
 */
const Plain = Schema.Struct({ n: Schema.Number, until: Schema.Number })
type Plain = typeof Plain.Type

export const plainCounter = Workflow.loop({
  name: "Count",
  body: Workflow.step({
    name: "Tick",
    event: Schema.Struct({ n: Schema.Number }),
    run: (s: Plain) => Effect.succeed({ n: s.n + 1 }),
    apply: (s, e): Plain => ({ n: e.n, until: s.until })
  }),
  exit: { name: "reached until", when: (s: Plain) => s.n >= s.until }
}).pipe(Workflow.define({ name: "plainCounter", input: Plain }))

// ---- Stores. ----

export type StoreKind = "sqlite" | "memory"

/** A fresh scratch directory, removed by `cleanup`. */
export const scratchDir = (): { readonly dir: string; readonly cleanup: () => void } => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-monad-bench-"))
  return { dir, cleanup: () => Fs.rmSync(dir, { recursive: true, force: true }) }
}

/** A runtime (and its store) on a new, empty store of the given kind. SQLite: WAL, synchronous=FULL (default). */
export const runtimeLayer = (kind: StoreKind, file: string): Layer.Layer<WorkflowRuntime | EventStore, unknown> =>
  WorkflowRuntime.layer.pipe(
    Layer.provideMerge(kind === "sqlite" ? SqliteStore.layer({ file, synchronous: "FULL" }) : MemoryStore.layer)
  )

/** A worker (and its store) on a new, empty store of the given kind; `counter` is registered by the workloads. */
export const workerLayer = (kind: StoreKind, file: string): Layer.Layer<Worker | EventStore, unknown> =>
  Worker.layer().pipe(
    Layer.provideMerge(kind === "sqlite" ? SqliteStore.layer({ file, synchronous: "FULL" }) : MemoryStore.layer)
  )

// ---- Timing. ----

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** One figure a workload measured in one repetition. */
export interface Figure {
  /** e.g. "W1 sqlite". */
  readonly workload: string
  /** e.g. "steps/s". */
  readonly metric: string
  readonly value: number
  /** Higher is better ("rate") or lower is better ("time"). */
  readonly kind: "rate" | "time"
  /** The target, if the brief sets one: a minimum rate or a maximum time. */
  readonly target?: { readonly value: number; readonly of?: string; readonly text: string }
}

/** A workload: one repetition returns its figures. */
export interface Workload {
  readonly name: string
  readonly description: string
  readonly run: () => Promise<ReadonlyArray<Figure>>
}
