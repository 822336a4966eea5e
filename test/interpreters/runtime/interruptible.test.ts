import { Context, Effect, Layer, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import {
  type EventStore,
  MemoryStore,
  replay,
  Signal,
  type StoredEvent,
  toModel,
  Workflow
} from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"

const MINUTE = 60_000

const Cancel = Signal.make("Cancel", { request: Schema.Struct({ by: Schema.String }), response: Schema.Void })
const Review = Signal.make("Review", { request: Schema.Struct({ ok: Schema.Boolean }), response: Schema.Void })
class Checked extends Schema.TaggedClass<Checked>()("Checked", { result: Schema.String }) {}
class Cancelled extends Schema.TaggedClass<Cancelled>()("Cancelled", { by: Schema.String }) {}
class Reviewed extends Schema.TaggedClass<Reviewed>()("Reviewed", { ok: Schema.Boolean }) {}
class Released extends Schema.TaggedClass<Released>()("Released", {}) {}

/** The checks take `ms` of (test clock) time; each call records whether it completed or was interrupted. */
class Checks extends Context.Service<Checks, { readonly run: () => Effect.Effect<string> }>()("test/Checks") {}

interface Case {
  readonly id: string
  readonly result?: string
  readonly outcome?: string
  readonly released?: boolean
}

const runChecks = Workflow.step({
  name: "Run checks",
  event: Checked,
  run: (_: Case) =>
    Effect.map(
      Checks.use((c) => c.run()),
      (result) => new Checked({ result })
    ),
  apply: (s, e): Case => ({ ...s, result: e.result })
})
const review = Workflow.awaitSignal(Review, {
  name: "Reviewed",
  event: Reviewed,
  handle: (_: Case, r) => new Reviewed({ ok: r.ok }),
  apply: (s, e): Case => ({ ...s, outcome: e.ok ? "approved" : "rejected" })
})
const cancel = Workflow.awaitSignal(Cancel, {
  name: "Cancelled",
  event: Cancelled,
  handle: (_: Case, r) => new Cancelled({ by: r.by }),
  apply: (s, e): Case => ({ ...s, outcome: `cancelled by ${e.by}` })
})
const release = Workflow.step({
  name: "Release",
  event: Released,
  run: (_: Case) => Effect.succeed(new Released()),
  apply: (s): Case => ({ ...s, released: true })
})

const Input = Schema.Struct({ id: Schema.String })
const guarded = Workflow.interruptible({
  name: "Checks",
  body: runChecks.pipe(Workflow.andThen(review)),
  interruptions: [cancel],
  timeout: Workflow.sleep<Case>({ name: "Two minutes", duration: "2 minutes" }).pipe(
    Workflow.andThen(Workflow.pure("Mark timed out", (s: Case): Case => ({ ...s, outcome: "timed out" })))
  )
}).pipe(Workflow.andThen(release), Workflow.define({ name: "guarded", input: Input }))

const checks = (ms: number) => {
  const calls: Array<string> = []
  const layer = Layer.succeed(Checks, {
    run: () =>
      Effect.sleep(ms).pipe(
        Effect.as("clean"),
        Effect.tap(() => Effect.sync(() => calls.push("completed"))),
        Effect.onInterrupt(() => Effect.sync(() => calls.push("interrupted")))
      )
  })
  return { calls, layer }
}

const journal = (history: ReadonlyArray<StoredEvent>) =>
  history.map((e) => [e.type, (e.metadata as { step: string }).step, (e.metadata as { at: string }).at])

/** Replays the stream and checks it reaches `state`. */
const replays = async (store: EventStore["Service"], state: Case) => {
  const r = replay(guarded, "guarded-1", await events(store, "guarded-1"))
  expect(Result.isSuccess(r) && r.success.state).toEqual(state)
}

describe("Workflow.interruptible", () => {
  it("a timeout started on entry interrupts a running step: its fiber is interrupted, its result discarded", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = checks(10 * MINUTE)
    const seen = await withClockedWorker(store, T0, [guarded], layer, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(guarded, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        const running = yield* c.status
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        return { running, status: yield* c.status, state: yield* c.state }
      })
    )
    expect(seen).toEqual({
      running: { _tag: "Running", step: "run-checks" },
      status: { _tag: "Completed" },
      state: { id: "1", outcome: "timed out", released: true }
    })
    expect(calls).toEqual(["interrupted"])
    expect(journal(await events(store, "guarded-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0)],
      ["TimerStarted", "two-minutes", iso(T0)],
      ["TimerFired", "two-minutes", iso(T0 + 2 * MINUTE)],
      ["Released", "release", iso(T0 + 2 * MINUTE)]
    ])
    await replays(store, seen.state)
  })

  it("a signal interrupts a running step; its handler's event is recorded and the interruption's path runs", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = checks(10 * MINUTE)
    const state = await withClockedWorker(store, T0, [guarded], layer, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(guarded, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        yield* TestClock.adjust(MINUTE)
        yield* c.signal(Cancel, { by: "olga" })
        yield* settle
        return yield* c.state
      })
    )
    expect(state).toEqual({ id: "1", outcome: "cancelled by olga", released: true })
    expect(calls).toEqual(["interrupted"])
    expect(journal(await events(store, "guarded-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0)],
      ["TimerStarted", "two-minutes", iso(T0)],
      ["Cancelled", "cancelled", iso(T0 + MINUTE)],
      ["Released", "release", iso(T0 + MINUTE)]
    ])
    await replays(store, state)
  })

  it("a body that completes first disarms the interruptions: the timeout no longer fires, Cancel is refused", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = checks(10_000)
    const seen = await withClockedWorker(store, T0, [guarded], layer, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(guarded, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        yield* TestClock.adjust(10_000)
        yield* settle
        const waiting = yield* c.status
        yield* c.signal(Review, { ok: true })
        yield* TestClock.adjust(5 * MINUTE)
        yield* settle
        const late = yield* Effect.exit(c.signal(Cancel, { by: "olga" }))
        return { waiting, state: yield* c.state, late: late._tag }
      })
    )
    expect(seen).toEqual({
      waiting: {
        _tag: "Waiting",
        step: "reviewed",
        signals: ["Review", "Cancel"],
        until: new Date(T0 + 2 * MINUTE)
      },
      state: { id: "1", result: "clean", outcome: "approved", released: true },
      late: "Failure"
    })
    expect(calls).toEqual(["completed"])
    expect(journal(await events(store, "guarded-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0)],
      ["TimerStarted", "two-minutes", iso(T0)],
      ["Checked", "run-checks", iso(T0 + 10_000)],
      ["Reviewed", "reviewed", iso(T0 + 10_000)],
      ["Released", "release", iso(T0 + 10_000)]
    ])
    await replays(store, seen.state)
  })

  it("when the step's result and the timeout are due at once, the interruption wins", async () => {
    const store = MemoryStore.make()
    const { layer } = checks(2 * MINUTE)
    const state = await withClockedWorker(store, T0, [guarded], layer, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(guarded, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        return yield* c.state
      })
    )
    expect(state).toEqual({ id: "1", outcome: "timed out", released: true })
    expect(journal(await events(store, "guarded-1")).map((e) => e[0])).toEqual([
      "WorkflowStarted",
      "TimerStarted",
      "TimerFired",
      "Released"
    ])
  })

  it("is a section with its interruptions and timeout in the model", () => {
    expect(toModel(guarded).root).toMatchObject({
      kind: "sequence",
      children: [
        {
          kind: "interruptible",
          id: "checks",
          name: "Checks",
          body: { kind: "sequence", children: [{ id: "run-checks" }, { id: "reviewed" }] },
          interruptions: [{ trigger: { kind: "signal", id: "cancelled", signal: "Cancel" } }],
          timeout: {
            trigger: { kind: "timer", id: "two-minutes", timer: { type: "duration", expression: "PT2M" } },
            body: { kind: "transition", id: "mark-timed-out" }
          }
        },
        { kind: "step", id: "release" }
      ]
    })
  })
})

