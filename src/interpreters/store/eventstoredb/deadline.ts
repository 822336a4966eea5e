// Deadlines and waits of the adapter run on real time, not on the caller's Effect `Clock`: a server that does not
// answer must fail the call even in a program (or test) whose clock is a TestClock that never advances.
import { Effect } from "effect"

export const DEADLINE_PASSED: unique symbol = Symbol("deadline passed")

/** `promise`, or a rejection with {@link DEADLINE_PASSED} once `ms` have passed. */
export const withDeadline = <A>(promise: Promise<A>, ms: number): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(DEADLINE_PASSED), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/** Sleeps `ms` of real time (interruptible). */
export const sleepReal = (ms: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })
