/**
 * A money withdrawal: created by a signal, validated, a fee calculated, the funds put on hold, checked (pending
 * checks re-run every 20 seconds, cut off after 2 minutes; a human reviews when a check asks for it), executed by an
 * external system (retried every 2 minutes while it is down), confirmed by that system, and the funds released.
 * A `Cancel` signal interrupts everything before the release. Every rejection, failure or cancellation cancels the
 * funds lock if one was taken and fails the instance with `WithdrawalFailed` carrying the message.
 *
 * Shows durable time: a loop with a timer, an interruptible section with a timeout nested in one with a signal,
 * a retry policy, and compensation in `catch`.
 */
import { Context, Effect, Schedule, Schema } from "effect"
import { type Caught, RetriesExhausted, Signal, Workflow } from "durable-monad"

// ---- State ----

/** A check's outcome; `pending` checks are run again, `review` and `timed out` ones need a human. */
export type CheckDecision = "pending" | "approved" | "rejected" | "review" | "timed out"

export interface Withdrawal {
  readonly account: string
  readonly txId?: string
  readonly amount?: number
  readonly recipient?: string
  readonly fee?: number
  /** The funds lock's reference, once the funds are on hold. */
  readonly lock?: string
  readonly checks?: Readonly<Record<string, CheckDecision>>
  readonly execution?: string
  readonly released?: boolean
  /** Why it failed (set before the instance fails with the same message). */
  readonly failure?: string
}

export const Input = Schema.Struct({ account: Schema.String })

// ---- Errors ----

export class WithdrawalFailed extends Schema.TaggedError<WithdrawalFailed>()("WithdrawalFailed", {
  message: Schema.String
}) {}

// ---- Events ----

export class WithdrawalCreated extends Schema.TaggedClass<WithdrawalCreated>()("WithdrawalCreated", {
  txId: Schema.String,
  amount: Schema.Number,
  recipient: Schema.String
}) {}
export class FundsLocked extends Schema.TaggedClass<FundsLocked>()("FundsLocked", {
  lock: Schema.NullOr(Schema.String)
}) {}
export class ChecksRun extends Schema.TaggedClass<ChecksRun>()("ChecksRun", {
  results: Schema.Record(Schema.String, Schema.Literals(["pending", "approved", "rejected", "review"]))
}) {}
export class Reviewed extends Schema.TaggedClass<Reviewed>()("Reviewed", { approve: Schema.Boolean }) {}
export class ExecutionRequested extends Schema.TaggedClass<ExecutionRequested>()("ExecutionRequested", {
  accepted: Schema.Boolean,
  reference: Schema.String
}) {}
export class ExecutionConfirmed extends Schema.TaggedClass<ExecutionConfirmed>()("ExecutionConfirmed", {
  succeeded: Schema.Boolean
}) {}
export class FundsReleased extends Schema.TaggedClass<FundsReleased>()("FundsReleased", {}) {}
export class Cancelled extends Schema.TaggedClass<Cancelled>()("Cancelled", {
  operator: Schema.String,
  comment: Schema.String
}) {}
export class LockCancelled extends Schema.TaggedClass<LockCancelled>()("LockCancelled", {}) {}

// ---- Signals ----

export const CreateWithdrawal = Signal.make("CreateWithdrawal", {
  request: Schema.Struct({ txId: Schema.String, amount: Schema.Number, recipient: Schema.String }),
  response: Schema.Void
})
export const Review = Signal.make("Review", {
  request: Schema.Struct({ approve: Schema.Boolean }),
  response: Schema.Void
})
export const ExecutionCompleted = Signal.make("ExecutionCompleted", {
  request: Schema.Struct({ succeeded: Schema.Boolean }),
  response: Schema.Void
})
export const Cancel = Signal.make("Cancel", {
  request: Schema.Struct({ operator: Schema.String, comment: Schema.String }),
  response: Schema.Void
})

// ---- Services ----

export class Funds extends Context.Service<
  Funds,
  {
    /** Puts `amount` on hold; the lock's reference, or `null` when the account has not enough funds. */
    readonly lock: (account: string, amount: number, idempotencyKey: string) => Effect.Effect<string | null>
    readonly release: (lock: string) => Effect.Effect<void>
    readonly cancel: (lock: string) => Effect.Effect<void>
  }
>()("examples/Funds") {}

