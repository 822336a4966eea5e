/**
 * In-memory services for the withdrawal example (examples/withdrawal.ts), shared by its tests and the demo: an
 * account holding `balance`; the checks answer round by round (the last answer repeats); the external system answers
 * attempt by attempt ("down" fails the call). Each transaction follows its own script with its own counters, so one
 * set of services can serve several instances. Every call is logged, in order.
 */
import { Effect, Layer } from "effect"
import { Checks, Execution, Funds } from "./withdrawal.js"

export type CheckAnswer = Readonly<Record<string, "pending" | "approved" | "rejected" | "review">>
export type ExecutionAnswer = "accepted" | "rejected" | "down"

/** How the checks and the external system answer one transaction. */
export interface Script {
  /** The checks' answer per round; default: one round, `{ aml: "approved" }`. */
  readonly rounds?: ReadonlyArray<CheckAnswer>
  /** The external system's answer per attempt; "accepted" after the last one. */
  readonly executions?: ReadonlyArray<ExecutionAnswer>
}

export interface FakeOptions extends Script {
  readonly balance: number
  /** Scripts of particular transactions, by `txId`; any other follows the options' own script. */
  readonly transactions?: Readonly<Record<string, Script>>
}

export const fakeServices = (options: FakeOptions) => {
  const calls: Array<string> = []
  const rounds = new Map<string, number>()
  const attempts = new Map<string, number>()
  const scriptOf = (txId: string): Script => options.transactions?.[txId] ?? options
  /** The count of `txId`'s calls so far, this one included. */
  const next = (counts: Map<string, number>, txId: string) => {
    const n = (counts.get(txId) ?? 0) + 1
    counts.set(txId, n)
    return n
  }
  const layer = Layer.mergeAll(
    Layer.succeed(Funds, {
      lock: (account, amount, key) =>
        Effect.sync(() => {
          calls.push(`lock ${account} ${amount} ${key}`)
          return amount <= options.balance ? `LOCK-${account}` : null
        }),
      release: (lock) => Effect.sync(() => void calls.push(`release ${lock}`)),
      cancel: (lock) => Effect.sync(() => void calls.push(`cancel ${lock}`))
    }),
    Layer.succeed(Checks, {
      run: (txId, names) =>
        Effect.sync(() => {
          calls.push(`checks ${txId} [${names.join(",")}]`)
          const answers = scriptOf(txId).rounds ?? [{ aml: "approved" }]
          return answers[Math.min(next(rounds, txId), answers.length) - 1] as CheckAnswer
        })
    }),
    Layer.succeed(Execution, {
      execute: (txId, amount, recipient, key) =>
        Effect.suspend(() => {
          calls.push(`execute ${txId} ${amount} ${recipient} ${key}`)
          const attempt = next(attempts, txId)
          const answer = scriptOf(txId).executions?.[attempt - 1] ?? "accepted"
          return answer === "down"
            ? Effect.fail(new Error("execution system unavailable"))
            : Effect.succeed({ accepted: answer === "accepted", reference: `EXE-${attempt}` })
        })
    })
  )
  return { calls, layer }
}

export type FakeServices = ReturnType<typeof fakeServices>
