/**
 * Where an instance is, as plain data: a tree of what is active, from the workflow's root down to the nodes that
 * wait for something. Nodes are referred to by id (ids are stable, see `compile`), so a position can be stored,
 * compared or sent as JSON as long as the states it holds can.
 *
 * Today a tree has one leaf (the workflow is sequential); the shape is ready for several: a parallel node will
 * hold one child per arm, an interruption scope a child plus what interrupts it, and a timer will be a leaf with
 * the time it is due at.
 */

/** A node that waits for an event: a step's result, or a signal's. */
export interface Waiting {
  readonly _tag: "Step" | "Signal"
  readonly id: string
  /** The state the node was entered with. */
  readonly state: unknown
}

/** The `index`-th node of sequence `id` is active. */
export interface InSequence {
  readonly _tag: "Sequence"
  readonly id: string
  readonly index: number
  readonly child: Active
}

/** Catch `id`'s body (`handling: false`) or, after it caught an error, its handler (`handling: true`) is active. */
export interface InCatch {
  readonly _tag: "Catch"
  readonly id: string
  readonly handling: boolean
  readonly child: Active
}

/** Arm `arm` of branch `id` is active. */
export interface InBranch {
  readonly _tag: "Branch"
  readonly id: string
  readonly arm: string
  readonly child: Active
}

/** Round `round` (1-based) of loop `id`: its body, or the `restart` part that runs before the next round. */
export interface InLoop {
  readonly _tag: "Loop"
  readonly id: string
  readonly round: number
  readonly restarting: boolean
  readonly child: Active
}

/** Inside the sub-workflow `id`. */
export interface InNamed {
  readonly _tag: "Named"
  readonly id: string
  readonly child: Active
}

/**
 * The timer `id` is active: not started yet (`at` undefined: the runtime records its release time next), or started
 * and due at `at` (ms since the epoch).
 */
export interface Timer {
  readonly _tag: "Timer"
  readonly id: string
  readonly state: unknown
  readonly at: number | undefined
}

/**
 * Race `id` waits for the first of its arms' signals, or its deadline: the deadline's timer is not started yet
 * (`at` undefined) or due at `at`. Without a deadline `at` stays undefined.
 */
export interface Racing {
  readonly _tag: "Race"
  readonly id: string
  readonly state: unknown
  readonly at: number | undefined
}

/** The arm of race `id` whose trigger (`winner`: a signal node, or the deadline's timer) won is active. */
export interface InRaceArm {
  readonly _tag: "RaceArm"
  readonly id: string
  readonly winner: string
  readonly child: Active
}

/**
 * The body of interruptible section `id` is active (`child`); its timeout's timer is not started yet (`at`
 * undefined) or due at `at`. Its interruptions' signals are accepted meanwhile.
 */
export interface InInterruptible {
  readonly _tag: "Interruptible"
  readonly id: string
  readonly at: number | undefined
  readonly child: Active
}

/** Section `id` was interrupted by `winner` (a signal node, or the timeout's timer): the rest of that runs. */
export interface InInterrupted {
  readonly _tag: "Interrupted"
  readonly id: string
  readonly winner: string
  readonly child: Active
}

export type Active =
  | Waiting
  | Timer
  | Racing
  | InRaceArm
  | InInterruptible
  | InInterrupted
  | InSequence
  | InCatch
  | InBranch
  | InLoop
  | InNamed

export type Position =
  | { readonly _tag: "Active"; readonly active: Active }
  | { readonly _tag: "Completed"; readonly state: unknown }
  | {
      readonly _tag: "Failed"
      /** The last state before the error. */
      readonly state: unknown
      readonly error: unknown
      /** Id of the node that raised it. */
      readonly node: string
    }

/**
 * What moves a position: the recorded event of a waiting step or signal, or the recorded business error a step's
 * Effect raised (an error the step declares).
 */
export type Input =
  | {
      readonly _tag: "Step" | "Signal"
      /** The id of the step or signal node the event belongs to. */
      readonly node: string
      /** The decoded event. */
      readonly event: unknown
    }
  | { readonly _tag: "Raised"; readonly node: string; readonly error: unknown }
  /** Timer `node` was started, due at `at` (ms since the epoch). */
  | { readonly _tag: "TimerStarted"; readonly node: string; readonly at: number }
  /** Timer `node`'s release time passed. */
  | { readonly _tag: "TimerFired"; readonly node: string }
