/**
 * The demo's second part: durable time, on the withdrawal example (examples/withdrawal.ts) in the same store as
 * the pull requests. Three withdrawals: one asleep on its 20-second re-check timer when its worker stops, fired by
 * a new worker on a new store connection (nobody calls `resume`); one whose external execution fails twice and is
 * retried every 2 minutes until the third attempt succeeds; one cancelled while it waits.
 *
 * The workers run on a controlled clock (Effect's TestClock) that starts at {@link START} and moves only where the
 * demo says so (the "⏩" lines), so minutes pass in milliseconds and every run prints the same times. Real time only
 * paces the demo's waits for a worker to settle (a store may answer over the network).
 */
import { Clock, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { type JournalEntry, type Status, toModel, toProgress, Worker } from "durable-monad"
import {
  Cancel,
  CreateWithdrawal,
  ExecutionCompleted,
  WithdrawalFailed,
  withdrawal
} from "../../examples/withdrawal.js"
import { type FakeServices, fakeServices } from "../../examples/withdrawalFakes.js"
import { diagramWriter, type InstanceOf, say } from "./demoKit.js"
import { CliFailure, describeStatus, heading, indent, payload, pretty, printable, style, table } from "./format.js"
import { type StoreSpec, storeLayer } from "./store.js"

type Withdrawal = InstanceOf<typeof withdrawal>

/** Where the demo's clock starts: a fixed instant, so the times printed are the same on every run. */
export const START = Date.parse("2026-01-01T09:00:00.000Z")

const SECOND = 1000
const MINUTE = 60 * SECOND

/** The time of day on the demo's clock, e.g. 09:02:20. */
const clock = (time: number | string | Date): string => new Date(time).toISOString().slice(11, 19)

interface Case {
  readonly id: string
  readonly account: string
  readonly amount: number
}

const AFTER_RESTART: Case = { id: "after-restart", account: "acc-1", amount: 100 }
const THIRD_ATTEMPT: Case = { id: "third-attempt", account: "acc-2", amount: 250 }
const CANCELLED: Case = { id: "cancelled", account: "acc-3", amount: 80 }
const CASES = [AFTER_RESTART, THIRD_ATTEMPT, CANCELLED]
const RECIPIENT = "DE89 3704"
const CANCEL = { operator: "olga", comment: "customer called" }

/** How the checks and the external system answer each withdrawal. */
const services = () =>
  fakeServices({
    balance: 1000,
    transactions: {
      [AFTER_RESTART.id]: { rounds: [{ aml: "pending", sanctions: "approved" }, { aml: "approved" }] },
      [THIRD_ATTEMPT.id]: { executions: ["down", "down"] },
      [CANCELLED.id]: { rounds: [{ aml: "pending" }] }
    }
  })

/**
 * A worker over a new connection to the store. Polling is off: the worker's one armed wake-up (read from the
 * store) fires timers and retries, and nothing else runs in this process. Leases outlive the few minutes the clock
 * moves, so their renewals stay out of the output; a stopping worker gives its leases up anyway.
 */
const workerOn = (store: StoreSpec, owner: string) =>
  Worker.layer({ owner, pollIntervalMs: 365 * 86_400_000, leaseTtlMs: 3_600_000 }).pipe(
    Layer.provide(storeLayer(store, { readonly: false }))
  )

// ---- output ----

const ID_WIDTH = Math.max(...CASES.map((c) => c.id.length)) + 2
const ACTION_WIDTH = `signal Cancel { operator: "${CANCEL.operator}", comment: "${CANCEL.comment}" }`.length + 1
const UNDER = " ".repeat(ID_WIDTH + 2)

/** The calls made to the fake services, printed under the action that caused them, with the worker that made them. */
class Calls {
  private printed = 0
  worker = "worker #1"
  constructor(readonly fakes: FakeServices) {}
  take(): Array<string> {
    const fresh = this.fakes.calls.slice(this.printed)
    this.printed = this.fakes.calls.length
    return fresh.map((c) => UNDER + style.dim(`↳ ${this.worker} calls ${c}`))
  }
}

/** Where a withdrawal stands, in plain words; times on the demo's clock. */
const describe = (status: Status<unknown>): string => {
  if (status._tag === "Waiting" && status.until !== undefined) {
    return printable(
      `asleep until ${clock(status.until)} at step ${status.step}; accepts ${status.signals.join(", ") || "no signal"}`
    )
  }
  if (status._tag === "Running" && status.nextAttemptAt !== undefined) {
    return printable(
      `retrying step ${status.step}: attempt ${status.attempts} failed (${status.lastError}), next at ${clock(status.nextAttemptAt)}`
    )
  }
  return describeStatus(status)
}

const line = (calls: Calls, instance: Withdrawal, action: string) =>
  Effect.flatMap(instance.status, (status) =>
    say(`${instance.id.padEnd(ID_WIDTH)}${action.padEnd(ACTION_WIDTH)} → ${describe(status)}`, ...calls.take())
  )

/** Move the clock; the worker fires what falls due on the way. */
const advance = (label: string, ms: number) =>
  Effect.gen(function* () {
    yield* TestClock.adjust(ms)
    const now = yield* Clock.currentTimeMillis
    yield* say(style.cyan(`⏩ ${label} (the clock is now ${clock(now)})`))
  })

/** Wait (in real time, briefly) until the worker has taken `instance` to where `reached` says. */
const settled = (instance: Withdrawal, what: string, reached: (status: Status<unknown>) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 2000; i++) {
      if (reached(yield* instance.status)) return
      yield* TestClock.withLive(Effect.sleep(5))
    }
    return yield* new CliFailure({ message: `${instance.id}: ${what} did not happen: this is a bug` })
  })