/** A section that only sleeps, cut off by Cancel or a 2-minute timeout, followed by the release. */
const pause = (duration: "30 seconds" | "2 minutes") =>
  Workflow.interruptible({
    name: "Pause",
    body: Workflow.sleep<Case>({ name: "Sleep", duration }),
    interruptions: [cancel],
    timeout: Workflow.sleep<Case>({ name: "Two minutes", duration: "2 minutes" }).pipe(
      Workflow.andThen(Workflow.pure("Mark timed out", (s: Case): Case => ({ ...s, outcome: "timed out" })))
    )
  }).pipe(Workflow.andThen(release), Workflow.define({ name: "pause", input: Input }))

describe("Workflow.interruptible around a timer", () => {
  it("status names the timer the body sleeps on, not the signal that can interrupt it", async () => {
    const store = MemoryStore.make()
    const workflow = pause("30 seconds")
    const seen = await withClockedWorker(store, T0, [workflow], Layer.empty, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(workflow, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        const sleeping = yield* c.status
        yield* TestClock.adjust(30_000)
        yield* settle
        return { sleeping, status: yield* c.status, state: yield* c.state }
      })
    )
    expect(seen).toEqual({
      sleeping: { _tag: "Waiting", step: "sleep", signals: ["Cancel"], until: new Date(T0 + 30_000) },
      status: { _tag: "Completed" },
      state: { id: "1", released: true }
    })
    // The section's timeout is started on entry, before the body's timer.
    expect(journal(await events(store, "pause-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0)],
      ["TimerStarted", "two-minutes", iso(T0)],
      ["TimerStarted", "sleep", iso(T0)],
      ["TimerFired", "sleep", iso(T0 + 30_000)],
      ["Released", "release", iso(T0 + 30_000)]
    ])
  })

  it("when the body's timer and the section's timeout are due at once, the timeout wins; the body's timer never fires", async () => {
    const store = MemoryStore.make()
    const workflow = pause("2 minutes")
    const state = await withClockedWorker(store, T0, [workflow], Layer.empty, (worker) =>
      Effect.gen(function* () {
        const c = yield* worker.start(workflow, { id: "1", input: { id: "1" }, wait: false })
        yield* settle
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        return yield* c.state
      })
    )
    expect(state).toEqual({ id: "1", outcome: "timed out", released: true })
    expect(journal(await events(store, "pause-1"))).toEqual([
      ["WorkflowStarted", "start", iso(T0)],
      ["TimerStarted", "two-minutes", iso(T0)],
      ["TimerStarted", "sleep", iso(T0)],
      ["TimerFired", "two-minutes", iso(T0 + 2 * MINUTE)],
      ["Released", "release", iso(T0 + 2 * MINUTE)]
    ])
  })
})
