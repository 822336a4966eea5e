import { Context, Effect, Exit, Layer, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import {
  InvalidDefinition,
  MemoryStore,
  replay,
  Signal,
  type StoredEvent,
  toModel,
  Workflow
} from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"

const HOUR = 3_600_000

const Approve = Signal.make("Approve", { request: Schema.Struct({ by: Schema.String }), response: Schema.Void })
const Reject = Signal.make("Reject", { request: Schema.Struct({ reason: Schema.String }), response: Schema.Void })
class Approved extends Schema.TaggedClass<Approved>()("Approved", { by: Schema.String }) {}
class Rejected extends Schema.TaggedClass<Rejected>()("Rejected", { reason: Schema.String }) {}
class Escalated extends Schema.TaggedClass<Escalated>()("Escalated", { to: Schema.String }) {}

class Desk extends Context.Service<Desk, { readonly escalate: () => Effect.Effect<string> }>()("test/Desk") {}

interface Request {
  readonly id: string
  readonly outcome?: string
}

const approve = Workflow.awaitSignal(Approve, {
  name: "Approved",
  event: Approved,
  handle: (_: Request, r) => new Approved({ by: r.by }),
  apply: (s, e): Request => ({ ...s, outcome: `approved by ${e.by}` })
})
const reject = Workflow.awaitSignal(Reject, {
  name: "Rejected",
  event: Rejected,
  handle: (_: Request, r) => new Rejected({ reason: r.reason }),
  apply: (s, e): Request => ({ ...s, outcome: `rejected: ${e.reason}` })
})
const escalate = Workflow.step({
  name: "Escalate",
  event: Escalated,
  run: (_: Request) =>
    Effect.map(
      Desk.use((d) => d.escalate()),
      (to) => new Escalated({ to })
    ),
  apply: (s, e): Request => ({ ...s, outcome: `escalated to ${e.to}` })
})
const notify = Workflow.pure("Notify", (s: Request): Request => ({ ...s, outcome: `${s.outcome}, notified` }))

const Input = Schema.Struct({ id: Schema.String })
const decision = Workflow.race({
  name: "Decision",
  arms: [approve.pipe(Workflow.andThen(notify)), reject],
  deadline: Workflow.sleep<Request>({ name: "48 hours", duration: "48 hours" }).pipe(Workflow.andThen(escalate))
}).pipe(Workflow.define({ name: "decision", input: Input }))
const noDeadline = Workflow.race({ arms: [approve, reject] }).pipe(
  Workflow.define({ name: "nodeadline", input: Input })
)

const desk = () => {
  const calls = { n: 0 }
  return { calls, layer: Layer.succeed(Desk, { escalate: () => Effect.sync(() => `manager-${++calls.n}`) }) }
}

const journal = (history: ReadonlyArray<StoredEvent>) =>
  history.map((e) => {
    const m = e.metadata as { step: string; at: string; status: string; wakeAt?: number }
    // No wake-up: no `wakeAt` at all (undefined here; a stored null would show as null).
    return [e.type, m.step, m.at, m.status, m.wakeAt]
  })

describe("Workflow.race", () => {
  it("waits for every arm's signal and the deadline at once; the first signal wins and its arm runs on", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = desk()
    const seen = await withClockedWorker(store, T0, [decision, noDeadline], layer, (worker) =>
      Effect.gen(function* () {
        const d = yield* worker.start(decision, { id: "1", input: { id: "1" } })
        const waiting = yield* d.status
        yield* TestClock.adjust(HOUR)
        yield* d.signal(Approve, { by: "ann" })
        const late = yield* Effect.exit(d.signal(Reject, { reason: "too late" }))
        yield* TestClock.adjust(48 * HOUR)
        yield* settle
        return { waiting, status: yield* d.status, state: yield* d.state, late: Exit.isFailure(late) }
      })
    )
    expect(seen).toEqual({
      waiting: { _tag: "Waiting", step: "approved", signals: ["Approve", "Reject"], until: new Date(T0 + 48 * HOUR) },
      status: { _tag: "Completed" },
      state: { id: "1", outcome: "approved by ann, notified" },
      late: true
    })
    expect(calls.n).toBe(0)
    expect(journal(await events(store, "decision-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0), "Running", undefined],
      ["TimerStarted", "timer-48-hours", iso(T0), "Waiting", T0 + 48 * HOUR],
      ["Approved", "approved", iso(T0 + HOUR), "Completed", undefined]
    ])
  })

  it("when the deadline passes first, its arm runs and the signals are no longer accepted", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = desk()
    const seen = await withClockedWorker(store, T0, [decision, noDeadline], layer, (worker) =>
      Effect.gen(function* () {
        const d = yield* worker.start(decision, { id: "1", input: { id: "1" } })
        yield* TestClock.adjust(48 * HOUR)
        yield* settle
        const late = yield* Effect.exit(d.signal(Approve, { by: "ann" }))
        return { status: yield* d.status, state: yield* d.state, late: Exit.isFailure(late) ? late.cause : undefined }
      })
    )
    expect(seen.status).toEqual({ _tag: "Completed" })
    expect(seen.state).toEqual({ id: "1", outcome: "escalated to manager-1" })
    expect(String(seen.late)).toContain("UnexpectedSignal")
    expect(calls.n).toBe(1)
    const history = await events(store, "decision-1")
    expect(journal(history)).toEqual([
      ["WorkflowStarted", "start", iso(T0), "Running", undefined],
      ["TimerStarted", "timer-48-hours", iso(T0), "Waiting", T0 + 48 * HOUR],
      ["TimerFired", "timer-48-hours", iso(T0 + 48 * HOUR), "Running", undefined],
      ["Escalated", "escalate", iso(T0 + 48 * HOUR), "Completed", undefined]
    ])
    // Replay: the same state; the trace says who won.
    const replayed = replay(decision, "decision-1", history)
    expect(Result.isSuccess(replayed) && replayed.success.state).toEqual(seen.state)
    expect(Result.isSuccess(replayed) && replayed.success.trace).toEqual([
      { _tag: "Completed", node: "start" },
      { _tag: "TimerStarted", node: "timer-48-hours", at: T0 + 48 * HOUR },
      { _tag: "Completed", node: "timer-48-hours" },
      { _tag: "Raced", race: "decision", winner: "timer-48-hours" },
      { _tag: "Completed", node: "escalate" },
      { _tag: "Completed", node: "decision" }
    ])
  })

  it("without a deadline it only waits for the signals; a restart keeps it waiting for both", async () => {
    const store = MemoryStore.make()
    const { layer } = desk()
    await withClockedWorker(store, T0, [decision, noDeadline], layer, (worker) =>
      worker.start(noDeadline, { id: "1", input: { id: "1" } })
    )
    const seen = await withClockedWorker(store, T0 + HOUR, [decision, noDeadline], layer, (worker) =>
      Effect.gen(function* () {
        const before = yield* worker.status(noDeadline, "1")
        yield* worker.signal(noDeadline, "1", Reject, { reason: "no budget" })
        return { before, state: yield* (yield* worker.get(noDeadline, "1")).state }
      })
    )
    expect(seen).toEqual({
      before: { _tag: "Waiting", step: "approved", signals: ["Approve", "Reject"] },
      state: { id: "1", outcome: "rejected: no budget" }
    })
  })

  it("is a race in the model; arms must start with a signal, the deadline with a timer", () => {
    expect(toModel(decision).root).toEqual({
      kind: "race",
      id: "decision",
      name: "Decision",
      arms: [
        {
          trigger: { kind: "signal", id: "approved", name: "Approved", signal: "Approve", errors: [] },
          body: { kind: "transition", id: "notify", name: "Notify", errors: [] }
        },
        { trigger: { kind: "signal", id: "rejected", name: "Rejected", signal: "Reject", errors: [] } }
      ],
      deadline: {
        trigger: {
          kind: "timer",
          id: "timer-48-hours",
          name: "48 hours",
          timer: { type: "duration", expression: "P2D" }
        },
        body: { kind: "step", id: "escalate", name: "Escalate", errors: [] }
      }
    })
    // Checked when the workflow is defined (compiled).
    expect(() =>
      Workflow.race({ name: "Bad", arms: [escalate] }).pipe(Workflow.define({ name: "bad", input: Input }))
    ).toThrow(new InvalidDefinition('race "bad": every arm must start with Workflow.awaitSignal'))
    expect(() =>
      Workflow.race({ arms: [approve], deadline: escalate }).pipe(Workflow.define({ name: "bad2", input: Input }))
    ).toThrow('race "race-1": the deadline must start with Workflow.sleep')
  })
})
