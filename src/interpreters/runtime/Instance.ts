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

/** How a signal is sent. */
export interface SignalOptions {
  /**
   * The sender's key for this signal (a webhook's delivery id, say). A redelivery with the same key returns the
   * reply recorded the first time and appends nothing. Without a key every call is its own signal: two identical
   * requests are recorded twice (if the instance accepts both).
   */
  readonly idempotencyKey?: string
  /** Wait until the instance has settled after the signal (default true); false returns once it is recorded. */
  readonly wait?: boolean
}

/**
 * A handle on one workflow instance. Reads (`state`, `status`, …) first catch up with events other processes may
 * have appended and answer from the last committed position at once, even while a step of the instance runs.
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
   * Send a signal; succeeds with the typed response once the signal's event is recorded (and, unless
   * `wait: false`, the instance has run on as far as it can). The request is validated against the registered
   * definition's own Signal schema first: an invalid one runs nothing and appends nothing. If a later step fails,
   * that does not fail the signal (it was delivered): `status` shows the incident.
   */
  readonly signal: <Req, Res>(
    signal: Signal<string, Req, Res>,
    request: NoInfer<Req>,
    options?: SignalOptions
  ) => Effect.Effect<Res, SignalError, R>
  /**
   * Run pending steps now, also one parked after failed attempts; fails with the step's error if it fails again.
   */
  readonly resume: Effect.Effect<Status<E>, LoadError | StepFailed | ConcurrencyConflict, R>
}