const waitingFor = (signal: string) => (s: Status<unknown>) => s._tag === "Waiting" && s.signals.includes(signal)
const asleep = (s: Status<unknown>) => s._tag === "Waiting" && s.until !== undefined
const retrying = (attempts: number) => (s: Status<unknown>) => s._tag === "Running" && s.attempts === attempts

/** The journal as a table; `by` says which worker appended each event. */
const journalOf = (journal: ReadonlyArray<JournalEntry>, by: (revision: number) => string) =>
  table(
    ["rev", "time", "by", "step", "type", "payload"],
    journal.map((e) => [
      String(e.revision),
      clock(e.at),
      by(e.revision),
      printable(e.step),
      printable(e.type),
      payload(e.type, e.data)
    ])
  )

const summary = (instance: Withdrawal, by: (revision: number) => string) =>
  Effect.gen(function* () {
    const journal = yield* instance.journal
    yield* say(
      "",
      `${style.bold(instance.id)}: ${describe(yield* instance.status)}`,
      `  state: ${pretty(yield* instance.state)}`,
      ...indent(journalOf(journal, by))
    )
    return journal
  })

/** Fail the demo when what it shows did not happen (the demo checks itself, like the pull-request part). */
const check = (ok: boolean, what: string) =>
  ok ? Effect.void : Effect.fail(new CliFailure({ message: `${what}: this is a bug` }))

const create = (calls: Calls, worker: Worker["Service"], c: Case) =>
  Effect.gen(function* () {
    const w = yield* worker.start(withdrawal, { id: c.id, input: { account: c.account } })
    yield* line(calls, w, "start")
    yield* w.signal(CreateWithdrawal, { txId: c.id, amount: c.amount, recipient: RECIPIENT })
    return w
  })

// ---- the three withdrawals ----

