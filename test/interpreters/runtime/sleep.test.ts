import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Effect, Layer, Result, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import {
  type EventStore,
  HistoryError,
  MemoryStore,
  replay,
  type StoreError,
  type StoredEvent,
  toModel,
  toProgress,
  Workflow
} from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"
import { SqliteStore } from "../../../src/sqlite.js"

class Sent extends Schema.TaggedClass<Sent>()("Sent", { n: Schema.Number }) {}

/** Counts the reminders sent: a step after the timer must run exactly once. */
class Mailer extends Context.Service<Mailer, { readonly send: () => Effect.Effect<number> }>()("test/Mailer") {}

interface Reminder {
  readonly delayMs: number
  readonly sent?: number
}

const send = Workflow.step({
  name: "Send reminder",
  event: Sent,
  run: (_: Reminder) =>
    Effect.map(
      Mailer.use((m) => m.send()),
      (n) => new Sent({ n })
    ),
  apply: (r, e): Reminder => ({ ...r, sent: e.n })
})

const Input = Schema.Struct({ delayMs: Schema.Number })
const fixed = Workflow.sleep<Reminder>({ name: "Wait a day", duration: "1 day" }).pipe(
  Workflow.andThen(send),
  Workflow.define({ name: "fixed", input: Input })
)
const computed = Workflow.sleep({ name: "Back off", duration: (r: Reminder) => r.delayMs, label: "delayMs" }).pipe(
  Workflow.andThen(send),
  Workflow.define({ name: "computed", input: Input })
)
const until = Workflow.sleep({ name: "Until noon", until: (_: Reminder) => new Date(T0 + 12 * 3_600_000) }).pipe(
  Workflow.andThen(send),
  Workflow.define({ name: "until", input: Input })
)

const mailer = () => {
  const calls = { n: 0 }
  return { calls, layer: Layer.succeed(Mailer, { send: () => Effect.sync(() => ++calls.n) }) }
}

const summary = (history: ReadonlyArray<StoredEvent>) =>
  history.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata }))

const DAY = 86_400_000

