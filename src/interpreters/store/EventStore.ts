import { Context, type Effect, type Option, type Stream } from "effect"
import type { StoreError, WrongExpectedRevision } from "./errors.js"

/**
 * The revision a stream must be at for an append to succeed: the revision of its last event, or
 * {@link NoStream} (-1) when the stream must not exist yet. There is deliberately no "any": a workflow
 * step appended without an exact revision could silently interleave with another process's step.
 */
export type ExpectedRevision = number

/** The expected revision of a stream that does not exist yet. */
export const NoStream: ExpectedRevision = -1

/**
 * Where an event sits in the store's whole log: strictly increasing in commit order across all streams. Opaque
 * beyond its order — compare positions with `<`, and only pass back positions read from the same store (an
 * EventStoreDB position packs the server's commit and prepare positions into one number).
 */
export type Position = bigint

/** A JSON value, as stored in event data and metadata. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * An event to append. `id` is a UUID, derived deterministically from what the event is (see `nameUuid`), so that a
 * retried append whose first answer was lost is recognised as the same append on every backend.
 */
export interface EventData {
  readonly id: string
  readonly type: string
  readonly data: Json
  readonly metadata: Json
}

/** An event as read back: what was appended, plus where and when it landed. */
export interface StoredEvent extends EventData {
  readonly stream: string
  /** 0-based position in its stream. */
  readonly revision: number
  /** Position in the whole log (commit order across streams). */
  readonly position: Position
  /** Milliseconds since the epoch at which the store recorded the event. */
  readonly created: number
}

export interface AppendResult {
  /** The revision of the last event now in the stream; pass it as the next expected revision. */
  readonly nextExpectedRevision: number
  /** Log position of the last event of the append (of the stored ones, for a retried append). */
  readonly position: Position
}

export interface ReadOptions {
  /** Default `"forwards"`. */
  readonly direction?: "forwards" | "backwards"
  /**
   * First revision to read (inclusive): forwards it defaults to 0, backwards to `"end"` (the last event). A
   * revision past the end reads nothing forwards, and from the last event backwards.
   */
  readonly fromRevision?: number | "end"
  /** Read at most this many events. Default: all. */
  readonly maxCount?: number
}

/** Which streams a read of the whole log includes. */
export interface LogFilter {
  /** Only streams whose name starts with one of these (e.g. `"order-"` for the instances of workflow `order`). */
  readonly streamPrefixes: ReadonlyArray<string>
}

export interface LogOptions {
  /** Start after this position (exclusive). Default: the beginning of the log. */
  readonly fromPosition?: Position
  /** Default: every stream. */
  readonly filter?: LogFilter
}

/**
 * One instance as the registry projection sees it: a pure function of its stream's events (see
 * `projectInstance`), kept up to date by the store.
 */
export interface InstanceRecord {
  readonly stream: string
  /** The stream name up to the first `-`. */
  readonly workflow: string
  /** The stream name after the first `-`. */
  readonly instanceId: string
  /** The instance's status after its last event, as the runtime wrote it into that event's metadata. */
  readonly status: string
  /** Revision of the last event. */
  readonly revision: number
  /** Log position of the last event. */
  readonly position: Position
  /** When the first event was stored (ms since the epoch). */
  readonly created: number
  /** When the last event was stored (ms since the epoch). */
  readonly updated: number
  /** When the instance wants to be woken (a timer, a retry), as of its last event; undefined for none. */
  readonly wakeAt: number | undefined
}

export interface InstanceQuery {
  readonly workflow?: string
  /** Only instances in one of these statuses. */
  readonly status?: ReadonlyArray<string>
  /** Keyset paging: only streams whose name sorts after this one. */
  readonly afterStream?: string
  readonly limit?: number
}

export interface WakeUpQuery {
  /** Only wake-ups due at or before this time (ms since the epoch). Default: all. */
  readonly until?: number
  /** Only instances of these workflows. Default: all. */
  readonly workflows?: ReadonlyArray<string>
  readonly limit?: number
}