/** Worker #1: the first withdrawal reaches its 20-second wait; returns its journal's length and its progress. */
const beforeRestart = (calls: Calls) =>
  Effect.gen(function* () {
    const worker = yield* Worker
    yield* worker.register(withdrawal, calls.fakes.layer)
    const w = yield* create(calls, worker, AFTER_RESTART)
    yield* settled(w, "the 20-second wait", asleep)
    yield* line(calls, w, `signal CreateWithdrawal { amount: ${AFTER_RESTART.amount} }`)
    const progress = toProgress(toModel(withdrawal), yield* w.replay)
    return { events: (yield* w.journal).length, progress }
  })

const afterRestart = (calls: Calls, stopped: number) =>
  Effect.gen(function* () {
    const worker = yield* Worker
    yield* worker.register(withdrawal, calls.fakes.layer)
    const w = yield* worker.get(withdrawal, AFTER_RESTART.id)
    yield* line(calls, w, "(worker #2 registered)")
    yield* check((yield* w.journal).length === stopped, "the new worker ran the withdrawal before its timer was due")
    yield* advance("+20 s", 20 * SECOND)
    yield* settled(w, "the timer and the second round of checks", waitingFor("ExecutionCompleted"))
    yield* line(calls, w, "(the timer is due: worker #2 fires it)")
    yield* w.signal(ExecutionCompleted, { succeeded: true })
    yield* line(calls, w, "signal ExecutionCompleted { succeeded: true }")
    const journal = yield* summary(w, (rev) => (rev < stopped ? "worker #1" : "worker #2"))
    const fired = journal.find((e) => e.type === "TimerFired" && e.step === "wait-20-seconds")
    yield* check(fired !== undefined && fired.revision >= stopped, "the timer did not fire under worker #2")
    yield* say(
      "",
      `Worker #1 had recorded revisions 0-${stopped - 1} when it stopped. TimerFired (revision ${fired?.revision}) and`,
      "everything after it were appended by worker #2, which read the wake-up from the store: nobody called resume."
    )
    return w
  })

const thirdAttempt = (calls: Calls) =>
  Effect.gen(function* () {
    const worker = yield* Worker
    yield* say(...heading("8. Durable time: a retry that succeeds on the third attempt"))
    yield* say(
      "The external system is down for the first two attempts. Each failed attempt is recorded (AttemptFailed: the",
      "error, the attempt, when the next one is due) and the worker wakes the instance then: no fiber waits between",
      "two attempts, so a restart in between would lose nothing.",
      ""
    )
    const w = yield* create(calls, worker, THIRD_ATTEMPT)
    yield* settled(w, "the first attempt", retrying(1))
    yield* line(calls, w, `signal CreateWithdrawal { amount: ${THIRD_ATTEMPT.amount} }`)
    yield* advance("+2 min", 2 * MINUTE)
    yield* settled(w, "the second attempt", retrying(2))
    yield* line(calls, w, "(the second attempt is due)")
    yield* advance("+2 min", 2 * MINUTE)
    yield* settled(w, "the third attempt", waitingFor("ExecutionCompleted"))
    yield* line(calls, w, "(the third attempt is due)")
    yield* w.signal(ExecutionCompleted, { succeeded: true })
    yield* line(calls, w, "signal ExecutionCompleted { succeeded: true }")
    const journal = yield* summary(w, () => "worker #2")
    const failures = journal.filter((e) => e.type === "AttemptFailed").length
    const attempts = calls.fakes.calls.filter((c) => c.startsWith(`execute ${THIRD_ATTEMPT.id} `)).length
    yield* check(failures === 2 && attempts === 3, "the execution was not retried twice")
    yield* say(
      "",
      `Calls to the external system: ${attempts}. ${failures} failed, each recorded as AttemptFailed; the third was accepted`,
      "(ExecutionRequested). The retry policy: every 2 minutes, at most 10 attempts."
    )
    return w
  })

