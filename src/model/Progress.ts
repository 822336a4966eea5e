/**
 * An instance's progress over a {@link WorkflowModel}, as renderers draw it: keyed by model node id (and branch
 * arm id). A node absent from `nodes` was not reached.
 */
export interface Progress {
  readonly instance: string
  readonly status: "running" | "waiting" | "completed" | "failed"
  readonly nodes: Readonly<Record<string, NodeProgress>>
}

export interface NodeProgress {
  /**
   * - `done`: completed at least once (for a branch arm: taken);
   * - `current`: the instance waits here (signal) or will run it next (a step that has not completed yet);
   * - `failed`: its last pass raised an error (that failed the instance, or that a catch handled), or — for a
   *   catch, loop or sub-workflow — was left by one (a catch whose error boundary fired);
   * - `incident`: the instance runs it next, and its last attempt failed (it is retried, or waits for `resume`).
   */
  readonly state: "done" | "current" | "failed" | "incident"
  /** How many times it completed (loops run a node more than once). */
  readonly count: number
  /** For a loop: how many rounds began. */
  readonly rounds?: number
  /** For a step: how many of its attempts failed (and were retried). */
  readonly attempts?: number
  /** For a started timer the instance sleeps on (`current`): when it is due, as an ISO time. */
  readonly dueAt?: string
}
