/**
 * Rules every backend applies the same way: which appends, reads and filters are valid, and what an append does
 * given what is stored. Shared by the stores that implement the rules themselves (memory, SQLite) so they agree with
 * EventStoreDB, which implements the append rules natively.
 */
import type {
  EventData,
  ExpectedRevision,
  InstanceQuery,
  LogFilter,
  LogOptions,
  ReadOptions,
  StoredEvent,
  WakeUpQuery
} from "./EventStore.js"
import { StoreError } from "./errors.js"

/**
 * What an append must do, given the events already at the revisions it targets.
 *
 * - `write`: the stream is at `expected`, append.
 * - `duplicate`: the same event ids already sit at `expected + 1 …` — a retried append; succeed, write nothing.
 * - `conflict`: anything else.
 */
export const decideAppend = (
  expected: ExpectedRevision,
  actual: number,
  events: ReadonlyArray<EventData>,
  storedAt: (revision: number) => Pick<StoredEvent, "id"> | undefined
): "write" | "duplicate" | "conflict" => {
  if (actual === expected) return "write"
  if (events.length === 0 || actual < expected + events.length) return "conflict"
  for (let i = 0; i < events.length; i++) {
    if (storedAt(expected + 1 + i)?.id !== events[i]!.id) return "conflict"
  }
  return "duplicate"
}

/** Page size for streamed reads: large enough to amortise per-page overhead, small enough to keep memory flat. */
export const READ_PAGE_SIZE = 1024

/** Why an append is not one any store accepts, or undefined when it is well-formed. */
export const checkAppend = (
  stream: string,
  expected: ExpectedRevision,
  events: ReadonlyArray<EventData>
): StoreError | undefined => {
  const invalid = (reason: string) => new StoreError({ operation: "append", stream, reason })
  if (typeof stream !== "string" || stream === "") return invalid("the stream name must be a non-empty string")
  if (!Number.isSafeInteger(expected) || expected < -1) {
    return invalid(`the expected revision must be an integer >= -1 (NoStream), got ${String(expected)}`)
  }
  if (!Array.isArray(events)) return invalid("the events must be an array")
  if (events.length === 0) return invalid("an append needs at least one event")
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index]
    if (typeof event !== "object" || event === null) return invalid(`event ${index} is not an object`)
    const { id, type } = event as Partial<EventData>
    if (typeof id !== "string" || !UUID.test(id)) {
      return invalid(`event ${index}: the id must be a UUID in lowercase canonical form, got ${JSON.stringify(id)}`)
    }
    if (typeof type !== "string" || type === "") {
      return invalid(`event ${index} (id ${id}): the type must be a non-empty string`)
    }
  }
  return undefined
}

/**
 * Event ids are UUIDs in the form EventStoreDB gives back (lowercase, hyphenated), so an id reads back exactly as
 * it was appended on every backend, and the idempotency check compares like with like.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0

/** Why read options are invalid, or undefined. */
export const checkReadOptions = (stream: string, options: ReadOptions | undefined): StoreError | undefined => {
  const invalid = (reason: string) => new StoreError({ operation: "read", stream, reason })
  const direction = options?.direction ?? "forwards"
  if (direction !== "forwards" && direction !== "backwards") {
    return invalid(`direction must be "forwards" or "backwards", got ${String(direction)}`)
  }
  const from = options?.fromRevision
  if (from !== undefined && from !== "end" && !isCount(from)) {
    return invalid(`fromRevision must be an integer >= 0 or "end", got ${String(from)}`)
  }
  if (options?.maxCount !== undefined && !isCount(options.maxCount)) {
    return invalid(`maxCount must be an integer >= 0, got ${String(options.maxCount)}`)
  }
  return undefined
}

/**
 * The revisions a read covers in a stream whose last revision is `last` (-1: empty): the first one, the step (+1
 * forwards, -1 backwards) and how many. Options must have passed {@link checkReadOptions}.
 */
