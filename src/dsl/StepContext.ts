/**
 * What a step's Effect (or a signal handler) learns about where it runs. Use `idempotencyKey` to deduplicate
 * external calls: after a crash the step runs again (its event was never recorded) with the same key.
 */
export interface StepContext {
  readonly workflow: string
  readonly instanceId: string
  readonly stepId: string
  /**
   * How many times this step completed before in this instance (0 the first time; loops run a step more
   * than once). Retries of the same execution keep the same occurrence.
   */
  readonly occurrence: number
  /** Which attempt of this execution this is (1 the first time; a failed attempt is recorded and retried). */
  readonly attempt: number
  /** `${workflow}/${instanceId}/${stepId}/${occurrence}`: stable across retries and crashes of one execution. */
  readonly idempotencyKey: string
}