const cancelled = (calls: Calls) =>
  Effect.gen(function* () {
    const worker = yield* Worker
    yield* say(...heading("9. Durable time: a cancellation"))
    yield* say(
      "A check stays pending, so the instance sleeps 20 seconds before the next round. Cancel interrupts the",
      "processing wherever it is: the funds lock is cancelled and the instance fails with the operator's comment.",
      ""
    )
    const w = yield* create(calls, worker, CANCELLED)
    yield* settled(w, "the 20-second wait", asleep)
    yield* line(calls, w, `signal CreateWithdrawal { amount: ${CANCELLED.amount} }`)
    yield* advance("+10 s", 10 * SECOND)
    yield* w.signal(Cancel, CANCEL)
    yield* line(calls, w, `signal Cancel { operator: "${CANCEL.operator}", comment: "${CANCEL.comment}" }`)
    const before = (yield* w.journal).length
    yield* advance("+5 min", 5 * MINUTE)
    const after = (yield* w.journal).length
    yield* say(
      UNDER +
        `journal: ${before} events before, ${after} after: the re-check timer and the 2-minute timeout no longer count`
    )
    yield* summary(w, () => "worker #2")
    const status = yield* w.status
    const message = `Cancelled by ${CANCEL.operator}. Comment: ${CANCEL.comment}`
    yield* check(
      before === after &&
        status._tag === "Failed" &&
        status.error instanceof WithdrawalFailed &&
        status.error.message === message &&
        calls.fakes.calls.includes(`cancel LOCK-${CANCELLED.account}`),
      "the cancellation did not end the withdrawal as it should"
    )
    return w
  })

// ---- the part ----

/**
 * Run the three withdrawals on `store` (worker #1, then worker #2 on a new connection), print them, and write their
 * diagrams into `out`. `where` names the store in the output.
 */
export const withdrawalPart = (store: StoreSpec, where: string, out: string) =>
  Effect.gen(function* () {
    const calls = new Calls(services())
    // Before the first worker starts: its scheduled work (lease renewal, polling) counts from the clock's start.
    yield* TestClock.setTime(START)
    yield* say(...heading("7. Durable time: a timer that fires after a restart"))
    yield* say(
      "The withdrawal (examples/withdrawal.ts) waits: pending checks are re-run every 20 seconds (for at most 2",
      "minutes), and the external execution is retried every 2 minutes. Its workers run on a controlled clock that",
      `starts at ${new Date(START).toISOString()} and moves only on the ⏩ lines, so minutes pass in milliseconds.`,
      "A timer is an event in the journal (TimerStarted with its due time); the worker wakes the instance from the",
      "store when it is due.",
      ""
    )
    const stopped = yield* beforeRestart(calls).pipe(Effect.provide(workerOn(store, "demo-worker-1")))
    yield* say(
      style.yellow(`(worker #1 stops: it gives its leases up and its connection to ${where} is closed)`),
      style.yellow("(worker #2 starts, a new worker with a new connection: it knows only what the store holds)")
    )
    calls.worker = "worker #2"
    const model = toModel(withdrawal)
    const writer = diagramWriter(out)
    yield* writer.write("(the workflow)", "withdrawal", model, undefined)
    const asleep = `${AFTER_RESTART.id} at the restart (${stopped.progress.status})`
    yield* writer.write(asleep, `withdrawal-${AFTER_RESTART.id}-asleep`, model, stopped.progress)
    yield* Effect.gen(function* () {
      for (const part of [afterRestart(calls, stopped.events), thirdAttempt(calls), cancelled(calls)]) {
        const w = yield* part
        const progress = toProgress(model, yield* w.replay)
        yield* writer.write(`${w.id} (${progress.status})`, `withdrawal-${w.id}`, model, progress)
      }
    }).pipe(Effect.provide(workerOn(store, "demo-worker-2")))

    yield* say(...heading("10. Diagrams of the withdrawals"))
    yield* say(
      `Written to ${out}${out.endsWith("/") ? "" : "/"}: the withdrawal, its first instance as it slept at the restart`,
      "(the timer is current, with its due time), then each instance's progress.",
      "",
      ...writer.report()
    )
  }).pipe(Effect.provide(TestClock.layer()))