export const revisionRange = (
  options: ReadOptions | undefined,
  last: number
): { readonly first: number; readonly step: 1 | -1; readonly count: number } => {
  const max = options?.maxCount ?? Number.POSITIVE_INFINITY
  if (options?.direction === "backwards") {
    const from = options.fromRevision === undefined || options.fromRevision === "end" ? last : options.fromRevision
    const first = Math.min(from, last)
    return { first, step: -1, count: Math.max(0, Math.min(first + 1, max)) }
  }
  // "end" of an empty stream (last -1) is revision 0: nothing to read.
  const from =
    options?.fromRevision === undefined ? 0 : options.fromRevision === "end" ? Math.max(last, 0) : options.fromRevision
  return { first: from, step: 1, count: Math.max(0, Math.min(last - from + 1, max)) }
}

/** Why options of `readAll` or `subscribe` are invalid, or undefined. */
export const checkLogOptions = (
  operation: "read" | "subscribe",
  options: (LogOptions & { readonly maxCount?: number }) | undefined
): StoreError | undefined => {
  const invalid = (reason: string) => new StoreError({ operation, reason })
  const from = options?.fromPosition
  if (from !== undefined && (typeof from !== "bigint" || from < 0n)) {
    return invalid(`fromPosition must be a bigint >= 0n (a position read from this store), got ${String(from)}`)
  }
  if (options?.maxCount !== undefined && !isCount(options.maxCount)) {
    return invalid(`maxCount must be an integer >= 0, got ${String(options.maxCount)}`)
  }
  const filter = options?.filter
  if (filter !== undefined) {
    const prefixes: unknown = filter?.streamPrefixes
    if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== "string")) {
      return invalid("filter.streamPrefixes must be an array of strings")
    }
  }
  return undefined
}

const checkNames = (name: string, value: ReadonlyArray<string> | undefined): string | undefined =>
  value === undefined || (Array.isArray(value) && value.every((v) => typeof v === "string"))
    ? undefined
    : `${name} must be an array of strings`

const checkLimit = (limit: number | undefined): string | undefined =>
  limit === undefined || isCount(limit) ? undefined : `limit must be an integer >= 0, got ${String(limit)}`

/** Why a registry query is invalid, or undefined. */
export const checkInstanceQuery = (query: InstanceQuery | undefined): StoreError | undefined => {
  const reason =
    (query?.workflow !== undefined && typeof query.workflow !== "string" ? "workflow must be a string" : undefined) ??
    checkNames("status", query?.status) ??
    (query?.afterStream !== undefined && typeof query.afterStream !== "string"
      ? "afterStream must be a string"
      : undefined) ??
    checkLimit(query?.limit)
  return reason === undefined ? undefined : new StoreError({ operation: "registry", reason })
}

/** Why a wake-up query is invalid, or undefined. */
export const checkWakeUpQuery = (query: WakeUpQuery | undefined): StoreError | undefined => {
  const reason =
    (query?.until !== undefined && !Number.isFinite(query.until)
      ? `until must be a finite number (ms since the epoch), got ${String(query.until)}`
      : undefined) ??
    checkNames("workflows", query?.workflows) ??
    checkLimit(query?.limit)
  return reason === undefined ? undefined : new StoreError({ operation: "registry", reason })
}

/** Why lease arguments are invalid, or undefined. */
export const checkLease = (key: string, owner: string, ttlMs: number | undefined): StoreError | undefined => {
  const invalid = (reason: string) => new StoreError({ operation: "lease", stream: String(key), reason })
  if (typeof key !== "string" || key === "") return invalid("the lease key must be a non-empty string")
  if (typeof owner !== "string" || owner === "") return invalid("the lease owner must be a non-empty string")
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    return invalid(`ttlMs must be an integer > 0, got ${String(ttlMs)}`)
  }
  return undefined
}

/** Whether a log filter lets a stream's events through. */
export const matchesFilter = (filter: LogFilter | undefined, stream: string): boolean =>
  filter === undefined || filter.streamPrefixes.some((prefix) => stream.startsWith(prefix))
