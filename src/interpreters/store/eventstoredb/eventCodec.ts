/**
 * How a store event is written to and read from EventStoreDB. Data and metadata are JSON. The metadata on the
 * server also carries EventStoreDB's `$correlationId` (the instance's stream) and `$causationId` (the step that
 * wrote the event, from the runtime's `step` metadata), so the server's own tooling (the UI, `$by_correlation_id`)
 * can group an instance's events; reading strips them again, so metadata round-trips exactly.
 */
import type { EventData, Json, StoredEvent } from "../EventStore.js"
import type { WireEvent, WireRecord } from "./client.js"
import { isNoPosition, packPosition } from "./position.js"

const CORRELATION = "$correlationId"
const CAUSATION = "$causationId"
/** Metadata that is not a plain object, or already uses one of those keys, travels wrapped under this key. */
const WRAPPED = "$durableMonadMetadata"

const isPlainObject = (value: unknown): value is { readonly [key: string]: Json } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const encodeEvent = (stream: string, event: EventData): WireEvent => {
  const step = isPlainObject(event.metadata) ? event.metadata.step : undefined
  const links = { [CORRELATION]: stream, [CAUSATION]: typeof step === "string" ? step : event.id }
  const mergeable =
    isPlainObject(event.metadata) &&
    !(CORRELATION in event.metadata || CAUSATION in event.metadata || WRAPPED in event.metadata)
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: mergeable ? { ...(event.metadata as object), ...links } : { ...links, [WRAPPED]: event.metadata }
  }
}

export const decodeMetadata = (metadata: unknown): Json => {
  if (!isPlainObject(metadata)) return (metadata ?? null) as Json
  if (WRAPPED in metadata) return metadata[WRAPPED]!
  const { [CORRELATION]: _c, [CAUSATION]: _k, ...rest } = metadata
  return rest
}

/** The store event of a server record (its stream name without the namespace), or why it cannot be one. */
export const decodeRecord = (record: WireRecord, namespace: string): StoredEvent | string => {
  if (!record.isJson) return `event ${record.id} in ${record.stream} is not JSON; durable-monad stores JSON only`
  if (isNoPosition(record.position)) {
    // Servers before 22.x leave positions out of stream reads; a StoredEvent cannot exist without one.
    return `the server sent event ${record.id} of ${record.stream} without its $all position; durable-monad needs a server that includes positions in stream reads (EventStoreDB 22.x or later)`
  }
  return {
    id: record.id,
    type: record.type,
    data: record.data as Json,
    metadata: decodeMetadata(record.metadata),
    stream: record.stream.slice(namespace.length),
    revision: Number(record.revision),
    position: packPosition(record.position!),
    created: record.created
  }
}

// A lone UTF-16 surrogate cannot be encoded as UTF-8: the server would store U+FFFD and the name would come back
// different. (JSON.stringify escapes lone surrogates, so data and metadata are safe.)
const loneSurrogate = /\p{Cs}/u

/**
 * The events of one append as the server gets them, and the bytes they put against its per-append cap (data and
 * metadata, as EventStoreDB counts them) — or why they cannot be sent (the same refusals as the SQLite store's).
 */
export const encodeAppend = (
  stream: string,
  events: ReadonlyArray<EventData>
): { readonly wire: ReadonlyArray<WireEvent>; readonly size: number } | string => {
  if (loneSurrogate.test(stream)) return "the stream name must be a well-formed Unicode string"
  const wire: Array<WireEvent> = []
  let size = 0
  for (let index = 0; index < events.length; index++) {
    const what = `event ${index} (id ${events[index]!.id})`
    let event: WireEvent
    try {
      event = encodeEvent(stream, events[index]!)
    } catch (error) {
      return `${what}: the metadata cannot be read: ${(error as Error).message}`
    }
    if (loneSurrogate.test(event.type)) return `${what}: the type must be a well-formed Unicode string`
    for (const field of ["data", "metadata"] as const) {
      let text: string | undefined
      try {
        text = JSON.stringify(event[field])
      } catch (error) {
        return `${what}: the ${field} cannot be encoded as JSON: ${(error as Error).message}`
      }
      if (typeof text !== "string") return `${what}: the ${field} is not a JSON value (got ${typeof event[field]})`
      size += Buffer.byteLength(text)
    }
    wire.push(event)
  }
  return { wire, size }
}

/**
 * Streams and events that are not workflow events: EventStoreDB's own (`$`-prefixed streams such as `$$order-1`
 * metadata or `$epochs`, and `$`-prefixed event types such as a tombstone's `$streamDeleted`) and the adapter's
 * internal streams (leases), and streams outside the store's namespace. `readAll`, `subscribe` and the registry
 * never show them.
 */
export const INTERNAL_PREFIX = "durable_monad."

export const isHidden = (record: Pick<WireRecord, "stream" | "type" | "isJson">, namespace: string): boolean =>
  !record.isJson ||
  record.type.startsWith("$") ||
  !record.stream.startsWith(namespace) ||
  record.stream.startsWith("$") ||
  record.stream.startsWith(INTERNAL_PREFIX, namespace.length)
