/**
 * The one file that talks to `@eventstore/db-client`. Everything else in the adapter sees this small gateway of
 * promises and plain records, so moving to `@kurrent/kurrentdb-client` means rewriting this file only (mind that
 * its append option `expectedRevision` is renamed `streamState`, and the old name is silently ignored — i.e. ANY).
 */
import type { ResolvedEvent } from "@eventstore/db-client"
import { createRequire } from "node:module"
import { isMissingPackage, MissingDependencyError, peerRange } from "../../../package/optionalDependency.js"
import type { Readable } from "node:stream"

type Client = typeof import("@eventstore/db-client")

/** `@eventstore/db-client` (an optional peer dependency) is not installed, or cannot be loaded. */
export class ClientMissing extends Error {}

let loaded: Client | undefined

// Loaded on first connect, not on import: a missing optional peer dependency is then a clear StoreError when a
// store is opened, rather than a module-not-found error wherever the entry point happens to be imported.
const load = (): Client => {
  try {
    loaded ??= createRequire(import.meta.url)("@eventstore/db-client") as Client
    return loaded
  } catch (error) {
    const dependency = "@eventstore/db-client"
    throw new ClientMissing(
      isMissingPackage(error, dependency)
        ? new MissingDependencyError({ dependency, range: peerRange(dependency), feature: "the EventStoreDB store" })
            .message
        : error instanceof Error
          ? error.message
          : String(error)
    )
  }
}

/** A position in $all as the server gives it. */
export interface WirePosition {
  readonly commit: bigint
  readonly prepare: bigint
}

export interface WireEvent {
  readonly id: string
  readonly type: string
  readonly data: unknown
  readonly metadata: unknown
}

export interface WireRecord extends WireEvent {
  readonly stream: string
  readonly revision: bigint
  /** Milliseconds since the epoch. */
  readonly created: number
  /** Undefined when the server did not send one (older servers on stream reads). */
  readonly position: WirePosition | undefined
  readonly isJson: boolean
}

export type AppendOutcome =
  | { readonly _tag: "Appended"; readonly lastRevision: bigint; readonly position: WirePosition | undefined }
  | { readonly _tag: "Conflict"; readonly actual: bigint }

/** Why a call failed, in the adapter's terms. */
export type FailureKind = "unavailable" | "tooLarge" | "deleted" | "accessDenied" | "other"

export class GatewayError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    override readonly cause: unknown
  ) {
    super(message)
  }
}

export interface Subscription {
  /** Batches of what the client has buffered (never empty): one await per batch, not per event. */
  readonly events: AsyncIterable<ReadonlyArray<WireRecord>>
  readonly stop: () => Promise<void>
}

export interface Gateway {
  /** `expected`: the stream's last revision, or -1n for "must not exist". */
  readonly append: (
    stream: string,
    expected: bigint,
    events: ReadonlyArray<WireEvent>,
    deadlineMs: number
  ) => Promise<AppendOutcome>
  /** One page of a stream; empty when the stream does not exist. */
  readonly readStream: (
    stream: string,
    options: { readonly from: bigint | "start" | "end"; readonly backwards: boolean; readonly maxCount: number }
  ) => Promise<ReadonlyArray<WireRecord>>
  /** One page of $all; `from` is inclusive, as on the server. */
  readonly readAll: (options: {
    readonly from: WirePosition | "start" | "end"
    readonly backwards: boolean
    readonly maxCount: number
  }) => Promise<ReadonlyArray<WireRecord>>
  /** $all from after `from`, then live. `prefixes`: filter on the server by stream-name prefix. */
  readonly subscribeAll: (options: {
    readonly from: WirePosition | "start"
    readonly prefixes: ReadonlyArray<string> | undefined
  }) => Subscription
  readonly dispose: () => Promise<void>
}

