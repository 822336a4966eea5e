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
   * - `failed`: raised the error that failed the instance, or that a catch handled.
   */
  readonly state: "done" | "current" | "failed"
  /** How many times it completed (loops run a node more than once). */
  readonly count: number
}