export class Checks extends Context.Service<
  Checks,
  {
    /** Runs the named checks (all of them when `names` is empty) and says how each one stands now. */
    readonly run: (
      txId: string,
      names: ReadonlyArray<string>
    ) => Effect.Effect<Readonly<Record<string, "pending" | "approved" | "rejected" | "review">>>
  }
>()("examples/Checks") {}

export class Execution extends Context.Service<
  Execution,
  {
    /** Hands the withdrawal to the external system; fails while it is unavailable. */
    readonly execute: (
      txId: string,
      amount: number,
      recipient: string,
      idempotencyKey: string
    ) => Effect.Effect<{ readonly accepted: boolean; readonly reference: string }, Error>
  }
>()("examples/Execution") {}

// ---- The workflow ----

const failed = (message: string) => Workflow.fail(new WithdrawalFailed({ message }))
/** The failure recorded in the state, raised: the one way a withdrawal ends failed. */
const withFailure = (w: Withdrawal) => new WithdrawalFailed({ message: w.failure ?? "" })

const create = Workflow.awaitSignal(CreateWithdrawal, {
  name: "Create withdrawal",
  event: WithdrawalCreated,
  handle: (_: Withdrawal, request) => new WithdrawalCreated(request),
  apply: (w, e): Withdrawal => ({ ...w, txId: e.txId, amount: e.amount, recipient: e.recipient })
})

// Every node that can reject the withdrawal declares it, so the diagrams show each way into "Handle failure".
const validate = Workflow.pure(
  "Validate",
  (w: Withdrawal) => ((w.amount ?? 0) > 0 ? w : failed("Amount must be positive")),
  { errors: [WithdrawalFailed] }
)

/** 1 % of the amount, rounded to the cent, at least one cent. */
const calculateFee = Workflow.pure(
  "Calculate fee",
  (w: Withdrawal): Withdrawal => ({ ...w, fee: Math.max(1, Math.round(w.amount ?? 0)) / 100 })
)

const putOnHold = Workflow.step({
  name: "Put funds on hold",
  errors: [WithdrawalFailed],
  event: FundsLocked,
  run: (w: Withdrawal, ctx) =>
    Effect.map(
      Funds.use((f) => f.lock(w.account, (w.amount ?? 0) + (w.fee ?? 0), ctx.idempotencyKey)),
      (lock) => new FundsLocked({ lock })
    ),
  apply: (w, e) => (e.lock === null ? failed("Not enough funds on the user's account") : { ...w, lock: e.lock })
})

const pending = (w: Withdrawal) =>
  Object.entries(w.checks ?? {})
    .filter(([, d]) => d === "pending")
    .map(([name]) => name)

const runChecks = Workflow.step({
  name: "Run checks",
  event: ChecksRun,
  run: (w: Withdrawal) =>
    Effect.map(
      Checks.use((c) => c.run(w.txId ?? "", pending(w))),
      (results) => new ChecksRun({ results })
    ),
  apply: (w, e): Withdrawal => ({ ...w, checks: { ...w.checks, ...e.results } })
})

const checkRounds = Workflow.loop({
  name: "Check rounds",
  body: runChecks,
  exit: { name: "all decided", when: (w: Withdrawal) => pending(w).length === 0 },
  repeat: "checks pending",
  restart: Workflow.sleep<Withdrawal>({ name: "Wait 20 seconds", duration: "20 seconds" })
})

const markTimedOut = Workflow.pure(
  "Mark timed out",
  (w: Withdrawal): Withdrawal => ({
    ...w,
    checks: Object.fromEntries(
      Object.entries(w.checks ?? {}).map(([name, d]) => [name, d === "pending" ? "timed out" : d])
    )
  })
)

const checking = Workflow.interruptible({
  name: "Checks",
  body: checkRounds,
  timeout: Workflow.sleep<Withdrawal>({ name: "Two minutes", duration: "2 minutes" }).pipe(
    Workflow.andThen(markTimedOut)
  )
})

const needsReview = (w: Withdrawal) => Object.values(w.checks ?? {}).some((d) => d === "review" || d === "timed out")

const review = Workflow.awaitSignal(Review, {
  name: "Review",
  errors: [WithdrawalFailed],
  event: Reviewed,
  handle: (_: Withdrawal, request) => new Reviewed(request),
  apply: (w, e) => (e.approve ? w : failed("Rejected by the reviewer"))
})

