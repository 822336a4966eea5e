/**
 * An expense report: checked against the policy, approved automatically when small, otherwise reviewed in rounds
 * (the employee may be asked for changes and resubmit) until approved, then paid out. A rejection archives the
 * report and ends it; a policy violation fails it.
 *
 * Shows branches, a loop with a restart step, a sub-workflow, `catchTag` and `end`.
 */
import { Context, Effect, Schema } from "effect"
import { Signal, Workflow } from "durable-monad"

// ---- States ----

export class Submitted extends Schema.TaggedClass<Submitted>()("Submitted", {
  employee: Schema.String,
  amount: Schema.Number,
  rounds: Schema.Number
}) {}
export class Approved extends Schema.TaggedClass<Approved>()("Approved", {
  employee: Schema.String,
  amount: Schema.Number,
  by: Schema.String
}) {}
export class Paid extends Schema.TaggedClass<Paid>()("Paid", {
  employee: Schema.String,
  amount: Schema.Number,
  payment: Schema.String
}) {}
export class Archived extends Schema.TaggedClass<Archived>()("Archived", {
  employee: Schema.String,
  reason: Schema.String
}) {}

// ---- Errors ----

export class PolicyViolation extends Schema.TaggedError<PolicyViolation>()("PolicyViolation", {
  violations: Schema.Array(Schema.String)
}) {}
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  by: Schema.String,
  comment: Schema.String
}) {}

// ---- Events ----

export class PolicyChecked extends Schema.TaggedClass<PolicyChecked>()("PolicyChecked", {
  violations: Schema.Array(Schema.String)
}) {}
export class Reviewed extends Schema.TaggedClass<Reviewed>()("Reviewed", {
  by: Schema.String,
  decision: Schema.Literals(["approve", "changes", "reject"]),
  comment: Schema.String
}) {}
export class Resubmitted extends Schema.TaggedClass<Resubmitted>()("Resubmitted", { amount: Schema.Number }) {}
export class PaymentScheduled extends Schema.TaggedClass<PaymentScheduled>()("PaymentScheduled", {
  payment: Schema.String
}) {}
export class EmployeeNotified extends Schema.TaggedClass<EmployeeNotified>()("EmployeeNotified", {}) {}

// ---- Signals ----

export const Review = Signal.make("Review", {
  request: Schema.Struct({
    by: Schema.String,
    decision: Schema.Literals(["approve", "changes", "reject"]),
    comment: Schema.String
  }),
  response: Schema.Void
})
export const Resubmit = Signal.make("Resubmit", {
  request: Schema.Struct({ amount: Schema.Number.check(Schema.isGreaterThan(0)) }),
  response: Schema.Void
})

// ---- Services ----

export class Policy extends Context.Service<
  Policy,
  { readonly check: (employee: string, amount: number) => Effect.Effect<ReadonlyArray<string>> }
>()("examples/Policy") {}

export class Payments extends Context.Service<
  Payments,
  {
    readonly schedule: (employee: string, amount: number, idempotencyKey: string) => Effect.Effect<string>
    readonly notify: (employee: string, message: string) => Effect.Effect<void>
  }
>()("examples/Payments") {}

// ---- The workflow ----

const checkPolicy = Workflow.step({
  name: "Check policy",
  event: PolicyChecked,
  errors: [PolicyViolation],
  run: (report: Submitted) =>
    Effect.map(
      Policy.use((p) => p.check(report.employee, report.amount)),
      (violations) => new PolicyChecked({ violations })
    ),
  apply: (report, checked) =>
    checked.violations.length > 0 ? Workflow.fail(new PolicyViolation({ violations: checked.violations })) : report
})

/** One review: approve (leaves the loop), ask for changes (another round) or reject (fails with Rejected). */
const review = Workflow.awaitSignal(Review, {
  name: "Review",
  event: Reviewed,
  errors: [Rejected],
  handle: (_: Submitted, request) => new Reviewed(request),
  apply: (report, reviewed) =>
    reviewed.decision === "approve"
      ? new Approved({ employee: report.employee, amount: report.amount, by: reviewed.by })
      : reviewed.decision === "reject"
        ? Workflow.fail(new Rejected({ by: reviewed.by, comment: reviewed.comment }))
        : new Submitted({ employee: report.employee, amount: report.amount, rounds: report.rounds + 1 })
})

const resubmit = Workflow.awaitSignal(Resubmit, {
  name: "Resubmit",
  event: Resubmitted,
  handle: (_: Submitted | Approved, request) => new Resubmitted(request),
  apply: (report, resubmitted) =>
    new Submitted({
      employee: report.employee,
      amount: resubmitted.amount,
      rounds: report._tag === "Submitted" ? report.rounds : 0
    })
})

const reviewRounds = Workflow.loop({
  name: "Review rounds",
  body: review,
  exit: { name: "approved", when: (s): s is Approved => s._tag === "Approved" },
  repeat: "changes requested",
  restart: resubmit
})

const approval = Workflow.branch({
  name: "Amount?",
  arms: [
    Workflow.when(
      "up to 100",
      (r: Submitted) => r.amount <= 100,
      Workflow.pure(
        "Approve automatically",
        (r: Submitted) => new Approved({ employee: r.employee, amount: r.amount, by: "policy" })
      )
    )
  ],
  otherwise: reviewRounds
})

const payout = Workflow.step({
  name: "Schedule payment",
  event: PaymentScheduled,
  run: (a: Approved, ctx) =>
    Effect.map(
      Payments.use((p) => p.schedule(a.employee, a.amount, ctx.idempotencyKey)),
      (payment) => new PaymentScheduled({ payment })
    ),
  apply: (a, scheduled) => new Paid({ employee: a.employee, amount: a.amount, payment: scheduled.payment })
}).pipe(
  Workflow.andThen(
    Workflow.step({
      name: "Notify employee",
      event: EmployeeNotified,
      run: (paid: Paid) =>
        Effect.as(
          Payments.use((p) => p.notify(paid.employee, `${paid.amount} paid (${paid.payment})`)),
          new EmployeeNotified()
        ),
      apply: (paid) => paid
    })
  ),
  Workflow.named("Payout")
)

const archive = Workflow.pure(
  "Archive",
  ({ state, error }: Workflow.CaughtOf<typeof reviewRounds>) =>
    new Archived({ employee: state.employee, reason: error.comment })
).pipe(Workflow.andThen(Workflow.end("Rejected")))

export const expenseReport = checkPolicy.pipe(
  Workflow.andThen(approval),
  Workflow.catchTag("Rejected", archive, { name: "Handle rejection" }),
  Workflow.andThen(payout),
  Workflow.define({
    name: "expenseReport",
    input: Submitted,
    description: "An expense report: policy check, approval (automatic or in review rounds), payout."
  })
)
