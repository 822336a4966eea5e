/**
 * What a position passed through on its way from one event to the next, exactly: what completed, which arm a
 * branch took, which loop round began, which node raised an error, which boundary caught it, which scopes it left.
 * Progress overlays and audits read it instead of inferring from the diagram.
 */
export type TraceEntry =
  /** Race `race` was won by `winner` (one of its signals, or its deadline's timer): that arm runs. */
  | { readonly _tag: "Raced"; readonly race: string; readonly winner: string }
  /** Section `section` was interrupted by `by` (one of its signals, or its timeout's timer): its body is abandoned. */
  | { readonly _tag: "Interrupted"; readonly section: string; readonly by: string }
  /** Timer `node` was started, due at `at` (ms since the epoch). Its firing is a `Completed`. */
  | { readonly _tag: "TimerStarted"; readonly node: string; readonly at: number }
  /** A step, signal, transition, timer or end completed; or a catch, loop or sub-workflow was left normally. */
  | { readonly _tag: "Completed"; readonly node: string }
  /** Branch `branch` took `arm`, or no arm (`undefined`: no condition held and there is no `otherwise`). */
  | { readonly _tag: "Branched"; readonly branch: string; readonly arm: string | undefined }
  /** Round `round` (1-based) of loop `loop` began. */
  | { readonly _tag: "Round"; readonly loop: string; readonly round: number }
  /** `node` raised a typed error (a `Workflow.fail`, or an error its step declares). */
  | { readonly _tag: "Raised"; readonly node: string; readonly error: unknown }
  /** Catch `catch`'s boundary caught the error `node` raised: its handler runs. */
  | { readonly _tag: "Caught"; readonly catch: string; readonly node: string }
  /** The scope `scope` (catch, loop, branch arm's branch, sub-workflow) was left by the error `node` raised. */
  | { readonly _tag: "Left"; readonly scope: string; readonly node: string }
  /**
   * Attempt `attempt` (1-based) of step `node` failed with a technical error (`error`, one line); the step stays
   * where it is and is tried again. Recorded as its own event; the machine itself never produces it.
   */
  | { readonly _tag: "AttemptFailed"; readonly node: string; readonly attempt: number; readonly error: string }

/** Receives trace entries as they happen. Passing none costs nothing: entries are only built for a sink. */
export type Trace = (entry: TraceEntry) => void
