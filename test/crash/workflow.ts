/**
 * The workflow the crash suite runs, shared by the child process (`worker.ts`) and the in-process reference run.
 *
 *   Begin → Prepare 1…5 → loop "Items" { Process item → Check item } until i = rounds
 *         → branch "Even rounds?" { even: Mark even → Even 1…3 | otherwise: Mark odd → Odd 1…2 }
 *         → Approve (signal) → Finish 1…5
 *
 * 23–30 step events per instance. Every step (and the signal handler) performs one side effect through the
 * `SideEffects` service with its `ctx.idempotencyKey`; the event records the value the side effect returned
 * (a pure function of the key, so the crash-free reference run records the same values) and a `nonce` that
 * identifies the attempt (so the suite can tell which logged attempt an event came from).
 */
import { Context, Effect, Schema } from "effect"
import { Signal, Workflow, type WorkflowRuntime } from "durable-monad"

export const WORKFLOW = "crashflow"

export const Input = Schema.Struct({ id: Schema.String, rounds: Schema.Number })
export type Input = typeof Input.Type

/** The state. Never persisted: recomputed from the events, so it must come out equal after any crash. */
export interface Progress {
  readonly id: string
  readonly rounds: number
  /** Loop rounds completed. */
  readonly i: number
  /** A rolling hash of every step's value, in order: any lost, repeated or reordered event changes it. */
  readonly acc: number
  readonly steps: number
  readonly arm: string
  readonly approvedBy: string
}

export class Did extends Schema.TaggedClass<Did>()("Did", { v: Schema.Number, nonce: Schema.String }) {}
export class Approved extends Schema.TaggedClass<Approved>()("Approved", {
  by: Schema.String,
  v: Schema.Number,
  nonce: Schema.String
}) {}

export const Approve = Signal.make("Approve", {
  request: Schema.Struct({ by: Schema.String }),
  response: Schema.String
})

/** What a step's side effect returns: `v` depends on the key only; `nonce` names the attempt. */
export interface Effected {
  readonly v: number
  readonly nonce: string
}

/** The outside world the steps act on. The child logs every call to a file (fsynced) before returning. */
export class SideEffects extends Context.Service<
  SideEffects,
  { readonly perform: (idempotencyKey: string) => Effect.Effect<Effected> }
>()("crash/SideEffects") {}

/** The value a side effect returns for a key (FNV-1a): deterministic, so recorded events are reproducible. */
export const valueOf = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h >>> 0) % 10_007
}

const mix = (s: Progress, v: number): Progress => ({ ...s, acc: (s.acc * 31 + v) % 1_000_003, steps: s.steps + 1 })

type W = Workflow<Progress, Progress, never, SideEffects, Progress>

const work = (name: string, after: (s: Progress) => Progress = (s) => s): W =>
  Workflow.step({
    name,
    event: Did,
    run: (_: Progress, ctx) =>
      Effect.map(
        SideEffects.use((fx) => fx.perform(ctx.idempotencyKey)),
        ({ v, nonce }) => new Did({ v, nonce })
      ),
    apply: (s, did) => after(mix(s, did.v))
  })

const sequence = (first: W, ...rest: ReadonlyArray<W>): W =>
  rest.reduce<W>((acc, next) => acc.pipe(Workflow.andThen(next)), first)

const begin = Workflow.pure(
  "Begin",
  (input: Input): Progress => ({ ...input, i: 0, acc: 1, steps: 0, arm: "", approvedBy: "" })
)

const prepare = sequence(work("Prepare 1"), work("Prepare 2"), work("Prepare 3"), work("Prepare 4"), work("Prepare 5"))

const items = Workflow.loop({
  name: "Items",
  body: sequence(
    work("Process item"),
    work("Check item", (s) => ({ ...s, i: s.i + 1 }))
  ),
  exit: { name: "all items done", when: (s: Progress) => s.i >= s.rounds }
})

const mark = (arm: string) => Workflow.pure(`Mark ${arm}`, (s: Progress): Progress => ({ ...s, arm }))

const parity = Workflow.branch({
  name: "Even rounds?",
  arms: [
    Workflow.when(
      "even",
      (s: Progress) => s.rounds % 2 === 0,
      sequence(mark("even"), work("Even 1"), work("Even 2"), work("Even 3"))
    )
  ],
  otherwise: sequence(mark("odd"), work("Odd 1"), work("Odd 2"))
})

const approve = Workflow.awaitSignal(Approve, {
  name: "Approve",
  event: Approved,
  handle: (_: Progress, request, ctx) =>
    Effect.map(
      SideEffects.use((fx) => fx.perform(ctx.idempotencyKey)),
      ({ v, nonce }) => new Approved({ by: request.by, v, nonce })
    ),
  apply: (s, approved) => ({ ...mix(s, approved.v), approvedBy: approved.by }),
  respond: (s) => `approved ${s.id}`
})

const finish = sequence(work("Finish 1"), work("Finish 2"), work("Finish 3"), work("Finish 4"), work("Finish 5"))

export const crashflow = begin.pipe(
  Workflow.andThen(sequence(prepare, items, parity, approve, finish)),
  Workflow.define({ name: WORKFLOW, input: Input })
)

/** Drive an instance to its end: start it (or pick it up again), send the signal when it waits, resume if needed. */
export const driveToEnd = (runtime: WorkflowRuntime["Service"], input: Input) =>
  Effect.gen(function* () {
    const instance = yield* runtime.start(crashflow, { id: input.id, input })
    // A killed predecessor may still hold the instance's lease for a moment: then `resume` leaves it, and we wait.
    for (let turn = 0; turn < 100; turn++) {
      const status = yield* instance.status
      switch (status._tag) {
        case "Completed":
          // `state` is typed as any state the workflow passes through; a completed instance holds its output.
          return (yield* instance.state) as Progress
        case "Failed":
          return yield* Effect.die(new Error(`instance ${input.id} failed at ${status.step}`))
        case "Waiting":
          yield* instance.signal(Approve, { by: "approver" })
          break
        case "Running": {
          const after = yield* instance.resume
          if (after._tag === "Running" && after.step === status.step) yield* Effect.sleep(25)
          break
        }
      }
    }
    return yield* Effect.die(new Error(`instance ${input.id} did not complete in 100 turns`))
  })