/** An exclusive, expiring claim on a key (an instance's stream), so that two processes never run one step at once. */
export interface Lease {
  readonly key: string
  readonly owner: string
  /** Ms since the epoch (by the store's `Clock`) after which another owner may take the key. */
  readonly expiresAt: number
  /**
   * Grows with every acquisition and renewal: a fencing token. 1 exactly when the key was never held before (its
   * first acquisition).
   */
  readonly version: number
}

/**
 * The event store behind the runtime: one stream per workflow instance, and one log of all of them.
 *
 * Every backend (memory, SQLite, EventStoreDB, or a user's own) passes the public contract suite
 * (`durable-monad/testing`), which pins these rules down:
 * - `append` is atomic: all events land, in order, at `expectedRevision + 1 …`, or none do. `expectedRevision` is
 *   an integer >= -1 ({@link NoStream}); anything else is a `StoreError`, and so is an empty `events` (an append
 *   must write something, so that its result has a position).
 * - `append` fails with `WrongExpectedRevision` unless the stream is exactly at `expectedRevision` — except when
 *   every event given is already stored at the revisions it would take, with the same ids: that is a retried
 *   append whose first answer was lost, and it succeeds without writing (EventStoreDB's idempotent append).
 * - `read` streams one stream's events in revision order (forwards or backwards), paged, and is empty for a stream
 *   that does not exist.
 * - Every stored event has a `position`, strictly increasing in commit order across streams. `readAll` reads the
 *   log up to its current end; `subscribe` reads it and then follows new appends, never skipping or repeating an
 *   event at the hand-over.
 * - The registry (`instance`, `instances`, `wakeUps`) is a projection of the log through `projectInstance`. It
 *   reflects every append that completed before the query started (a backend whose projection is fed
 *   asynchronously catches up first).
 * - Leases: at most one owner holds an unexpired lease on a key at any time.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EventStore, NoStream } from "durable-monad"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* EventStore
 *   yield* store.append("order-1", NoStream, [
 *     { id: "1b4e28ba-2fa1-51d2-883f-0016d3cca427", type: "Placed", data: { total: 3 }, metadata: { status: "Running" } }
 *   ])
 * })
 * ```
 */
export class EventStore extends Context.Service<
  EventStore,
  {
    readonly append: (
      stream: string,
      expectedRevision: ExpectedRevision,
      events: ReadonlyArray<EventData>
    ) => Effect.Effect<AppendResult, WrongExpectedRevision | StoreError>
    readonly read: (stream: string, options?: ReadOptions) => Stream.Stream<StoredEvent, StoreError>
    /** The log from `fromPosition` (exclusive) to its end as of the call, in position order. */
    readonly readAll: (options?: LogOptions & { readonly maxCount?: number }) => Stream.Stream<StoredEvent, StoreError>
    /** The log from `fromPosition` (exclusive), then every event appended later, as it is committed. Never ends. */
    readonly subscribe: (options?: LogOptions) => Stream.Stream<StoredEvent, StoreError>
    /** The registry row of one instance's stream. */
    readonly instance: (stream: string) => Effect.Effect<Option.Option<InstanceRecord>, StoreError>
    /** Registry rows in stream-name order. */
    readonly instances: (query?: InstanceQuery) => Stream.Stream<InstanceRecord, StoreError>
    /** Registry rows with a wake-up, earliest first (ties by stream name). */
    readonly wakeUps: (query?: WakeUpQuery) => Stream.Stream<InstanceRecord, StoreError>
    /**
     * Take the lease on `key` for `ttlMs`: `Some` when `owner` now holds it (newly, or renewed because it already
     * did), `None` while another owner's lease has not expired.
     */
    readonly acquireLease: (
      key: string,
      owner: string,
      ttlMs: number
    ) => Effect.Effect<Option.Option<Lease>, StoreError>
    /** Extend a held lease; `None` when it was lost (expired and taken by another owner, or released). */
    readonly renewLease: (lease: Lease, ttlMs: number) => Effect.Effect<Option.Option<Lease>, StoreError>
    /** Give a lease up (a no-op when it is no longer held). */
    readonly releaseLease: (lease: Lease) => Effect.Effect<void, StoreError>
  }
>()("durable-monad/EventStore") {}
