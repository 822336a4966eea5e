/**
 * An instance's progress over a {@link WorkflowModel}, as renderers draw it: keyed by model node id (and branch
 * arm id). A node absent from `nodes` was not reached.
 *
 * Renderers only look things up here; they never infer what happened from the shape of the workflow when the
 * progress says it (the optional fields below are filled by replays that know them exactly).
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
  /** For a loop: how many rounds its body ran (drawn as ×n on the loop); absent: not known. */
  readonly rounds?: number
  /** For a step: how many attempts it took, failed ones included (drawn when above 1); absent: not known. */
  readonly attempts?: number
  /** For a failed step: the name of the typed error it raised (picks the error end event that fired). */
  readonly error?: string
  /** For a started timer the instance sleeps on (`current`): when it is due, as an ISO time. */
  readonly dueAt?: string
}
