/**
 * One loaded instance in a worker: its fold (the last committed position), its mailbox, and whether a fiber is
 * draining the mailbox now. The actor is plain data while idle — no fiber per waiting instance — so a process can
 * hold many thousands of waiting instances; a fiber is forked only while there is work.
 *
 * Two locks, for two different things:
 * - only the draining fiber runs steps and handles signals (one at a time, in order): that is the actor;
 * - `foldLock` is held only while the fold is moved (catching up with the store, or appending and committing one
 *   event) — never while a step's Effect runs — so `status` and `state` answer at once while a step is running.
 */
import type { Cause, Deferred, Fiber } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import type { Fold } from "../replay.js"
import type { Lease } from "../store/EventStore.js"
import type { Lock } from "./Lock.js"
import type { Registration } from "./Registration.js"

/** A message to an actor. */
export type Command =
  | {
      readonly _tag: "Signal"
      readonly signal: string
      /** The request, already validated against the registered definition's Signal schema. */
      readonly request: unknown
      readonly idempotencyKey: string | undefined
      readonly reply: Deferred.Deferred<unknown, unknown>
    }
  /** Run what is runnable (after a start, a restart, a wake-up, or `resume`: then even a parked incident). */
  | { readonly _tag: "Run"; readonly force: boolean }

export interface Actor {
  readonly key: string
  readonly stream: string
  readonly instanceId: string
  readonly registration: Registration
  readonly definition: Definition.Any
  readonly foldLock: Lock
  fold: Fold | undefined
  readonly mailbox: Array<Command>
  /** Whether a fiber drains the mailbox now. */
  draining: boolean
  /** Completed when the current drain ends: the instance has settled (waits, ended, or parked on an incident). */
  settled: Deferred.Deferred<void> | undefined
  /** The lease on the instance while this process runs its steps. */
  lease: Lease | undefined
  /**
   * The fold is the one this process's `start` made (its first event, appended here), and the drain that start
   * began is still running. That drain may trust the fold without reading the stream: if the first lease ever taken
   * on the instance is this process's, no other worker can have run anything of it; and if nothing is runnable,
   * whoever appended since (a signal sent elsewhere) runs what follows in its own drain. A signal appended elsewhere
   * meanwhile shows as a conflict on this drain's next append. Later drains (a poll's recovery) read first.
   */
  startedHere: boolean
  /** Another process held the lease when this one wanted to run a step: try again on the next poll. */
  blocked: boolean
  /** Failed attempts allowed before parking, reset by `resume`. */
  force: boolean
  /** How the last step run of this actor came out (for `resume` to report a step that failed again). */
  lastRun: "ran" | "failed" | "moved" | undefined
  /** Why the last failed attempt of this actor failed (the full Cause; the journal keeps its message). */
  lastFailure: Cause.Cause<unknown> | undefined
  /** Lease renewal passes since the actor last worked: an idle actor gives its lease up. */
  idlePasses: number
  /** The fiber of the step's Effect running now: an interruption of the section it is in interrupts it. */
  running: Fiber.Fiber<unknown, unknown> | undefined
  /** Set when this worker interrupted `running` (an interruption arrived), not a shutdown. */
  interrupted: boolean
  /** Operations using the actor now: an actor in use is never evicted. */
  users: number
}
