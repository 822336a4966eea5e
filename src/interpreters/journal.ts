/**
 * How workflow events are written to and read from a stream. One place, so the runtime (writing) and replay
 * (reading) cannot disagree about the format.
 *
 * Stream `<workflow>-<instanceId>`. Revision 0 is `WorkflowStarted` (step `start`) with the encoded input and, in
 * its metadata, the workflow name and the definition's fingerprint. Every later event is one step's event:
 * `type` is the event's `_tag` (or its Schema's identifier), `data` the event encoded with the step's Schema,
 * `metadata` `{ step, occurrence, at }`.
 */
import * as Crypto from "node:crypto"
import { Cause, Result, Schema, SchemaAST } from "effect"
import type { PlainCodec } from "../dsl/Signal.js"
import { describeCause } from "./errors.js"
import { checkJson, DEFAULT_LIMITS, type Limits } from "./limits.js"
import type { EventData, Json, StoredEvent } from "./store/EventStore.js"

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

/**
 * SHA-256 in hex. The one-shot `crypto.hash` (Node >= 20.12) costs about half of a `Hash` object for inputs this
 * short, and this runs once per appended event; older Node 20 releases lack it and get the `Hash` object.
 */
const sha256Hex: (text: string) => string =
  typeof Crypto.hash === "function"
    ? (text) => Crypto.hash("sha256", text, "hex")
    : (text) => Crypto.createHash("sha256").update(text).digest("hex")

/**
 * A deterministic event id (UUID-shaped) from where the event goes and what it says. A retried append of the
 * same event is recognised by the store as a duplicate; two processes that raced through the same step with
 * different results get different ids, so the loser gets a conflict instead of silently "succeeding".
 */
export const eventId = (stream: string, revision: number, type: string, data: unknown): string => {
  const hex = sha256Hex(`${stream}\u0000${revision}\u0000${type}\u0000${JSON.stringify(data)}`)
  // RFC 4122 layout, version 8 (custom), variant 10.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export const startedEvent = (stream: string, input: Json, metadata: Omit<StartedMetadata, "step">): EventData => {
  const data = { input }
  return {
    id: eventId(stream, 0, STARTED, data),
    type: STARTED,
    data,
    metadata: { step: START_STEP, ...metadata }
  }
}

export const stepEvent = (
  stream: string,
  revision: number,
  type: string,
  data: Json,
  metadata: StepMetadata
): EventData => ({
  id: eventId(stream, revision, type, data),
  type,
  data,
  metadata: { ...metadata }
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
