import { Duration, Effect, Exit, Pull, Random, Schedule } from "effect"
import type { RetryInput } from "../../dsl/RetriesExhausted.js"

/** One recorded failed attempt of a step with a retry policy: when it failed, and what its Schedule is stepped with. */
export interface RecordedAttempt {
  /** Ms since the epoch. */
  readonly at: number
  readonly input: RetryInput
}

/**
 * The delay (ms) before the next attempt after `attempts` (oldest first), or undefined when the schedule is done.
 * The schedule is stepped from its start with every recorded attempt, at its recorded time, so the answer depends
 * on the journal alone: a restarted worker continues the schedule instead of restarting it. Random numbers (jitter)
 * come from a generator seeded with `seed` (instance and step), for the same reason.
 */
export const nextDelay = (
  schedule: Schedule.Schedule<unknown, RetryInput>,
  attempts: ReadonlyArray<RecordedAttempt>,
  seed: string
): Effect.Effect<number | undefined> =>
  Effect.gen(function* () {
    const step = yield* Schedule.toStep(schedule)
    let delay: number | undefined
    for (const attempt of attempts) {
      const decision = yield* Effect.exit(step(attempt.at, attempt.input))
      if (Exit.isFailure(decision)) {
        if (Pull.isDoneCause(decision.cause)) return undefined
        return yield* Effect.die(decision.cause)
      }
      delay = Math.max(0, Duration.toMillis(decision.value[1]))
    }
    return delay
  }).pipe(Random.withSeed(seed))
