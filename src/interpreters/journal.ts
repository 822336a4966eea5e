/**
 * How workflow events are written to and read from a stream. One place, so the runtime (writing) and replay
 * (reading) cannot disagree about the format.
 *
 * Stream `<workflow>-<instanceId>`. Revision 0 is `WorkflowStarted` (step `start`) with the encoded input and, in
 * its metadata, the workflow name and the definition's fingerprint. Every later event is one step's event:
 * `type` is the event's `_tag` (or its Schema's identifier), `data` the event encoded with the step's Schema,
 * `metadata` `{ step, occurrence, at }`.
 */
import { Cause, Result, Schema, SchemaAST } from "effect"
import type { PlainCodec } from "../dsl/Signal.js"
import { describeCause } from "./errors.js"
import { checkJson, DEFAULT_LIMITS, type Limits } from "./limits.js"
import type { EventData, Json, StoredEvent } from "./store/EventStore.js"
import { EVENT_ID_NAMESPACE, nameUuid } from "./store/nameUuid.js"

export const STARTED = "WorkflowStarted"
export const START_STEP = "start"

export const streamName = (workflow: string, instanceId: string): string => `${workflow}-${instanceId}`

export interface StartedMetadata {
  readonly step: typeof START_STEP
  readonly workflow: string
  readonly fingerprint: string
  readonly at: string
}

export interface StepMetadata {
  readonly step: string
  readonly occurrence: number
  readonly at: string
}

interface JsonCodec {
  readonly encode: (value: unknown) => Result.Result<unknown, Schema.SchemaError>
  readonly decode: (json: unknown) => Result.Result<unknown, Schema.SchemaError>
}

const codecs = new WeakMap<object, JsonCodec>()

/** The JSON codec of a Schema, built once per Schema: building it is far costlier than using it. */
export const jsonCodec = (schema: PlainCodec<unknown>): JsonCodec => {
  let codec = codecs.get(schema)
  if (codec === undefined) {
    const json = Schema.toCodecJson(schema)
    codec = { encode: Schema.encodeUnknownResult(json), decode: Schema.decodeUnknownResult(json) }
    codecs.set(schema, codec)
  }
  return codec
}

/**
 * What a Schema operation threw. A getter or Proxy trap that throws inside a Schema surfaces as effect's "Result
 * adapter can only return schema issues" with the original error inside its Cause: report the original.
 */
const thrownMessage = (error: unknown): string => {
  const cause = (error as { cause?: unknown } | null)?.cause
  if (Cause.isCause(cause)) return describeCause(cause)
  return error instanceof Error ? error.message : "a value threw"
}

/**
 * Encode a value with a Schema, check the encoding against `limits`, and decode it back. The runtime continues from
 * the decoded value — exactly what replay will see — so a Schema that drops or normalises fields cannot make a live
 * instance diverge from its recovered self. Never throws: a value whose getters throw, a Proxy, or a structure too
 * deep or too large for the journal is an issue (a message), like a Schema mismatch.
 */
export const roundTrip = (
  schema: PlainCodec<unknown>,
  value: unknown,
  limits: Limits = DEFAULT_LIMITS
): Result.Result<{ readonly data: Json; readonly value: unknown }, string> => {
  const codec = jsonCodec(schema)
  let encoded: Result.Result<unknown, Schema.SchemaError>
  try {
    encoded = codec.encode(value)
  } catch (error) {
    return Result.fail(`it cannot be read: ${thrownMessage(error)}`)
  }
  if (Result.isFailure(encoded)) return Result.fail(encoded.failure.message)
  const checked = checkJson(encoded.success, limits)
  if ("issue" in checked) return Result.fail(checked.issue)
  let decoded: Result.Result<unknown, Schema.SchemaError>
  try {
    decoded = codec.decode(checked.json)
  } catch (error) {
    return Result.fail(`it does not decode: ${thrownMessage(error)}`)
  }
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure.message)
  return Result.succeed({ data: checked.json, value: decoded.success })
}

/** The journal `type` of an event: its `_tag`, else its Schema's identifier, else "Event". */
export const eventType = (schema: PlainCodec<unknown>, event: unknown): string => {
  const tag = typeof event === "object" && event !== null ? (event as { _tag?: unknown })._tag : undefined
  return typeof tag === "string" ? tag : (SchemaAST.resolveIdentifier(schema.ast) ?? "Event")
}

/** Why an event that is not a step's own event was recorded (metadata `kind`); absent for a step's event. */
export type EventKind = "attempt" | "raised" | "timer" | "exhausted"

