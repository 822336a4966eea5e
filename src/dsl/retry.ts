import type { Schedule } from "effect"
import { InvalidDefinition } from "./InvalidDefinition.js"
import type { RetriesExhausted, RetryInput } from "./RetriesExhausted.js"
import { isNode, makeNode, type StepNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

/** Options of {@link retry}. */
export interface RetryOptions {
  /**
   * When to try again: each failed attempt steps it (with the attempt's {@link RetryInput} and the time it failed)
   * and the next attempt runs after the delay it answers; when it is done, the attempts have run out. Jitter is
   * seeded by instance and step, so a restart computes the same delays.
   */
  readonly schedule: Schedule.Schedule<unknown, RetryInput>
  /** How the diagram states the policy ("every 2 minutes", "exponential, 5 attempts"). */
  readonly label: string
}

/**
 * Give a step a durable retry policy. A failed attempt of its Effect is recorded (error, attempt, next attempt at)
 * and schedules a wake-up instead of failing the instance; no fiber waits meanwhile, and a restarted worker goes on
 * with the same schedule. When the schedule is done, `RetriesExhausted` is raised as the step's failure, so a
 * `catch` around the step (compensation) runs.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Workflow } from "durable-monad"
 *
 * declare const charge: Workflow<{ total: number }, { paid: boolean }>
 * const charged = charge.pipe(
 *   Workflow.retry({
 *     schedule: Schedule.exponential("1 second").pipe(Schedule.both(Schedule.recurs(4))),
 *     label: "exponential from 1 s, 5 attempts"
 *   })
 * )
 * ```
 */
export const retry =
  (options: RetryOptions) =>
  <In, Out, E, R, S>(self: Workflow<In, Out, E, R, S>): Workflow<In, Out, E | RetriesExhausted, R, S> => {
    const node = toNode(self)
    if (!isNode(node) || node._tag !== "Step")
      throw new InvalidDefinition("Workflow.retry applies to a step (Workflow.step) only")
    return fromNode(makeNode<StepNode>({ ...node, retry: { schedule: options.schedule, label: options.label } }))
  }
