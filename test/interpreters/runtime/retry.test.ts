import { Context, Duration, Effect, Layer, Result, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import {
  MemoryStore,
  RetriesExhausted,
  type RetryInput,
  replay,
  type StoredEvent,
  toModel,
  Workflow
} from "../../../src/index.js"
import { events, iso, settle, T0, withClockedWorker } from "./clocked.js"
import { nextDelay } from "../../../src/interpreters/runtime/retryDelay.js"

const MINUTE = 60_000

class Executed extends Schema.TaggedClass<Executed>()("Executed", { ref: Schema.String }) {}
class Refused extends Schema.TaggedError<Refused>()("Refused", { why: Schema.String }) {}

/** The external system: fails the first `failures` calls (then answers), each failure an `Error` or a tagged one. */
class Bank extends Context.Service<Bank, { readonly execute: () => Effect.Effect<string, Error | Refused> }>()(
  "test/Bank"
) {}

interface Payout {
  readonly amount: number
  readonly ref?: string
  readonly compensated?: string
}

const execute = Workflow.step({
  name: "Execute",
  event: Executed,
  run: (_: Payout) =>
    Effect.map(
      Bank.use((b) => b.execute()),
      (ref) => new Executed({ ref })
    ),
  apply: (p, e): Payout => ({ ...p, ref: e.ref })
})
const compensate = Workflow.pure(
  "Release funds",
  ({ state, error }: { state: Payout; error: RetriesExhausted }): Payout => ({
    ...state,
    compensated: `${error.step} after ${error.attempts} attempts: ${error.error}`
  })
)
const Input = Schema.Struct({ amount: Schema.Number })

/** Every 2 minutes, 3 attempts in all. */
const every2 = execute.pipe(
  Workflow.retry({
    schedule: Schedule.spaced("2 minutes").pipe(Schedule.upTo({ times: 2 })),
    label: "every 2 min, 3 attempts"
  }),
  Workflow.catchTag("RetriesExhausted", compensate),
  Workflow.define({ name: "every2", input: Input })
)
/** Exponential from 1 s, capped at 3 s, retried while the error is not `Refused`. */
const backoff = execute.pipe(
  Workflow.retry({
    schedule: Schedule.exponential("1 second").pipe(
      Schedule.modifyDelay(({ duration }) =>
        Effect.succeed(Duration.toMillis(duration) > 3000 ? Duration.seconds(3) : duration)
      ),
      Schedule.while(({ input }: { input: RetryInput }) => input.tag !== "Refused")
    ),
    label: "exponential from 1 s, cap 3 s, not when refused"
  }),
  Workflow.catch(compensate),
  Workflow.define({ name: "backoff", input: Input })
)

const bank = (answers: ReadonlyArray<"ok" | "down" | "refused">) => {
  const calls = { n: 0 }
  const layer = Layer.succeed(Bank, {
    execute: () =>
      Effect.suspend(() => {
        const answer = answers[calls.n++] ?? "ok"
        return answer === "ok"
          ? Effect.succeed(`ref-${calls.n}`)
          : answer === "down"
            ? Effect.fail(new Error("bank is down"))
            : Effect.fail(new Refused({ why: "blocked" }))
      })
  })
  return { calls, layer }
}

const attempts = (history: ReadonlyArray<StoredEvent>) =>
  history.slice(1).map((e) => {
    const m = e.metadata as { at: string; status: string; wakeAt?: number }
    return { type: e.type, data: e.data, at: m.at, status: m.status, wakeAt: m.wakeAt }
  })

describe("Workflow.retry", () => {
  it("records each failed attempt with its next attempt time, sleeps without a fiber, succeeds on the third", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = bank(["down", "down", "ok"])
    const seen = await withClockedWorker(store, T0, [every2, backoff], layer, (worker) =>
      Effect.gen(function* () {
        const p = yield* worker.start(every2, { id: "1", input: { amount: 5 } })
        const first = yield* p.status
        yield* TestClock.adjust(2 * MINUTE - 1)
        yield* settle
        const early = calls.n
        yield* TestClock.adjust(1)
        yield* settle
        const second = yield* p.status
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        return { first, early, second, end: yield* p.status, state: yield* p.state }
      })
    )
    expect(seen).toEqual({
      first: {
        _tag: "Running",
        step: "execute",
        lastError: "bank is down",
        attempts: 1,
        nextAttemptAt: new Date(T0 + 2 * MINUTE)
      },
      early: 1,
      second: {
        _tag: "Running",
        step: "execute",
        lastError: "bank is down",
        attempts: 2,
        nextAttemptAt: new Date(T0 + 4 * MINUTE)
      },
      end: { _tag: "Completed" },
      state: { amount: 5, ref: "ref-3" }
    })
    expect(calls.n).toBe(3)
    expect(attempts(await events(store, "every2-1"))).toEqual([
      {
        type: "AttemptFailed",
        data: { attempt: 1, error: "bank is down", nextAttemptAt: iso(T0 + 2 * MINUTE) },
        at: iso(T0),
        status: "Waiting",
        wakeAt: T0 + 2 * MINUTE
      },
      {
        type: "AttemptFailed",
        data: { attempt: 2, error: "bank is down", nextAttemptAt: iso(T0 + 4 * MINUTE) },
        at: iso(T0 + 2 * MINUTE),
        status: "Waiting",
        wakeAt: T0 + 4 * MINUTE
      },
      {
        type: "Executed",
        data: { _tag: "Executed", ref: "ref-3" },
        at: iso(T0 + 4 * MINUTE),
        status: "Completed"
      }
    ])
  })

  it("when the attempts run out, RetriesExhausted is the step's failure and reaches catch", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = bank(["down", "down", "down", "ok"])
    const state = await withClockedWorker(store, T0, [every2, backoff], layer, (worker) =>
      Effect.gen(function* () {
        const p = yield* worker.start(every2, { id: "1", input: { amount: 5 } })
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        return { status: yield* p.status, state: yield* p.state }
      })
    )
    expect(calls.n).toBe(3)
    expect(state).toEqual({
      status: { _tag: "Completed" },
      state: { amount: 5, compensated: "execute after 3 attempts: bank is down" }
    })
    const history = await events(store, "every2-1")
    expect(attempts(history).map((e) => [e.type, e.at, e.data])).toEqual([
      ["AttemptFailed", iso(T0), { attempt: 1, error: "bank is down", nextAttemptAt: iso(T0 + 2 * MINUTE) }],
      [
        "AttemptFailed",
        iso(T0 + 2 * MINUTE),
        { attempt: 2, error: "bank is down", nextAttemptAt: iso(T0 + 4 * MINUTE) }
      ],
      ["RetriesExhausted", iso(T0 + 4 * MINUTE), { attempt: 3, error: "bank is down" }]
    ])
    // Replay folds the same history to the same state, and says where the error went.
    const replayed = replay(every2, "every2-1", history)
    expect(Result.isSuccess(replayed) && replayed.success.state).toEqual(state.state)
    expect(Result.isSuccess(replayed) && replayed.success.trace.slice(1)).toEqual([
      { _tag: "AttemptFailed", node: "execute", attempt: 1, error: "bank is down" },
      { _tag: "AttemptFailed", node: "execute", attempt: 2, error: "bank is down" },
      { _tag: "AttemptFailed", node: "execute", attempt: 3, error: "bank is down" },
      {
        _tag: "Raised",
        node: "execute",
        error: new RetriesExhausted({ step: "execute", attempts: 3, error: "bank is down" })
      },
      { _tag: "Caught", catch: "catch-1", node: "execute" },
      { _tag: "Completed", node: "release-funds" }
    ])
  })

  it("a restart continues the schedule from the recorded attempts instead of restarting it", async () => {
    const store = MemoryStore.make()
    // Attempt 1 at T0 fails (next in 1 s), attempt 2 at T0 + 1 s fails (next in 2 s); then the worker stops.
    const first = bank(["down", "down"])
    await withClockedWorker(store, T0, [every2, backoff], first.layer, (worker) =>
      Effect.gen(function* () {
        yield* worker.start(backoff, { id: "1", input: { amount: 5 } })
        yield* TestClock.adjust(1000)
        yield* settle
      })
    )
    expect(first.calls.n).toBe(2)
    // A new worker, 1.5 s later: attempt 3 is due at T0 + 3 s, not 1 s after the restart; it fails, next in 3 s (cap).
    const second = bank(["down", "ok"])
    const seen = await withClockedWorker(store, T0 + 1500, [every2, backoff], second.layer, (worker) =>
      Effect.gen(function* () {
        yield* settle
        const before = second.calls.n
        yield* TestClock.adjust(1500)
        yield* settle
        const third = yield* worker.status(backoff, "1")
        yield* TestClock.adjust(3000)
        yield* settle
        return { before, third, end: yield* worker.status(backoff, "1") }
      })
    )
    expect(seen).toEqual({
      before: 0,
      third: {
        _tag: "Running",
        step: "execute",
        lastError: "bank is down",
        attempts: 3,
        nextAttemptAt: new Date(T0 + 6000)
      },
      end: { _tag: "Completed" }
    })
    expect(attempts(await events(store, "backoff-1")).map((e) => [e.type, e.at, e.wakeAt])).toEqual([
      ["AttemptFailed", iso(T0), T0 + 1000],
      ["AttemptFailed", iso(T0 + 1000), T0 + 3000],
      ["AttemptFailed", iso(T0 + 3000), T0 + 6000],
      ["Executed", iso(T0 + 6000), undefined]
    ])
  })

  it("a policy that is a function of the error: a refusal is not retried", async () => {
    const store = MemoryStore.make()
    const { calls, layer } = bank(["down", "refused", "ok"])
    const state = await withClockedWorker(store, T0, [every2, backoff], layer, (worker) =>
      Effect.gen(function* () {
        const p = yield* worker.start(backoff, { id: "1", input: { amount: 5 } })
        yield* TestClock.adjust(1000)
        yield* settle
        return yield* p.state
      })
    )
    expect(calls.n).toBe(2)
    expect(state).toEqual({ amount: 5, compensated: 'execute after 2 attempts: Refused: {"why":"blocked"}' })
    expect(attempts(await events(store, "backoff-1")).map((e) => [e.type, e.data])).toEqual([
      ["AttemptFailed", { attempt: 1, error: "bank is down", nextAttemptAt: iso(T0 + 1000) }],
      ["RetriesExhausted", { attempt: 2, error: 'Refused: {"why":"blocked"}', tag: "Refused" }]
    ])
  })

  it("computes the same jittered delays from the same attempts, seeded by instance and step", async () => {
    const schedule = Schedule.exponential("1 second").pipe(Schedule.jittered)
    const history = [1, 2, 3].map((attempt) => ({
      at: T0 + attempt * 1000,
      input: { attempt, error: "down", tag: undefined }
    }))
    const run = (seed: string) => Effect.runPromise(nextDelay(schedule, history, seed))
    const [a, again, other] = await Promise.all([
      run("every2-1/execute/0"),
      run("every2-1/execute/0"),
      run("x/execute/0")
    ])
    expect(a).toBe(again)
    expect(a).not.toBe(other)
    // Jitter keeps the third delay (4 s) within 80–120 %.
    expect(a).toBeGreaterThanOrEqual(3200)
    expect(a).toBeLessThanOrEqual(4800)
  })

  it("is in the model as the step's policy; it applies to steps only", () => {
    expect(toModel(every2).root).toMatchObject({
      kind: "catch",
      body: { kind: "step", id: "execute", name: "Execute", errors: [], retry: "every 2 min, 3 attempts" }
    })
    expect(() =>
      Workflow.pure("x", (n: number) => n).pipe(Workflow.retry({ schedule: Schedule.recurs(1), label: "once" }))
    ).toThrow("Workflow.retry applies to a step (Workflow.step) only")
  })
})
