import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import {
  Archived,
  expenseReport,
  Paid,
  Payments,
  Policy,
  PolicyViolation,
  Resubmit,
  Review,
  Submitted
} from "../../examples/expense-report.js"
import { type EventStore, InvalidSignalPayload, WorkflowRuntime } from "../../src/index.js"
import { memoryStore, runOn } from "../support.js"

const services = () => {
  const calls: Array<string> = []
  const layer = Layer.mergeAll(
    Layer.succeed(Policy, { check: (_, amount) => Effect.succeed(amount > 10_000 ? ["over the 10,000 limit"] : []) }),
    Layer.succeed(Payments, {
      schedule: (employee, amount, key) =>
        Effect.sync(() => {
          calls.push(`schedule ${employee} ${amount} ${key}`)
          return `PAY-${calls.length}`
        }),
      notify: (employee, message) => Effect.sync(() => void calls.push(`notify ${employee}: ${message}`))
    })
  )
  return { calls, layer }
}

const report = (employee: string, amount: number) => new Submitted({ employee, amount, rounds: 0 })

/** The (step, type, data) of each journal entry after the start. */
const steps = (store: EventStore["Service"], id: string, deps: ReturnType<typeof services>) =>
  runOn(
    store,
    Effect.gen(function* () {
      const instance = yield* (yield* WorkflowRuntime).get(expenseReport, id)
      return {
        events: (yield* instance.journal).slice(1).map((e) => [e.step, e.type, e.data]),
        state: yield* instance.state,
        status: yield* instance.status
      }
    }).pipe(Effect.provide(deps.layer))
  )

describe("expense-report example", () => {
  it("a small report is approved automatically and paid out", async () => {
    const store = memoryStore()
    const deps = services()
    await runOn(
      store,
      Effect.asVoid(
        Effect.flatMap(WorkflowRuntime, (r) => r.start(expenseReport, { id: "1", input: report("ann", 50) }))
      ).pipe(Effect.provide(deps.layer))
    )
    const result = await steps(store, "1", deps)
    expect(result.events).toEqual([
      ["check-policy", "PolicyChecked", { _tag: "PolicyChecked", violations: [] }],
      ["payout.schedule-payment", "PaymentScheduled", { _tag: "PaymentScheduled", payment: "PAY-1" }],
      ["payout.notify-employee", "EmployeeNotified", { _tag: "EmployeeNotified" }]
    ])
    expect(result.state).toEqual(new Paid({ employee: "ann", amount: 50, payment: "PAY-1" }))
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(deps.calls).toEqual([
      "schedule ann 50 expenseReport/1/payout.schedule-payment/0",
      "notify ann: 50 paid (PAY-1)"
    ])
  })

  it("review rounds: changes requested, resubmitted, recovered by a new runtime mid-loop, approved", async () => {
    const store = memoryStore()
    const deps = services()
    const waiting = await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(expenseReport, { id: "2", input: report("bob", 500) })
        yield* instance.signal(Review, { by: "carol", decision: "changes", comment: "receipt missing" })
        const invalid = yield* Effect.flip(instance.signal(Resubmit, { amount: -5 }))
        yield* instance.signal(Resubmit, { amount: 450 })
        return { invalid, status: yield* instance.status, state: yield* instance.state }
      }).pipe(Effect.provide(deps.layer))
    )
    expect(waiting.invalid).toBeInstanceOf(InvalidSignalPayload)
    expect(waiting.invalid).toMatchObject({ stream: "expenseReport-2", signal: "Resubmit" })
    expect(waiting.status).toEqual({ _tag: "Waiting", step: "review", signals: ["Review"] })
    expect(waiting.state).toEqual(new Submitted({ employee: "bob", amount: 450, rounds: 1 }))

    // A new runtime: the loop continues from the journal, in its second round.
    await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).get(expenseReport, "2")
        yield* instance.signal(Review, { by: "carol", decision: "approve", comment: "ok now" })
      }).pipe(Effect.provide(deps.layer))
    )
    const result = await steps(store, "2", deps)
    expect(result.events).toEqual([
      ["check-policy", "PolicyChecked", { _tag: "PolicyChecked", violations: [] }],
      ["review", "Reviewed", { _tag: "Reviewed", by: "carol", decision: "changes", comment: "receipt missing" }],
      ["resubmit", "Resubmitted", { _tag: "Resubmitted", amount: 450 }],
      ["review", "Reviewed", { _tag: "Reviewed", by: "carol", decision: "approve", comment: "ok now" }],
      ["payout.schedule-payment", "PaymentScheduled", { _tag: "PaymentScheduled", payment: "PAY-1" }],
      ["payout.notify-employee", "EmployeeNotified", { _tag: "EmployeeNotified" }]
    ])
    expect(result.state).toEqual(new Paid({ employee: "bob", amount: 450, payment: "PAY-1" }))
    expect(deps.calls).toEqual([
      "schedule bob 450 expenseReport/2/payout.schedule-payment/0",
      "notify bob: 450 paid (PAY-1)"
    ])
  })

  it("a rejection is caught: the report is archived and the instance ends there, without payout", async () => {
    const store = memoryStore()
    const deps = services()
    await runOn(
      store,
      Effect.gen(function* () {
        const instance = yield* (yield* WorkflowRuntime).start(expenseReport, { id: "3", input: report("dan", 900) })
        yield* instance.signal(Review, { by: "carol", decision: "reject", comment: "not a business expense" })
      }).pipe(Effect.provide(deps.layer))
    )
    const result = await steps(store, "3", deps)
    expect(result.events).toEqual([
      ["check-policy", "PolicyChecked", { _tag: "PolicyChecked", violations: [] }],
      ["review", "Reviewed", { _tag: "Reviewed", by: "carol", decision: "reject", comment: "not a business expense" }]
    ])
    expect(result.state).toEqual(new Archived({ employee: "dan", reason: "not a business expense" }))
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(deps.calls).toEqual([])
  })

  it("a policy violation is not caught: the instance fails with the typed error and its last state", async () => {
    const store = memoryStore()
    const deps = services()
    await runOn(
      store,
      Effect.asVoid(
        Effect.flatMap(WorkflowRuntime, (r) => r.start(expenseReport, { id: "4", input: report("eve", 99_999) }))
      ).pipe(Effect.provide(deps.layer))
    )
    const result = await steps(store, "4", deps)
    expect(result.events).toEqual([
      ["check-policy", "PolicyChecked", { _tag: "PolicyChecked", violations: ["over the 10,000 limit"] }]
    ])
    expect(result.status).toEqual({
      _tag: "Failed",
      step: "check-policy",
      error: new PolicyViolation({ violations: ["over the 10,000 limit"] })
    })
    expect(result.state).toEqual(report("eve", 99_999))
  })
})
