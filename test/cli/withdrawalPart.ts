/**
 * What the demo prints for its withdrawal part (sections 7-9), line by line, on any store: `where` is how the demo
 * names the store.
 */
import { expect } from "vitest"

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A line of an instance asleep on its 20-second timer inside the Processing section (which Cancel interrupts). */
const asleep = (prefix: string, until: string) =>
  new RegExp(`^${escape(prefix)} +→ asleep until ${until} at step wait-20-seconds; accepts Cancel$`)

export const withdrawalLines = (where: string): ReadonlyArray<string | RegExp> => [
  "7. Durable time: a timer that fires after a restart",
  "───────────────────────────────────────────────────",
  "The withdrawal (examples/withdrawal.ts) waits: pending checks are re-run every 20 seconds (for at most 2",
  "minutes), and the external execution is retried every 2 minutes. Its workers run on a controlled clock that",
  "starts at 2026-01-01T09:00:00.000Z and moves only on the ⏩ lines, so minutes pass in milliseconds.",
  "A timer is an event in the journal (TimerStarted with its due time); the worker wakes the instance from the",
  "store when it is due.",
  "",
  "after-restart  start                                                           → waiting for CreateWithdrawal at step create-withdrawal",
  asleep("after-restart  signal CreateWithdrawal { amount: 100 }", "09:00:20"),
  "                 ↳ worker #1 calls lock acc-1 101 withdrawal/after-restart/put-funds-on-hold/0",
  "                 ↳ worker #1 calls checks after-restart []",
  `(worker #1 stops: it gives its leases up and its connection to ${where} is closed)`,
  "(worker #2 starts, a new worker with a new connection: it knows only what the store holds)",
  asleep("after-restart  (worker #2 registered)", "09:00:20"),
  "⏩ +20 s (the clock is now 09:00:20)",
  "after-restart  (the timer is due: worker #2 fires it)                          → waiting for ExecutionCompleted or Cancel at step execution-completed",
  "                 ↳ worker #2 calls checks after-restart [aml]",
  "                 ↳ worker #2 calls execute after-restart 100 DE89 3704 withdrawal/after-restart/execute/0",
  "after-restart  signal ExecutionCompleted { succeeded: true }                   → completed",
  "                 ↳ worker #2 calls release LOCK-acc-1",
  "",
  "after-restart: completed",
  '  state: { account: "acc-1", txId: "after-restart", amount: 100, recipient: "DE89 3704", fee: 1, lock: "LOCK-acc-1", checks: { aml: "approved", sanctions: "approved" }, execution: "EXE-1", released: true }',
  "  rev  time      by         step                 type                payload",
  '  0    09:00:00  worker #1  start                WorkflowStarted     { input: { account: "acc-1" } }',
  '  1    09:00:00  worker #1  create-withdrawal    WithdrawalCreated   { txId: "after-restart", amount: 100, recipient: "DE89 3704" }',
  '  2    09:00:00  worker #1  put-funds-on-hold    FundsLocked         { lock: "LOCK-acc-1" }',
  '  3    09:00:00  worker #1  two-minutes          TimerStarted        { until: "2026-01-01T09:02:00.000Z" }',
  '  4    09:00:00  worker #1  run-checks           ChecksRun           { results: { aml: "pending", sanctions: "approved" } }',
  '  5    09:00:00  worker #1  wait-20-seconds      TimerStarted        { until: "2026-01-01T09:00:20.000Z" }',
  '  6    09:00:20  worker #2  wait-20-seconds      TimerFired          { until: "2026-01-01T09:00:20.000Z" }',
  '  7    09:00:20  worker #2  run-checks           ChecksRun           { results: { aml: "approved" } }',
  '  8    09:00:20  worker #2  execute              ExecutionRequested  { accepted: true, reference: "EXE-1" }',
  "  9    09:00:20  worker #2  execution-completed  ExecutionConfirmed  { succeeded: true }",
  "  10   09:00:20  worker #2  release-funds        FundsReleased       {}",
  "",
  "Worker #1 had recorded revisions 0-5 when it stopped. TimerFired (revision 6) and",
  "everything after it were appended by worker #2, which read the wake-up from the store: nobody called resume.",
  "",
  "8. Durable time: a retry that succeeds on the third attempt",
  "───────────────────────────────────────────────────────────",
  "The external system is down for the first two attempts. Each failed attempt is recorded (AttemptFailed: the",
  "error, the attempt, when the next one is due) and the worker wakes the instance then: no fiber waits between",
  "two attempts, so a restart in between would lose nothing.",
  "",
  "third-attempt  start                                                           → waiting for CreateWithdrawal at step create-withdrawal",
  "third-attempt  signal CreateWithdrawal { amount: 250 }                         → retrying step execute: attempt 1 failed (execution system unavailable), next at 09:02:20",
  "                 ↳ worker #2 calls lock acc-2 252.5 withdrawal/third-attempt/put-funds-on-hold/0",
  "                 ↳ worker #2 calls checks third-attempt []",
  "                 ↳ worker #2 calls execute third-attempt 250 DE89 3704 withdrawal/third-attempt/execute/0",
  "⏩ +2 min (the clock is now 09:02:20)",
  "third-attempt  (the second attempt is due)                                     → retrying step execute: attempt 2 failed (execution system unavailable), next at 09:04:20",
  "                 ↳ worker #2 calls execute third-attempt 250 DE89 3704 withdrawal/third-attempt/execute/0",
  "⏩ +2 min (the clock is now 09:04:20)",
  "third-attempt  (the third attempt is due)                                      → waiting for ExecutionCompleted or Cancel at step execution-completed",
  "                 ↳ worker #2 calls execute third-attempt 250 DE89 3704 withdrawal/third-attempt/execute/0",
  "third-attempt  signal ExecutionCompleted { succeeded: true }                   → completed",
  "                 ↳ worker #2 calls release LOCK-acc-2",
  "",
  "third-attempt: completed",
  '  state: { account: "acc-2", txId: "third-attempt", amount: 250, recipient: "DE89 3704", fee: 2.5, lock: "LOCK-acc-2", checks: { aml: "approved" }, execution: "EXE-3", released: true }',
  "  rev  time      by         step                 type                payload",
  '  0    09:00:20  worker #2  start                WorkflowStarted     { input: { account: "acc-2" } }',
  '  1    09:00:20  worker #2  create-withdrawal    WithdrawalCreated   { txId: "third-attempt", amount: 250, recipient: "DE89 3704" }',
  '  2    09:00:20  worker #2  put-funds-on-hold    FundsLocked         { lock: "LOCK-acc-2" }',
  '  3    09:00:20  worker #2  two-minutes          TimerStarted        { until: "2026-01-01T09:02:20.000Z" }',
  '  4    09:00:20  worker #2  run-checks           ChecksRun           { results: { aml: "approved" } }',
  '  5    09:00:20  worker #2  execute              AttemptFailed       { attempt: 1, error: "execution system unavailable", nextAttemptAt: "2026-01-01T09:02:20.000Z" }',
  '  6    09:02:20  worker #2  execute              AttemptFailed       { attempt: 2, error: "execution system unavailable", nextAttemptAt: "2026-01-01T09:04:20.000Z" }',
  '  7    09:04:20  worker #2  execute              ExecutionRequested  { accepted: true, reference: "EXE-3" }',
  "  8    09:04:20  worker #2  execution-completed  ExecutionConfirmed  { succeeded: true }",
  "  9    09:04:20  worker #2  release-funds        FundsReleased       {}",
  "",
  "Calls to the external system: 3. 2 failed, each recorded as AttemptFailed; the third was accepted",
  "(ExecutionRequested). The retry policy: every 2 minutes, at most 10 attempts.",
  "",
  "9. Durable time: a cancellation",
  "───────────────────────────────",
  "A check stays pending, so the instance sleeps 20 seconds before the next round. Cancel interrupts the",
  "processing wherever it is: the funds lock is cancelled and the instance fails with the operator's comment.",
  "",
  "cancelled      start                                                           → waiting for CreateWithdrawal at step create-withdrawal",
  asleep("cancelled      signal CreateWithdrawal { amount: 80 }", "09:04:40"),
  "                 ↳ worker #2 calls lock acc-3 80.8 withdrawal/cancelled/put-funds-on-hold/0",
  "                 ↳ worker #2 calls checks cancelled []",
  "⏩ +10 s (the clock is now 09:04:30)",
  'cancelled      signal Cancel { operator: "olga", comment: "customer called" }  → failed at step fail: WithdrawalFailed "Cancelled by olga. Comment: customer called"',
  "                 ↳ worker #2 calls cancel LOCK-acc-3",
  "⏩ +5 min (the clock is now 09:09:30)",
  "                 journal: 8 events before, 8 after: the re-check timer and the 2-minute timeout no longer count",
  "",
  'cancelled: failed at step fail: WithdrawalFailed "Cancelled by olga. Comment: customer called"',
  '  state: { account: "acc-3", txId: "cancelled", amount: 80, recipient: "DE89 3704", fee: 0.8, lock: "LOCK-acc-3", checks: { aml: "pending" }, failure: "Cancelled by olga. Comment: customer called" }',
  "  rev  time      by         step               type               payload",
  '  0    09:04:20  worker #2  start              WorkflowStarted    { input: { account: "acc-3" } }',
  '  1    09:04:20  worker #2  create-withdrawal  WithdrawalCreated  { txId: "cancelled", amount: 80, recipient: "DE89 3704" }',
  '  2    09:04:20  worker #2  put-funds-on-hold  FundsLocked        { lock: "LOCK-acc-3" }',
  '  3    09:04:20  worker #2  two-minutes        TimerStarted       { until: "2026-01-01T09:06:20.000Z" }',
  '  4    09:04:20  worker #2  run-checks         ChecksRun          { results: { aml: "pending" } }',
  '  5    09:04:20  worker #2  wait-20-seconds    TimerStarted       { until: "2026-01-01T09:04:40.000Z" }',
  '  6    09:04:30  worker #2  cancel             Cancelled          { operator: "olga", comment: "customer called" }',
  "  7    09:04:30  worker #2  cancel-funds-lock  LockCancelled      {}",
  ""
]

/** The demo's sections 7-9 are exactly {@link withdrawalLines}. */
export const expectWithdrawalPart = (stdout: string, where: string) => {
  const lines = stdout.split("\n")
  const from = lines.indexOf("7. Durable time: a timer that fires after a restart")
  const to = lines.indexOf("10. Diagrams of the withdrawals")
  expect([from >= 0, to > from]).toEqual([true, true])
  const part = lines.slice(from, to)
  const expected = withdrawalLines(where)
  expect(part).toHaveLength(expected.length)
  part.forEach((line, i) => {
    const want = expected[i]!
    if (typeof want === "string") expect(line, `line ${i + 1} of the withdrawal part`).toBe(want)
    else expect(line, `line ${i + 1} of the withdrawal part`).toMatch(want)
  })
}
