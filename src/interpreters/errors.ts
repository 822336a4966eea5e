import { Cause, Data } from "effect"

/** A cause in one line: the failure's or defect's message, not a dump of the Cause structure. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) {
    const tag = (error as { readonly _tag?: unknown })._tag
    if (error.message !== "" || typeof tag !== "string") return error.message
    // A tagged error without a message (Schema.TaggedError): its tag and fields say what happened.
    try {
      const { _tag, ...fields } = { ...error } as Record<string, unknown>
      return Object.keys(fields).length === 0 ? tag : `${tag}: ${JSON.stringify(fields)}`
    } catch {
      return tag
    }
  }
  try {
    return String(error)
  } catch {
    // A prototype-less object has no toString; the message must not become a second failure.
    return Object.prototype.toString.call(error)
  }
}

// ---- Replay: a recorded history does not fit the definition. Always names the stream and the revision. ----

/**
 * An event in the history is not what the definition expects at that point: another step, or any event after
 * the instance ended. The definition changed in a way old histories do not fit (or the history was tampered with).
 */
export class NonDeterminismError extends Data.TaggedError("NonDeterminismError")<{
  readonly stream: string
  readonly revision: number
  /** Ids of the steps that could take an event at that point (empty when the instance had ended). */
  readonly expected: ReadonlyArray<string>
  /** Step id recorded in the event. */
  readonly found: string
}> {
  override get message(): string {
    const expected =
      this.expected.length === 0 ? "no event (the instance had ended)" : `step ${this.expected.join(" or ")}`
    return `${this.stream}@${this.revision}: expected ${expected}, found an event of step ${this.found}`
  }
}

/** An event's payload or metadata does not decode with the Schema of its step. */
export class EventDecodeError extends Data.TaggedError("EventDecodeError")<{
  readonly stream: string
  readonly revision: number
  readonly step: string
  readonly issue: string
}> {
  override get message(): string {
    return `${this.stream}@${this.revision}: event of step ${this.step} does not decode: ${this.issue}`
  }
}

/**
 * The history is unusable for another reason: it does not start with `WorkflowStarted`, belongs to another
 * workflow, has a gap, or a function of the definition threw while replaying it.
 */
export class HistoryError extends Data.TaggedError("HistoryError")<{
  readonly stream: string
  readonly revision: number
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.stream}@${this.revision}: ${this.reason}`
  }
}

export type ReplayError = NonDeterminismError | EventDecodeError | HistoryError

// ---- Runtime ----

export class InstanceNotFound extends Data.TaggedError("InstanceNotFound")<{ readonly stream: string }> {
  override get message(): string {
    return `no instance: stream ${this.stream} is empty`
  }
}

export class InstanceAlreadyExists extends Data.TaggedError("InstanceAlreadyExists")<{ readonly stream: string }> {
  override get message(): string {
    return `an instance already exists: stream ${this.stream}`
  }
}

/** The instance does not accept this signal now. `accepted` lists the signals it does accept (maybe none). */
export class UnexpectedSignal extends Data.TaggedError("UnexpectedSignal")<{
  readonly stream: string
  readonly signal: string
  readonly accepted: ReadonlyArray<string>
}> {
  override get message(): string {
    const accepted = this.accepted.length === 0 ? "it accepts no signal now" : `it accepts ${this.accepted.join(", ")}`
    return `${this.stream}: unexpected signal ${this.signal}; ${accepted}`
  }
}

/** A signal's request does not match the signal's request Schema. Nothing ran, nothing was appended. */
export class InvalidSignalPayload extends Data.TaggedError("InvalidSignalPayload")<{
  readonly stream: string
  readonly signal: string
  readonly issue: string
}> {
  override get message(): string {
    return `${this.stream}: invalid ${this.signal} request: ${this.issue}`
  }
}

/**
 * A step's Effect (or a signal's handler) failed or died, or the definition threw while computing what follows
 * its event. Nothing was appended: the instance stays at `step`, and `resume` (or the next signal) tries again.
 */
export class StepFailed extends Data.TaggedError("StepFailed")<{
  readonly stream: string
  readonly step: string
  readonly cause: Cause.Cause<unknown>
}> {
  override get message(): string {
    return `${this.stream}: step ${this.step} failed: ${describeCause(this.cause)}`
  }
}

/**
 * Another writer (another process, usually) appended to the instance first. Nothing of this call was appended;
 * the instance is reloaded on its next use, so retrying the call is safe.
 */
export class ConcurrencyConflict extends Data.TaggedError("ConcurrencyConflict")<{
  readonly stream: string
  readonly expected: number
  readonly actual: number
}> {
  override get message(): string {
    return `${this.stream}: another writer got there first (expected revision ${this.expected}, found ${this.actual})`
  }
}

/** The input given to `start` does not match the definition's input Schema. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly stream: string
  readonly issue: string
}> {
  override get message(): string {
    return `${this.stream}: invalid input: ${this.issue}`
  }
}

/** An instance id that is not a non-empty string within the length limit. Nothing was read or written. */
export class InvalidInstanceId extends Data.TaggedError("InvalidInstanceId")<{
  readonly workflow: string
  /** The id as given, made printable (`JSON.stringify` for strings, else its type). */
  readonly id: string
  readonly issue: string
}> {
  override get message(): string {
    return `workflow ${this.workflow}: invalid instance id ${this.id}: ${this.issue}`
  }
}

/** The worker was asked to run a definition that was not registered with it (`worker.register`). */
export class DefinitionNotRegistered extends Data.TaggedError("DefinitionNotRegistered")<{
  readonly workflow: string
}> {
  override get message(): string {
    return `workflow ${this.workflow} is not registered with this worker: call worker.register(definition, services) first`
  }
}