/** Type of the event that records a failed attempt of a step's Effect (a technical failure, retried). */
export const ATTEMPT_FAILED = "AttemptFailed"
/** Type of the event that records a business error (one the step declares) escaping a step's Effect. */
export const STEP_RAISED = "StepRaised"

/**
 * Types of a timer's two events (metadata `kind: "timer"`): started, with its release time, and fired. Both carry
 * `{ until }`, the release time as an ISO time.
 */
export const TIMER_STARTED = "TimerStarted"
export const TIMER_FIRED = "TimerFired"

/** Type of the event that records the last failed attempt of a step whose retry policy gave up (`kind: "exhausted"`). */
export const RETRIES_EXHAUSTED = "RetriesExhausted"

/** `sender` of a signal sent with the caller's idempotency key (else `nonce:<random>`). */
export const KEY_PREFIX = "key:"
export const NONCE_PREFIX = "nonce:"

/** What identifies an event: where it goes, which execution of which step it records, and what it says. */
export interface EventIdentity {
  readonly stream: string
  readonly revision: number
  readonly step: string
  /** The step's occurrence (loops run a step more than once), and for an attempt event its attempt number. */
  readonly occurrence: number
  readonly attempt?: number
  readonly type: string
  readonly data: unknown
  /**
   * For a signal: the sender's idempotency key, or a nonce of this call. Two senders of the same request are two
   * signals, each recorded; one sender's redelivery (same key) is the same signal.
   */
  readonly sender?: string
}

/**
 * A deterministic event id (a name-based UUID) from what the event is. A retried append of the same event (a lost
 * answer, or another process that ran the same step to the same result) is recognised by the store as a duplicate;
 * two processes that ran one step to different results get different ids, so the loser gets a conflict instead of
 * silently "succeeding" — hence the content in the name, which the issue's "instance, revision, step, attempt"
 * alone would not distinguish.
 */
export const eventId = (id: EventIdentity): string =>
  idOf(id.stream, id.revision, id.step, id.occurrence, id.attempt, id.sender, id.type, id.data)

/** `eventId` from its fields, without an identity object (one per appended event). */
const idOf = (
  stream: string,
  revision: number,
  step: string,
  occurrence: number,
  attempt: number | undefined,
  sender: string | undefined,
  type: string,
  data: unknown
): string =>
  nameUuid(
    EVENT_ID_NAMESPACE,
    `${stream}/${revision}/${step}/${occurrence}/${attempt ?? 0}/${sender ?? ""}/${type}/${JSON.stringify(data)}`
  )

/**
 * The fields of every event's metadata that the store's registry reads (see `ProjectedMetadata`). `wakeAt` is left
 * out when the instance wants no wake-up (the registry reads missing and null alike): most events have none, and
 * the bytes are on every stored event.
 */
export interface Projected {
  readonly status: string
  readonly wakeAt?: number
}

export const startedEvent = (
  stream: string,
  input: Json,
  metadata: Omit<StartedMetadata, "step"> & Projected
): EventData => {
  const data = { input }
  return {
    id: eventId({ stream, revision: 0, step: START_STEP, occurrence: 0, type: STARTED, data }),
    type: STARTED,
    data,
    metadata: { step: START_STEP, ...metadata }
  }
}

/** Metadata of an event after `WorkflowStarted`. */
export interface EventMetadata extends StepMetadata, Projected {
  readonly kind?: EventKind
  readonly attempt?: number
  /** For a signal's event: the signal's name, the sender's key (or the call's nonce), the encoded reply. */
  readonly signal?: string
  readonly sender?: string
  readonly reply?: Json
}

export const stepEvent = (
  stream: string,
  revision: number,
  type: string,
  data: Json,
  metadata: EventMetadata
): EventData => ({
  id: idOf(stream, revision, metadata.step, metadata.occurrence, metadata.attempt, metadata.sender, type, data),
  type,
  data,
  metadata: metadata as unknown as Json
})

/** The step id recorded in an event's metadata, if it has one. */
export const recordedStep = (event: StoredEvent): string | undefined => {
  const step = (event.metadata as { step?: unknown } | null)?.step
  return typeof step === "string" ? step : undefined
}

/** The timestamp recorded in an event's metadata (the store's own time if missing). */
export const recordedAt = (event: StoredEvent): Date => {
  const at = (event.metadata as { at?: unknown } | null)?.at
  const parsed = typeof at === "string" ? new Date(at) : undefined
  return parsed !== undefined && !Number.isNaN(parsed.getTime()) ? parsed : new Date(event.created)
}

export const issueOf = (result: Result.Failure<unknown, Schema.SchemaError>): string => result.failure.message
