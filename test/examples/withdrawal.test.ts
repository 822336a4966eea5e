import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import {
  Cancel,
  CreateWithdrawal,
  ExecutionCompleted,
  Review,
  WithdrawalFailed,
  withdrawal
} from "../../examples/withdrawal.js"
import { type FakeServices, fakeServices } from "../../examples/withdrawalFakes.js"
import { type Instance, MemoryStore, type StoredEvent, type Workflow } from "../../src/index.js"
import { events, type StoreOf, settle, T0, withClockedWorker } from "../interpreters/runtime/clocked.js"

const SECOND = 1000
const MINUTE = 60 * SECOND
const ID = "tx-1"
const STREAM = `withdrawal-${ID}`

type WithdrawalInstance = Instance<
  Workflow.Input<typeof withdrawal.workflow>,
  Workflow.Output<typeof withdrawal.workflow>,
  Workflow.Error<typeof withdrawal.workflow>,
  never,
  Workflow.States<typeof withdrawal.workflow>
>

/** Each journal entry as [type, step, at offset from T0 in ms]. */
const journal = (history: ReadonlyArray<StoredEvent>) =>
  history.map((e) => {
    const m = e.metadata as { step: string; at: string }
    return [e.type, m.step, Date.parse(m.at) - T0]
  })

/** Start the instance and create the withdrawal at T0, then run `more` on the instance. */
const run = (
  store: StoreOf,
  deps: FakeServices,
  request: { readonly amount: number },
  more: (c: WithdrawalInstance) => Effect.Effect<void, unknown> = () => Effect.void
) =>
  withClockedWorker(store, T0, [withdrawal], deps.layer, (worker) =>
    Effect.gen(function* () {
      const c = yield* worker.start(withdrawal, { id: ID, input: { account: "acc-1" }, wait: false })
      yield* settle
      yield* c.signal(CreateWithdrawal, { txId: ID, amount: request.amount, recipient: "DE89 3704" })
      yield* settle
      yield* more(c)
      yield* settle
      return { status: yield* c.status, state: yield* c.state }
    })
  )

/** A new worker on the same store, a day later: same status and state, same journal, no service called again. */
const recovers = async (
  store: StoreOf,
  deps: FakeServices,
  seen: { readonly status: unknown; readonly state: unknown }
) => {
  const before = { calls: [...deps.calls], journal: journal(await events(store, STREAM)) }
  const again = await withClockedWorker(store, T0 + 86_400_000, [withdrawal], deps.layer, (worker) =>
    Effect.gen(function* () {
      yield* settle
      const c = yield* worker.get(withdrawal, ID)
      return { status: yield* c.status, state: yield* c.state }
    })
  )
  expect(again).toEqual(seen)
  expect(deps.calls).toEqual(before.calls)
  expect(journal(await events(store, STREAM))).toEqual(before.journal)
}

const KEY = (step: string) => `withdrawal/${ID}/${step}/0`

/** The state once the withdrawal is created, validated and its fee calculated. */
const created = { account: "acc-1", txId: ID, amount: 100, recipient: "DE89 3704", fee: 1 } as const
const LOCK = "LOCK-acc-1"
const lockCall = `lock acc-1 101 ${KEY("put-funds-on-hold")}`
const executeCall = `execute ${ID} 100 DE89 3704 ${KEY("execute")}`
const failedWith = (message: string) => ({
  _tag: "Failed",
  step: "fail",
  error: new WithdrawalFailed({ message })
})
/** The journal up to the first round of checks, all at T0. */
const throughFirstChecks = [
  ["WorkflowStarted", "start", 0],
  ["WithdrawalCreated", "create-withdrawal", 0],
  ["FundsLocked", "put-funds-on-hold", 0],
  ["TimerStarted", "two-minutes", 0],
  ["ChecksRun", "run-checks", 0]
]

