import type { Effect } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import type { Signal } from "../../dsl/Signal.js"
import type {
  ConcurrencyConflict,
  InstanceNotFound,
  InvalidSignalPayload,
  ReplayError,
  StepFailed,
  UnexpectedSignal
} from "../errors.js"
import type { Replay } from "../replay.js"
import type { Status } from "../Status.js"
import type { Json } from "../store/EventStore.js"
import type { StoreError } from "../store/errors.js"

/** Why an instance could not be loaded: it does not exist, its history does not fit, or the store failed. */
export type LoadError = InstanceNotFound | ReplayError | StoreError

/** Why a signal was not delivered. In every case nothing was appended. */
export type SignalError = LoadError | UnexpectedSignal | InvalidSignalPayload | StepFailed | ConcurrencyConflict

/** One recorded event, as the journal holds it. */
export interface JournalEntry {
  readonly revision: number
  readonly step: string
  readonly type: string
  /** The event encoded with its step's Schema (for `WorkflowStarted`: `{ input }`). */
  readonly data: Json
  /** ISO-8601 time at which the runtime recorded the event. */
  readonly at: string
  /** For revision 0: the workflow name and the definition's fingerprint. */
  readonly metadata: Json
}

/**
 * A handle on one workflow instance. Every operation first catches up with events other processes may have
 * appended, and operations on one instance are serialized within this runtime.
 */
export interface Instance<In, Out, E, R, S> {
  readonly id: string
  /** The instance's stream: `<workflow>-<id>`. */
  readonly stream: string
  readonly definition: Definition<In, Out, E, R, S>
  /** The current state. */
  readonly state: Effect.Effect<S, LoadError>
  readonly status: Effect.Effect<Status<E>, LoadError>
  /** The recorded events, oldest first. */
  readonly journal: Effect.Effect<ReadonlyArray<JournalEntry>, LoadError>
  /** A full replay of the history, with the state after every event. */
  readonly replay: Effect.Effect<Replay<S, E>, LoadError>
  /**
   * Send a signal; succeeds with the typed response once the signal's event is recorded. The instance then runs
   * on as far as it can; if a later step fails, that does not fail the signal (it was delivered): `status` shows
   * the step with its `lastError`, and `resume` retries it.
   */
  readonly signal: <Req, Res>(
    signal: Signal<string, Req, Res>,
    request: NoInfer<Req>
  ) => Effect.Effect<Res, SignalError, R>
  /** Run pending steps (e.g. one whose Effect failed before); fails with the step's error if it fails again. */
  readonly resume: Effect.Effect<Status<E>, LoadError | StepFailed | ConcurrencyConflict, R>
}
