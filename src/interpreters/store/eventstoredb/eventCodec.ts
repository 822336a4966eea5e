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

export const encodeEvent = (stream: string, event: EventData): WireEvent => {
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
    // Some server versions leave positions out of stream reads; a StoredEvent cannot exist without one.
    return `the server sent event ${record.id} of ${record.stream} without its $all position; durable-monad needs a server that includes positions in stream reads`
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

/** Bytes one append puts against the server's per-append cap (data and metadata, as EventStoreDB counts them). */
export const appendSize = (events: ReadonlyArray<WireEvent>): number =>
  events.reduce(
    (total, e) => total + Buffer.byteLength(JSON.stringify(e.data)) + Buffer.byteLength(JSON.stringify(e.metadata)),
    0
  )

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