describe("withdrawal example", () => {
  it("happy path: a pending check is re-run after 20 s, the execution is retried 2 minutes later, the funds released", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({
      balance: 1000,
      rounds: [{ aml: "pending", sanctions: "approved" }, { aml: "approved" }],
      executions: ["down"]
    })
    const seen = await run(store, deps, { amount: 100 }, (c) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(20 * SECOND)
        yield* settle
        const retrying = yield* c.status
        yield* TestClock.adjust(2 * MINUTE)
        yield* settle
        const waiting = yield* c.status
        yield* c.signal(ExecutionCompleted, { succeeded: true })
        expect(retrying).toEqual({
          _tag: "Running",
          step: "execute",
          attempts: 1,
          lastError: "execution system unavailable",
          nextAttemptAt: new Date(T0 + 20 * SECOND + 2 * MINUTE)
        })
        expect(waiting).toEqual({
          _tag: "Waiting",
          step: "execution-completed",
          signals: ["ExecutionCompleted", "Cancel"]
        })
      })
    )
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["TimerStarted", "wait-20-seconds", 0],
      ["TimerFired", "wait-20-seconds", 20 * SECOND],
      ["ChecksRun", "run-checks", 20 * SECOND],
      ["AttemptFailed", "execute", 20 * SECOND],
      ["ExecutionRequested", "execute", 20 * SECOND + 2 * MINUTE],
      ["ExecutionConfirmed", "execution-completed", 20 * SECOND + 2 * MINUTE],
      ["FundsReleased", "release-funds", 20 * SECOND + 2 * MINUTE]
    ])
    expect(seen).toEqual({
      status: { _tag: "Completed" },
      state: {
        ...created,
        lock: LOCK,
        checks: { aml: "approved", sanctions: "approved" },
        execution: "EXE-2",
        released: true
      }
    })
    expect(deps.calls).toEqual([
      lockCall,
      `checks ${ID} []`,
      `checks ${ID} [aml]`,
      executeCall,
      executeCall,
      `release ${LOCK}`
    ])
    await recovers(store, deps, seen)
  })

  it("Cancel while the checks wait interrupts everything: the lock is cancelled, the instance fails with the message", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000, rounds: [{ aml: "pending" }] })
    const seen = await run(store, deps, { amount: 100 }, (c) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(30 * SECOND)
        yield* settle
        expect(yield* c.status).toEqual({
          _tag: "Waiting",
          // The instance is at the 20 s timer of the checks; Cancel is what it also accepts, around it.
          step: "wait-20-seconds",
          signals: ["Cancel"],
          until: new Date(T0 + 40 * SECOND)
        })
        yield* c.signal(Cancel, { operator: "olga", comment: "customer called" })
        // Neither the section's timeout nor the next round of checks happens any more.
        yield* TestClock.adjust(5 * MINUTE)
      })
    )
    const message = "Cancelled by olga. Comment: customer called"
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["TimerStarted", "wait-20-seconds", 0],
      ["TimerFired", "wait-20-seconds", 20 * SECOND],
      ["ChecksRun", "run-checks", 20 * SECOND],
      ["TimerStarted", "wait-20-seconds", 20 * SECOND],
      ["Cancelled", "cancel", 30 * SECOND],
      ["LockCancelled", "cancel-funds-lock", 30 * SECOND]
    ])
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "pending" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, `checks ${ID} [aml]`, `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("an amount that is not positive is rejected before any funds are touched", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000 })
    const seen = await run(store, deps, { amount: 0 })
    expect(journal(await events(store, STREAM))).toEqual([
      ["WorkflowStarted", "start", 0],
      ["WithdrawalCreated", "create-withdrawal", 0]
    ])
    expect(seen).toEqual({
      status: failedWith("Amount must be positive"),
      state: { account: "acc-1", txId: ID, amount: 0, recipient: "DE89 3704", failure: "Amount must be positive" }
    })
    expect(deps.calls).toEqual([])
    await recovers(store, deps, seen)
  })

  it("not enough funds: rejected, and no lock to cancel", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 100 }) // 100 + the fee of 1 is more
    const seen = await run(store, deps, { amount: 100 })
    expect(journal(await events(store, STREAM))).toEqual([
      ["WorkflowStarted", "start", 0],
      ["WithdrawalCreated", "create-withdrawal", 0],
      ["FundsLocked", "put-funds-on-hold", 0]
    ])
    const message = "Not enough funds on the user's account"
    expect(seen).toEqual({ status: failedWith(message), state: { ...created, failure: message } })
    expect(deps.calls).toEqual([lockCall])
    await recovers(store, deps, seen)
  })

  it("checks still pending after 2 minutes time out and go to a human, who rejects", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({
      balance: 1000,
      rounds: [{ aml: "pending", sanctions: "approved" }, { aml: "pending" }]
    })
    const seen = await run(store, deps, { amount: 100 }, (c) =>
      Effect.gen(function* () {
        for (let i = 0; i < 6; i++) {
          yield* TestClock.adjust(20 * SECOND)
          yield* settle
        }
        expect(yield* c.status).toEqual({ _tag: "Waiting", step: "review", signals: ["Review", "Cancel"] })
        yield* c.signal(Review, { approve: false })
      })
    )
    const rounds = [1, 2, 3, 4, 5].flatMap((n) => [
      ["TimerFired", "wait-20-seconds", n * 20 * SECOND],
      ["ChecksRun", "run-checks", n * 20 * SECOND],
      ["TimerStarted", "wait-20-seconds", n * 20 * SECOND]
    ])
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["TimerStarted", "wait-20-seconds", 0],
      ...rounds,
      // At 2 minutes the next round's timer and the section's timeout are both due: the timeout wins, and the
      // abandoned timer is not fired.
      ["TimerFired", "two-minutes", 2 * MINUTE],
      ["Reviewed", "review", 2 * MINUTE],
      ["LockCancelled", "cancel-funds-lock", 2 * MINUTE]
    ])
    const message = "Rejected by the reviewer"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "timed out", sanctions: "approved" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, ...Array(5).fill(`checks ${ID} [aml]`), `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("a check asks for a human who approves; the external system then rejects the withdrawal", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000, rounds: [{ aml: "review" }], executions: ["rejected"] })
    const seen = await run(store, deps, { amount: 100 }, (c) => c.signal(Review, { approve: true }))
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["Reviewed", "review", 0],
      ["ExecutionRequested", "execute", 0],
      ["LockCancelled", "cancel-funds-lock", 0]
    ])
    const message = "Rejected by the execution system"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "review" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, executeCall, `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("a rejected check rejects automatically", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000, rounds: [{ aml: "rejected", sanctions: "approved" }] })
    const seen = await run(store, deps, { amount: 100 })
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["LockCancelled", "cancel-funds-lock", 0]
    ])
    const message = "Rejected by checks: aml"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "rejected", sanctions: "approved" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("the external system reports the execution failed", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000 })
    const seen = await run(store, deps, { amount: 100 }, (c) => c.signal(ExecutionCompleted, { succeeded: false }))
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["ExecutionRequested", "execute", 0],
      ["ExecutionConfirmed", "execution-completed", 0],
      ["LockCancelled", "cancel-funds-lock", 0]
    ])
    const message = "Execution failed"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "approved" }, execution: "EXE-1", failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, executeCall, `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("the external system stays down: 10 attempts 2 minutes apart, then the lock is cancelled", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000, executions: Array(10).fill("down") })
    const seen = await run(store, deps, { amount: 100 }, () =>
      Effect.gen(function* () {
        for (let i = 0; i < 9; i++) {
          yield* TestClock.adjust(2 * MINUTE)
          yield* settle
        }
      })
    )
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => ["AttemptFailed", "execute", n * 2 * MINUTE]),
      ["RetriesExhausted", "execute", 18 * MINUTE],
      ["LockCancelled", "cancel-funds-lock", 18 * MINUTE]
    ])
    const message = "Execution unavailable: execution system unavailable"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "approved" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, ...Array(10).fill(executeCall), `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })

  it("Cancel while the execution is being retried: no further attempt, the lock is cancelled", async () => {
    const store = MemoryStore.make()
    const deps = fakeServices({ balance: 1000, executions: ["down", "down"] })
    const seen = await run(store, deps, { amount: 100 }, (c) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(MINUTE)
        yield* c.signal(Cancel, { operator: "olga", comment: "duplicate" })
        yield* TestClock.adjust(10 * MINUTE)
      })
    )
    expect(journal(await events(store, STREAM))).toEqual([
      ...throughFirstChecks,
      ["AttemptFailed", "execute", 0],
      ["Cancelled", "cancel", MINUTE],
      ["LockCancelled", "cancel-funds-lock", MINUTE]
    ])
    const message = "Cancelled by olga. Comment: duplicate"
    expect(seen).toEqual({
      status: failedWith(message),
      state: { ...created, lock: LOCK, checks: { aml: "approved" }, failure: message }
    })
    expect(deps.calls).toEqual([lockCall, `checks ${ID} []`, executeCall, `cancel ${LOCK}`])
    await recovers(store, deps, seen)
  })
})