const decide = Workflow.branch({
  name: "Needs review?",
  arms: [Workflow.when("a check needs a human", needsReview, review)],
  otherwise: Workflow.pure(
    "Decide automatically",
    (w: Withdrawal) => {
      const rejected = Object.entries(w.checks ?? {})
        .filter(([, d]) => d === "rejected")
        .map(([name]) => name)
      return rejected.length > 0 ? failed(`Rejected by checks: ${rejected.join(", ")}`) : w
    },
    { errors: [WithdrawalFailed] }
  )
})

const execute = Workflow.step({
  name: "Execute",
  errors: [WithdrawalFailed],
  event: ExecutionRequested,
  run: (w: Withdrawal, ctx) =>
    Effect.map(
      Execution.use((x) => x.execute(w.txId ?? "", w.amount ?? 0, w.recipient ?? "", ctx.idempotencyKey)),
      (r) => new ExecutionRequested(r)
    ),
  apply: (w, e) => (e.accepted ? { ...w, execution: e.reference } : failed("Rejected by the execution system"))
}).pipe(
  Workflow.retry({
    schedule: Schedule.spaced("2 minutes").pipe(Schedule.upTo({ times: 9 })),
    label: "every 2 minutes, 10 attempts"
  })
)

const awaitCompletion = Workflow.awaitSignal(ExecutionCompleted, {
  name: "Execution completed",
  errors: [WithdrawalFailed],
  event: ExecutionConfirmed,
  handle: (_: Withdrawal, request) => new ExecutionConfirmed(request),
  apply: (w, e) => (e.succeeded ? w : failed("Execution failed"))
})

const cancel = Workflow.awaitSignal(Cancel, {
  name: "Cancel",
  event: Cancelled,
  handle: (_: Withdrawal, request) => new Cancelled(request),
  apply: (w, e): Withdrawal => ({ ...w, failure: `Cancelled by ${e.operator}. Comment: ${e.comment}` })
}).pipe(Workflow.andThen(Workflow.raise("Cancelled", withFailure, { errors: [WithdrawalFailed] })))

const processing = Workflow.interruptible({
  name: "Processing",
  body: validate.pipe(
    Workflow.andThen(calculateFee),
    Workflow.andThen(putOnHold),
    Workflow.andThen(checking),
    Workflow.andThen(decide),
    Workflow.andThen(execute),
    Workflow.andThen(awaitCompletion)
  ),
  interruptions: [cancel]
})

const release = Workflow.step({
  name: "Release funds",
  event: FundsReleased,
  run: (w: Withdrawal) =>
    Effect.as(
      Funds.use((f) => f.release(w.lock ?? "")),
      new FundsReleased()
    ),
  apply: (w): Withdrawal => ({ ...w, released: true })
})

/** The message of whatever ended the withdrawal: its own failure, or the execution's retries running out. */
type Failure = Caught<Withdrawal, WithdrawalFailed | RetriesExhausted>

const messageOf = (error: Failure["error"]): string =>
  error instanceof RetriesExhausted ? `Execution unavailable: ${error.error}` : error.message

const cancelLock = Workflow.step({
  name: "Cancel funds lock",
  event: LockCancelled,
  run: (c: Failure) =>
    Effect.as(
      Funds.use((f) => f.cancel(c.state.lock ?? "")),
      new LockCancelled()
    ),
  apply: (c): Withdrawal => ({ ...c.state, failure: messageOf(c.error) })
})

const compensate = Workflow.branch({
  name: "Funds on hold?",
  arms: [Workflow.when("funds on hold", (c: Failure) => c.state.lock !== undefined, cancelLock)],
  otherwise: Workflow.pure("Nothing on hold", (c: Failure): Withdrawal => ({ ...c.state, failure: messageOf(c.error) }))
}).pipe(Workflow.andThen(Workflow.raise("Withdrawal failed", withFailure, { id: "fail", errors: [WithdrawalFailed] })))

export const withdrawal = create.pipe(
  Workflow.andThen(processing.pipe(Workflow.catch(compensate, { name: "Handle failure" }))),
  Workflow.andThen(release),
  Workflow.define({
    name: "withdrawal",
    input: Input,
    description: "A withdrawal: validation, fee, funds on hold, checks, execution, release; cancellable until then."
  })
)
