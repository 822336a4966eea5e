import { Context, type Effect, type Stream } from "effect"
import type { StoreError, WrongExpectedRevision } from "./errors.js"

/**
 * The revision a stream must be at for an append to succeed: the revision of its last event, or
 * {@link NoStream} (-1) when the stream must not exist yet. There is deliberately no "any": a workflow
 * step appended without an exact revision could silently interleave with another process's step.
 */
export type ExpectedRevision = number

/** The expected revision of a stream that does not exist yet. */
export const NoStream: ExpectedRevision = -1

/** A JSON value, as stored in event data and metadata. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** An event to append. `id` should be deterministic so that a retried append is recognised (see {@link EventStore}). */
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
  /** Milliseconds since the epoch at which the store recorded the event. */
  readonly created: number
}

export interface AppendResult {
  /** The revision of the last event now in the stream; pass it as the next expected revision. */
  readonly nextExpectedRevision: number
}

export interface ReadOptions {
  /** First revision to read (inclusive). Default 0. */
  readonly fromRevision?: number
  /** Read at most this many events. Default: all. */
  readonly maxCount?: number
}

/**
 * The event store behind the runtime: one stream per workflow instance.
 *
 * Every backend (memory, SQLite, EventStoreDB) passes the shared contract suite in
 * `test/interpreters/store/contract.ts`, which pins these rules down:
 * - `append` is atomic: all events land, in order, at `expectedRevision + 1 …`, or none do.
 * - `append` fails with `WrongExpectedRevision` unless the stream is exactly at `expectedRevision` — except when
 *   every event given is already stored at the revisions it would take, with the same ids: that is a retried
 *   append whose first answer was lost, and it succeeds without writing (EventStoreDB's idempotent append).
 * - `read` streams events in revision order and is empty for a stream that does not exist.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EventStore, NoStream } from "durable-monad"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* EventStore
 *   yield* store.append("order-1", NoStream, [{ id: "e1", type: "Placed", data: { total: 3 }, metadata: {} }])
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
    /** Names of the non-empty streams that start with `prefix`, in ascending order. */
    readonly listStreams: (prefix: string) => Stream.Stream<string, StoreError>
  }
>()("durable-monad/EventStore") {}
