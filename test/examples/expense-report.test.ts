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
import { memoryStore, readStream, runOn, runWorker } from "../support.js"

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

  it("on a Worker: payments down is a recorded, retried attempt; a new worker finishes the payout by itself", async () => {
    const store = memoryStore()
    const calls: Array<string> = []
    let down = true
    const payments = (label: string) =>
      Layer.mergeAll(
        Layer.succeed(Policy, { check: () => Effect.succeed([]) }),
        Layer.succeed(Payments, {
          schedule: (_employee, _amount, key) =>
            Effect.suspend(() => {
              calls.push(`${label} schedule ${key}`)
              return down ? Effect.die(new Error("payments API down")) : Effect.succeed("PAY-9")
            }),
          notify: () => Effect.void
        })
      )
    const parked = await runWorker(
      store,
      (worker) =>
        Effect.gen(function* () {
          yield* worker.register(expenseReport, payments("first"))
          yield* worker.start(expenseReport, { id: "5", input: report("fay", 70) })
          return yield* worker.status(expenseReport, "5")
        }),
      { maxAttempts: 2, retryDelayMs: 1, pollIntervalMs: 60_000 }
    )
    expect(parked).toEqual({
      _tag: "Running",
      step: "payout.schedule-payment",
      lastError: "payments API down",
      attempts: 2
    })
    down = false
    const done = await runWorker(store, (worker) =>
      Effect.gen(function* () {
        // Registration finds the parked instance in the registry and runs it: nobody calls resume.
        yield* worker.register(expenseReport, payments("second"))
        for (let i = 0; i < 400; i++) {
          const status = yield* worker.status(expenseReport, "5")
          if (status._tag !== "Running") return { status, state: yield* (yield* worker.get(expenseReport, "5")).state }
          yield* Effect.sleep(5)
        }
        return yield* Effect.die(new Error("not recovered"))
      })
    )
    expect(done.status).toEqual({ _tag: "Completed" })
    expect(done.state).toEqual(new Paid({ employee: "fay", amount: 70, payment: "PAY-9" }))
    const key = "expenseReport/5/payout.schedule-payment/0"
    expect(calls).toEqual([`first schedule ${key}`, `first schedule ${key}`, `second schedule ${key}`])
    expect((await readStream(store, "expenseReport-5")).map((e) => e.type)).toEqual([
      "WorkflowStarted",
      "PolicyChecked",
      "AttemptFailed",
      "AttemptFailed",
      "PaymentScheduled",
      "EmployeeNotified"
    ])
  })
})