/** Throws (a plain Error with the client's reason) when the connection string is malformed. */
export const connect = (connectionString: string): Gateway => {
  const esdb = load()
  const { BACKWARDS, END, FORWARDS, NO_STREAM, START, jsonEvent, streamNameFilter } = esdb
  const classify = classifier(esdb)
  const client = esdb.EventStoreDBClient.connectionString(connectionString)
  const toRecord = (resolved: ResolvedEvent): WireRecord | undefined => {
    const e = resolved.event
    if (e === undefined) return undefined
    return {
      stream: e.streamId,
      revision: e.revision,
      id: e.id,
      type: e.type,
      data: e.data,
      metadata: e.metadata,
      created: e.created.getTime(),
      position: e.position,
      isJson: e.isJson
    }
  }
  const collect = async (iterable: AsyncIterable<ResolvedEvent>): Promise<Array<WireRecord>> => {
    const out: Array<WireRecord> = []
    try {
      for await (const resolved of iterable) {
        const record = toRecord(resolved)
        if (record !== undefined) out.push(record)
      }
    } catch (error) {
      if (error instanceof esdb.StreamNotFoundError) return []
      throw classify(error)
    }
    return out
  }
  return {
    append: async (stream, expected, events, deadlineMs) => {
      try {
        const result = await client.appendToStream(
          stream,
          events.map((e) =>
            jsonEvent({ id: e.id, type: e.type, data: e.data as never, metadata: e.metadata as never })
          ),
          { expectedRevision: expected === -1n ? NO_STREAM : expected, deadline: deadlineMs }
        )
        return { _tag: "Appended", lastRevision: result.nextExpectedRevision, position: result.position }
      } catch (error) {
        if (error instanceof esdb.WrongExpectedVersionError) {
          const actual = error.actualVersion
          return { _tag: "Conflict", actual: typeof actual === "bigint" ? actual : -1n }
        }
        throw classify(error)
      }
    },
    readStream: (stream, { from, backwards, maxCount }) =>
      collect(
        client.readStream(stream, {
          fromRevision: from === "start" ? START : from === "end" ? END : from,
          direction: backwards ? BACKWARDS : FORWARDS,
          maxCount
        })
      ),
    readAll: ({ from, backwards, maxCount }) =>
      collect(
        client.readAll({
          fromPosition: from === "start" ? START : from === "end" ? END : from,
          direction: backwards ? BACKWARDS : FORWARDS,
          maxCount
        })
      ),
    subscribeAll: ({ from, prefixes }) => {
      const subscription = client.subscribeToAll({
        fromPosition: from === "start" ? START : from,
        ...(prefixes === undefined ? {} : { filter: streamNameFilter({ prefixes: [...prefixes] }) })
      })
      // The subscription is a Node Transform stream; its typings narrow the events it declares.
      return {
        events: batches(subscription as unknown as Readable, toRecord, classify),
        stop: () => subscription.unsubscribe()
      }
    },
    dispose: () => client.dispose()
  }
}

/** Largest batch taken from a subscription's buffer at once. */
const MAX_BATCH = 1024

/**
 * Everything a readable has buffered, as batches, until it ends or fails. Reading the buffer directly (rather than
 * one `for await` step per event) halves the cost of a catch-up over a long log.
 */
async function* batches(
  readable: Readable,
  toRecord: (resolved: ResolvedEvent) => WireRecord | undefined,
  classify: (error: unknown) => GatewayError
): AsyncGenerator<ReadonlyArray<WireRecord>> {
  let failure: unknown
  let wake: (() => void) | undefined
  const onError = (error: unknown) => {
    failure ??= error
    wake?.()
  }
  const onChange = () => wake?.()
  readable.on("error", onError)
  readable.on("readable", onChange)
  readable.on("end", onChange)
  readable.on("close", onChange)
  try {
    for (;;) {
      const batch: Array<WireRecord> = []
      for (let resolved = readable.read(); resolved !== null; resolved = readable.read()) {
        const record = toRecord(resolved as ResolvedEvent)
        if (record !== undefined) batch.push(record)
        if (batch.length >= MAX_BATCH) break
      }
      if (batch.length > 0) {
        yield batch
        continue
      }
      if (failure !== undefined) throw classify(failure)
      if (readable.readableEnded || readable.destroyed) return
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      wake = undefined
    }
  } finally {
    readable.off("error", onError)
    readable.off("readable", onChange)
    readable.off("end", onChange)
    readable.off("close", onChange)
  }
}

const classifier =
  (esdb: Client) =>
  (error: unknown): GatewayError => {
    const message = error instanceof Error ? error.message : String(error)
    if (
      error instanceof esdb.UnavailableError ||
      error instanceof esdb.DeadlineExceededError ||
      error instanceof esdb.CancelledError ||
      error instanceof esdb.TimeoutError ||
      error instanceof esdb.NotLeaderError
    ) {
      return new GatewayError("unavailable", message, error)
    }
    if (error instanceof esdb.MaxAppendSizeExceededError) {
      return new GatewayError(
        "tooLarge",
        `the server refused the append: over its ${error.maxAppendSize}-byte cap`,
        error
      )
    }
    if (error instanceof esdb.StreamDeletedError) {
      return new GatewayError("deleted", `stream ${error.streamName} is deleted`, error)
    }
    if (error instanceof esdb.AccessDeniedError) return new GatewayError("accessDenied", message, error)
    return new GatewayError("other", message, error)
  }