describe("Workflow.sleep", () => {
  it("records the timer's start with its release time, sleeps, fires when the test clock passes it, runs on", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = mailer()
    const seen = await withClockedWorker(store, T0, [fixed, computed, until], layer, (worker) =>
      Effect.gen(function* () {
        const r = yield* worker.start(fixed, { id: "1", input: { delayMs: 0 } })
        const asleep = yield* r.status
        yield* TestClock.adjust(DAY - 1)
        yield* settle
        const early = calls.n
        yield* TestClock.adjust(1)
        yield* settle
        return { asleep, early, after: yield* r.status, state: yield* r.state }
      })
    )
    expect(seen).toEqual({
      asleep: { _tag: "Waiting", step: "wait-a-day", signals: [], until: new Date(T0 + DAY) },
      early: 0,
      after: { _tag: "Completed" },
      state: { delayMs: 0, sent: 1 }
    })
    expect(calls.n).toBe(1)
    expect(summary(await events(store, "fixed-1")).slice(1)).toEqual([
      {
        type: "TimerStarted",
        data: { until: iso(T0 + DAY) },
        metadata: {
          step: "wait-a-day",
          occurrence: 0,
          at: iso(T0),
          kind: "timer",
          status: "Waiting",
          wakeAt: T0 + DAY
        }
      },
      {
        type: "TimerFired",
        data: { until: iso(T0 + DAY) },
        metadata: {
          step: "wait-a-day",
          occurrence: 1,
          at: iso(T0 + DAY),
          kind: "timer",
          status: "Running"
        }
      },
      {
        type: "Sent",
        data: { _tag: "Sent", n: 1 },
        metadata: { step: "send-reminder", occurrence: 0, at: iso(T0 + DAY), status: "Completed" }
      }
    ])
    // The store's wake-up projection is empty once the timer fired.
    expect(await Effect.runPromise(Stream.runCollect(store.wakeUps()))).toEqual([])
  })

  it("computes the duration from the state, or sleeps until a date", async () => {
    const store = MemoryStore.make()
    const { layer } = mailer()
    const seen = await withClockedWorker(store, T0, [fixed, computed, until], layer, (worker) =>
      Effect.gen(function* () {
        const a = yield* worker.start(computed, { id: "a", input: { delayMs: 1500 } })
        const b = yield* worker.start(until, { id: "b", input: { delayMs: 0 } })
        const asleep = [yield* a.status, yield* b.status]
        yield* TestClock.adjust(1500)
        yield* settle
        const mid = [(yield* a.status)._tag, (yield* b.status)._tag]
        yield* TestClock.adjust(12 * 3_600_000)
        yield* settle
        return { asleep, mid, end: [(yield* a.status)._tag, (yield* b.status)._tag] }
      })
    )
    expect(seen).toEqual({
      asleep: [
        { _tag: "Waiting", step: "back-off", signals: [], until: new Date(T0 + 1500) },
        { _tag: "Waiting", step: "until-noon", signals: [], until: new Date(T0 + 12 * 3_600_000) }
      ],
      mid: ["Completed", "Waiting"],
      end: ["Completed", "Completed"]
    })
  })

  it.each([
    ["memory", () => MemoryStore.make()],
    [
      "SQLite",
      () => SqliteStore.layer({ file: Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "dm-sleep-")), "sleep.db") })
    ]
  ] as const)(
    "after a restart (%s): a timer that fell due while no worker ran fires at once, a future one is rescheduled",
    async (_, open) => {
      const store: EventStore["Service"] | Layer.Layer<EventStore, StoreError> = open()
      const first = mailer()
      await withClockedWorker(store, T0, [fixed, computed, until], first.layer, (worker) =>
        Effect.gen(function* () {
          yield* worker.start(computed, { id: "due", input: { delayMs: 1000 } })
          yield* worker.start(computed, { id: "later", input: { delayMs: 10_000 } })
        })
      )
      expect(first.calls.n).toBe(0)
      // The worker was down from T0 to T0 + 5 s.
      const second = mailer()
      const seen = await withClockedWorker(store, T0 + 5000, [fixed, computed, until], second.layer, (worker) =>
        Effect.gen(function* () {
          yield* settle
          const afterRestart = [
            (yield* worker.status(computed, "due"))._tag,
            yield* worker.status(computed, "later"),
            second.calls.n
          ]
          yield* TestClock.adjust(5000)
          yield* settle
          return { afterRestart, later: (yield* worker.status(computed, "later"))._tag }
        })
      )
      expect(seen).toEqual({
        afterRestart: [
          "Completed",
          { _tag: "Waiting", step: "back-off", signals: [], until: new Date(T0 + 10_000) },
          1
        ],
        later: "Completed"
      })
      expect(second.calls.n).toBe(2)
      const due = summary(await events(store, "computed-due")).map((e) => [e.type, (e.metadata as { at: string }).at])
      expect(due).toEqual([
        ["WorkflowStarted", iso(T0)],
        ["TimerStarted", iso(T0)],
        ["TimerFired", iso(T0 + 5000)],
        ["Sent", iso(T0 + 5000)]
      ])
    }
  )

  it("replays a sleeping and a woken instance to the same states; a timer fired before it started is refused", async () => {
    const store = MemoryStore.make()
    const { layer } = mailer()
    await withClockedWorker(store, T0, [fixed, computed, until], layer, (worker) =>
      Effect.gen(function* () {
        yield* worker.start(fixed, { id: "1", input: { delayMs: 0 } })
        yield* TestClock.adjust(DAY)
        yield* settle
      })
    )
    const history = await events(store, "fixed-1")
    const asleep = replay(fixed, "fixed-1", history.slice(0, 2))
    const done = replay(fixed, "fixed-1", history, { timeline: true })
    expect(Result.isSuccess(asleep) && asleep.success.status).toEqual({
      _tag: "Waiting",
      step: "wait-a-day",
      signals: [],
      until: new Date(T0 + DAY)
    })
    // Progress: the timer is current, with its due time; once fired it is done.
    expect(Result.isSuccess(asleep) && toProgress(toModel(fixed), asleep.success).nodes).toEqual({
      "wait-a-day": { state: "current", count: 0, dueAt: iso(T0 + DAY) }
    })
    expect(Result.isSuccess(done) && toProgress(toModel(fixed), done.success).nodes).toEqual({
      "wait-a-day": { state: "done", count: 1 },
      "send-reminder": { state: "done", count: 1 }
    })
    expect(Result.isSuccess(done) && done.success.timeline.map((t) => [t.type, t.status._tag])).toEqual([
      ["WorkflowStarted", "Running"],
      ["TimerStarted", "Waiting"],
      ["TimerFired", "Running"],
      ["Sent", "Completed"]
    ])
    expect(Result.isSuccess(done) && done.success.trace.filter((t) => "node" in t && t.node === "wait-a-day")).toEqual([
      { _tag: "TimerStarted", node: "wait-a-day", at: T0 + DAY },
      { _tag: "Completed", node: "wait-a-day" }
    ])
    const rogue = replay(fixed, "fixed-1", [history[0]!, { ...history[2]!, revision: 1 }])
    expect(Result.isFailure(rogue) && rogue.failure).toBeInstanceOf(HistoryError)
    expect(Result.isFailure(rogue) && rogue.failure.message).toContain(
      "timer wait-a-day has not started: expected TimerStarted, found TimerFired"
    )
  })

  it("is a timer in the model: an ISO 8601 duration, or the label of how it is computed", () => {
    expect(toModel(fixed).root).toEqual({
      kind: "sequence",
      id: "sequence-1",
      children: [
        { kind: "timer", id: "wait-a-day", name: "Wait a day", timer: { type: "duration", expression: "P1D" } },
        { kind: "step", id: "send-reminder", name: "Send reminder", errors: [] }
      ]
    })
    expect((toModel(computed).root as { children: ReadonlyArray<unknown> }).children[0]).toEqual({
      kind: "timer",
      id: "back-off",
      name: "Back off",
      timer: { type: "duration", expression: "delayMs" }
    })
    expect((toModel(until).root as { children: ReadonlyArray<unknown> }).children[0]).toEqual({
      kind: "timer",
      id: "until-noon",
      name: "Until noon",
      timer: { type: "date", expression: "computed date" }
    })
  })

  it("refuses a negative or infinite duration when the workflow is built", () => {
    expect(() => Workflow.sleep({ name: "Never", duration: "Infinity" })).toThrow(
      'timer "Never": the duration must be finite and not negative'
    )
  })
})
