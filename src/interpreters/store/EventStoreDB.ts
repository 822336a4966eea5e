import { Effect, Layer, Option, type Scope, Stream } from "effect"
import {
  type AppendResult,
  EventStore,
  type InstanceRecord,
  type LogOptions,
  type Position,
  type ReadOptions,
  type StoredEvent
} from "./EventStore.js"
import { StoreError, WrongExpectedRevision } from "./errors.js"
import {
  type AppendOutcome,
  ClientMissing,
  connect,
  type Gateway,
  type WireEvent,
  type WireRecord
} from "./eventstoredb/client.js"
import { decodeRecord, encodeAppend, isHidden } from "./eventstoredb/eventCodec.js"
import { DEADLINE_PASSED, sleepReal, withDeadline } from "./eventstoredb/deadline.js"
import { isUnavailable, type Operation, serverOf, storeError, timedOut } from "./eventstoredb/errors.js"
import { makeLeases } from "./eventstoredb/leases.js"
import { isNoPosition, packPosition, unpackPosition } from "./eventstoredb/position.js"
import { openRegistry, type Registry } from "./eventstoredb/Registry.js"
import {
  checkAppend,
  checkInstanceQuery,
  checkLease,
  checkLogOptions,
  checkReadOptions,
  checkWakeUpQuery,
  matchesFilter,
  READ_PAGE_SIZE
} from "./storeRules.js"

export { isUnavailable, StoreUnavailable } from "./eventstoredb/errors.js"

/** EventStoreDB's default `MaxAppendSize` (servers up to v24.10): data plus metadata of one append. */
export const DEFAULT_MAX_APPEND_SIZE = 1024 * 1024

/** How long one call to the server may take, connecting included, unless told otherwise. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000

export interface EventStoreDBOptions {
  /**
   * The client's connection string, e.g. `esdb://localhost:2113?tls=false`, or a cluster
   * `esdb+discover://admin:changeit@cluster.example:2113?nodePreference=leader`. Every option of
   * `@eventstore/db-client` applies (tls, tlsCAFile, keepAliveInterval, defaultDeadline, …).
   */
  readonly connectionString: string
  /**
   * Deadline of each call (an append, a page of a read, a lease step), connecting included. When it passes, the
   * operation fails with a `StoreError` whose cause is a `StoreUnavailable` (see `isUnavailable`) — a server that
   * is down or unreachable never hangs a workflow. Default {@link DEFAULT_OPERATION_TIMEOUT_MS}.
   */
  readonly operationTimeoutMs?: number
  /**
   * The server's per-append cap in bytes (its `MaxAppendSize`). Larger appends fail with a `StoreError` before
   * anything is sent. Default {@link DEFAULT_MAX_APPEND_SIZE}.
   */
  readonly maxAppendSize?: number
  /**
   * A SQLite file for the registry projection and its checkpoint (created if missing), so that a restarted process
   * continues the projection where it stopped instead of re-reading all of $all. Without it the registry lives in
   * memory and is rebuilt from the whole log at every start. Deleting the file is always safe.
   */
  readonly registryFile?: string
  /**
   * A prefix of every stream this store writes and sees, e.g. `"staging."` (streams `staging.order-42`; the
   * category is then `staging.order`). Stores with different namespaces share one server without seeing each
   * other's instances, registry or leases. Default `""`. Must not contain `-`.
   */
  readonly namespace?: string
}

/** Reconnect delays of a dropped subscription: doubling from this, capped at the next. */
const RECONNECT_MIN_MS = 50
const RECONNECT_MAX_MS = 5_000

/** One event of $all as the adapter follows it: its position, and the store event unless it is hidden. */
interface LogItem {
  readonly position: Position
  readonly event: StoredEvent | undefined
}

const resolveOptions = (input: EventStoreDBOptions | string) => {
  const options = typeof input === "string" ? { connectionString: input } : input
  const invalid = (reason: string) => Effect.fail(new StoreError({ operation: "open", reason }))
  const {
    connectionString,
    operationTimeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
    maxAppendSize = DEFAULT_MAX_APPEND_SIZE,
    registryFile,
    namespace = ""
  } = options
  if (typeof connectionString !== "string" || !/^esdb(\+discover)?:\/\//.test(connectionString)) {
    return invalid(
      `connectionString must start with esdb:// or esdb+discover://, got ${JSON.stringify(connectionString)}`
    )
  }
  if (!Number.isSafeInteger(operationTimeoutMs) || operationTimeoutMs <= 0) {
    return invalid(`operationTimeoutMs must be an integer > 0, got ${String(operationTimeoutMs)}`)
  }
  if (!Number.isSafeInteger(maxAppendSize) || maxAppendSize <= 0) {
    return invalid(`maxAppendSize must be an integer > 0, got ${String(maxAppendSize)}`)
  }
  if (registryFile !== undefined && (typeof registryFile !== "string" || registryFile === "")) {
    return invalid(`registryFile must be a file path, got ${JSON.stringify(registryFile)}`)
  }
  if (typeof namespace !== "string" || namespace.includes("-") || namespace.startsWith("$")) {
    return invalid(
      `namespace must be a string without "-" that does not start with "$", got ${JSON.stringify(namespace)}`
    )
  }
  return Effect.succeed({ connectionString, operationTimeoutMs, maxAppendSize, registryFile, namespace })
}

/**
 * An {@link EventStore} on EventStoreDB (through `@eventstore/db-client`): one stream per workflow instance,
 * named `<workflow>-<instanceId>` (EventStoreDB's category is the workflow); every append carries the exact
 * expected revision; the registry and wake-up index are a projection fed by a catch-up subscription to $all, with
 * a checkpoint (see {@link EventStoreDBOptions.registryFile}); leases are streams written with expected revisions.
 * The store is ready once the server answered; closing the scope stops the projection and the connection.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EventStore } from "durable-monad"
 * import { EventStoreDB } from "durable-monad/eventstoredb"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* EventStore
 *   return yield* store.instance("order-42")
 * }).pipe(Effect.provide(EventStoreDB.layer("esdb://localhost:2113?tls=false")))
 * ```
 */
export const make = (
  input: EventStoreDBOptions | string
): Effect.Effect<EventStore["Service"], StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const options = yield* resolveOptions(input)
    const server = serverOf(options.connectionString)
    const timeoutMs = options.operationTimeoutMs

    const gateway: Gateway = yield* Effect.acquireRelease(
      Effect.try({
        try: () => connect(options.connectionString),
        catch: (cause) =>
          new StoreError({
            operation: "open",
            reason:
              cause instanceof ClientMissing
                ? `durable-monad/eventstoredb needs the optional peer dependency @eventstore/db-client (npm install @eventstore/db-client@^6.2.1): ${cause.message}`
                : `invalid connection string: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
      }),
      (g) => Effect.promise(() => g.dispose())
    )

    const call = <A>(operation: Operation, stream: string | undefined, run: () => Promise<A>) =>
      Effect.tryPromise({
        try: () => withDeadline(run(), timeoutMs),
        catch: (error) =>
          error === DEADLINE_PASSED
            ? timedOut(server, operation, stream, timeoutMs)
            : storeError(server, operation, stream, error)
      })

    const ns = options.namespace
    const decode = (operation: Operation, record: WireRecord): Effect.Effect<StoredEvent, StoreError> => {
      const event = decodeRecord(record, ns)
      return typeof event === "string"
        ? Effect.fail(new StoreError({ operation, stream: record.stream.slice(ns.length), reason: event }))
        : Effect.succeed(event)
    }

    /** The position of the last event in $all (any stream), undefined for an empty log. */
    const head = (operation: Operation) =>
      Effect.map(
        call(operation, undefined, () => gateway.readAll({ from: "end", backwards: true, maxCount: 1 })),
        (records) => (records[0]?.position === undefined ? undefined : packPosition(records[0].position))
      )

    // Fail now, with a clear error, rather than at the first append.
    const headAtOpen = yield* Effect.mapError(
      head("open"),
      (error) => new StoreError({ operation: "open", reason: error.reason, cause: error.cause })
    )

    const registry: Registry = yield* Effect.acquireRelease(
      Effect.try({
        try: () => openRegistry(options.registryFile, `${server}/${ns}`),
        catch: (cause) =>
          new StoreError({ operation: "open", reason: `cannot open the registry file: ${String(cause)}`, cause })
      }),
      (r) => Effect.sync(() => r.close())
    )
    // A checkpoint beyond the end of the log: the server was wiped and re-created at the same address.
    const checkpoint = registry.checkpoint()
    if (checkpoint !== undefined && (headAtOpen === undefined || checkpoint > headAtOpen)) registry.reset()

    /**
     * $all after `from`, then live, reconnecting with backoff whenever the subscription drops or the server is
     * unreachable, and resuming after the last event it delivered: nothing is skipped or repeated across a drop.
     * `prefixes` (within the namespace) filter on the server; undefined follows every event of $all, which the
     * registry needs so that its checkpoint reaches the head of the log even when the head is not one of ours.
     */
    const follow = (
      from: Position | undefined,
      prefixes: ReadonlyArray<string> | undefined
    ): Stream.Stream<LogItem, StoreError> => {
      let last = from
      let failures = 0
      const once = Stream.unwrap(
        Effect.map(
          Effect.acquireRelease(
            Effect.sync(() =>
              gateway.subscribeAll({
                from: last === undefined ? "start" : unpackPosition(last),
                prefixes: prefixes?.map((prefix) => ns + prefix)
              })
            ),
            (subscription) => Effect.promise(() => subscription.stop())
          ),
          (subscription) =>
            Stream.fromAsyncIterable(
              (async function* () {
                for await (const records of subscription.events) {
                  const items: Array<LogItem> = []
                  for (const record of records) {
                    const position = packPosition(record.position!)
                    // Positions only grow: anything at or before the last one delivered is a re-delivery.
                    if (last !== undefined && position <= last) continue
                    const event = isHidden(record, ns) ? undefined : decodeRecord(record, ns)
                    items.push({ position, event: typeof event === "string" ? undefined : event })
                    last = position
                  }
                  failures = 0
                  if (items.length > 0) yield items
                }
              })(),
              (error) => storeError(server, "subscribe", undefined, error)
            ).pipe(Stream.flattenIterable)
        )
      )
      const reconnecting = (): Stream.Stream<LogItem, StoreError> =>
        Stream.concat(
          Stream.catchIf(once, isUnavailable, () => Stream.empty),
          Stream.unwrap(
            Effect.as(
              Effect.suspend(() => sleepReal(Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** failures++))),
              Stream.suspend(reconnecting)
            )
          )
        )
      return Stream.suspend(reconnecting)
    }

    // The registry projection: a background fiber for the life of the store. Queries wait on `projectionWaiters`.
    let projectionFailure: StoreError | undefined
    const projectionWaiters = new Set<() => void>()
    const notify = () => {
      for (const waiter of [...projectionWaiters]) waiter()
    }
    yield* Effect.forkScoped(
      Effect.catch(
        Stream.runForEach(follow(registry.checkpoint(), undefined), (item) =>
          Effect.sync(() => {
            registry.apply(item.position, item.event)
            notify()
          })
        ),
        (error) =>
          Effect.sync(() => {
            projectionFailure = new StoreError({
              operation: "registry",
              reason: `the registry projection stopped: ${error.message}`,
              cause: error
            })
            notify()
          })
      )
    )

    /** Waits until the registry includes every event that was in $all when called (read-your-writes). */
    const current = Effect.flatMap(head("registry"), (target) =>
      Effect.callback<void, StoreError>((resume) => {
        const settled = () => {
          if (projectionFailure !== undefined) resume(Effect.fail(projectionFailure))
          else if (target === undefined || (registry.checkpoint() ?? -1n) >= target) resume(Effect.void)
          else return false
          return true
        }
        if (settled()) return
        const timer = setTimeout(() => {
          done()
          resume(Effect.fail(timedOut(server, "registry", undefined, timeoutMs)))
        }, timeoutMs)
        const waiter = () => {
          if (settled()) done()
        }
        const done = () => {
          clearTimeout(timer)
          projectionWaiters.delete(waiter)
        }
        projectionWaiters.add(waiter)
        return Effect.sync(done)
      })
    )

    const readLast = (stream: string) =>
      Effect.map(
        call("lease", stream, () => gateway.readStream(ns + stream, { from: "end", backwards: true, maxCount: 1 })),
        (records) => records[0]
      )
    const appendWire = (
      operation: Operation,
      stream: string,
      expected: bigint,
      events: ReadonlyArray<WireEvent>
    ): Effect.Effect<AppendOutcome, StoreError> =>
      call(operation, stream, () => gateway.append(ns + stream, expected, events, timeoutMs))
    const leases = makeLeases({
      readLast,
      append: (stream, expected, events) => appendWire("lease", stream, expected, events)
    })

    /** The position of the event at `revision`, for a server that answered an append without one. */
    const positionAt = (stream: string, revision: bigint) =>
      Effect.flatMap(
        call("append", stream, () =>
          gateway.readStream(ns + stream, { from: revision, backwards: false, maxCount: 1 })
        ),
        (records) =>
          records[0] !== undefined && !isNoPosition(records[0].position)
            ? Effect.succeed(packPosition(records[0].position!))
            : Effect.fail(new StoreError({ operation: "append", stream, reason: "the server returned no position" }))
      )

    const readPages = (stream: string, options: ReadOptions | undefined) => {
      const backwards = options?.direction === "backwards"
      const max = options?.maxCount ?? Number.POSITIVE_INFINITY
      // Forwards from "end" is the last event (as on every backend); EventStoreDB itself would read nothing.
      const lastOnly = !backwards && options?.fromRevision === "end"
      const first: bigint | "start" | "end" = lastOnly
        ? "end"
        : options?.fromRevision === undefined
          ? backwards
            ? "end"
            : "start"
          : options.fromRevision === "end"
            ? "end"
            : BigInt(options.fromRevision)
      return Stream.paginate({ from: first, remaining: lastOnly ? Math.min(1, max) : max }, ({ from, remaining }) =>
        remaining <= 0
          ? Effect.succeed([[], Option.none()] as const)
          : Effect.gen(function* () {
              const want = Math.min(READ_PAGE_SIZE, remaining)
              const records = yield* call("read", stream, () =>
                gateway.readStream(ns + stream, { from, backwards: backwards || lastOnly, maxCount: want })
              )
              const events = yield* Effect.forEach(records, (r) => decode("read", r))
              const lastRevision = records.at(-1)?.revision
              const next = backwards ? (lastRevision ?? 0n) - 1n : (lastRevision ?? 0n) + 1n
              const more = records.length === want && lastRevision !== undefined && next >= 0n
              return [events, more ? Option.some({ from: next, remaining: remaining - want }) : Option.none()] as const
            })
      )
    }

    return EventStore.of({
      append: (stream, expected, events) =>
        Effect.suspend((): Effect.Effect<AppendResult, WrongExpectedRevision | StoreError> => {
          const invalid = checkAppend(stream, expected, events)
          if (invalid !== undefined) return Effect.fail(invalid)
          const encoded = encodeAppend(stream, events)
          if (typeof encoded === "string")
            return Effect.fail(new StoreError({ operation: "append", stream, reason: encoded }))
          const { wire, size } = encoded
          if (size > options.maxAppendSize) {
            return Effect.fail(
              new StoreError({
                operation: "append",
                stream,
                reason: `the append is ${size} bytes of data and metadata, over EventStoreDB's per-append cap of ${options.maxAppendSize} bytes (MaxAppendSize); nothing was sent`
              })
            )
          }
          return Effect.flatMap(
            appendWire("append", stream, BigInt(expected), wire),
            (outcome): Effect.Effect<AppendResult, WrongExpectedRevision | StoreError> => {
              if (outcome._tag === "Conflict") {
                return Effect.fail(new WrongExpectedRevision({ stream, expected, actual: Number(outcome.actual) }))
              }
              const nextExpectedRevision = Number(outcome.lastRevision)
              return Effect.map(
                isNoPosition(outcome.position)
                  ? positionAt(stream, outcome.lastRevision)
                  : Effect.succeed(packPosition(outcome.position!)),
                (position) => ({ nextExpectedRevision, position })
              )
            }
          )
        }),

      read: (stream, options) =>
        Stream.suspend(() => {
          const invalid = checkReadOptions(stream, options)
          return invalid === undefined ? readPages(stream, options) : Stream.fail(invalid)
        }),

      readAll: (options) =>
        Stream.suspend(() => {
          const invalid = checkLogOptions("read", options)
          if (invalid !== undefined) return Stream.fail(invalid)
          const filter = options?.filter
          return Stream.unwrap(
            Effect.map(head("read"), (end) =>
              Stream.paginate(
                { from: options?.fromPosition, remaining: options?.maxCount ?? Number.POSITIVE_INFINITY },
                ({ from, remaining }) =>
                  end === undefined || remaining <= 0 || (from !== undefined && from >= end)
                    ? Effect.succeed([[], Option.none()] as const)
                    : Effect.gen(function* () {
                        const records = yield* call("read", undefined, () =>
                          gateway.readAll({
                            from: from === undefined ? "start" : unpackPosition(from),
                            backwards: false,
                            maxCount: READ_PAGE_SIZE
                          })
                        )
                        const events: Array<StoredEvent> = []
                        let reached = from
                        for (const record of records) {
                          const position = packPosition(record.position!)
                          // The server's fromPosition is inclusive; ours is exclusive. Stop at the end as of the call.
                          if ((from !== undefined && position <= from) || position > end) continue
                          reached = position
                          if (isHidden(record, ns) || !matchesFilter(filter, record.stream.slice(ns.length))) continue
                          if (events.length < remaining) events.push(yield* decode("read", record))
                        }
                        const left = remaining - events.length
                        const more = records.length === READ_PAGE_SIZE && reached !== from && reached! < end && left > 0
                        return [events, more ? Option.some({ from: reached, remaining: left }) : Option.none()] as const
                      })
              )
            )
          )
        }),

      subscribe: (options?: LogOptions) =>
        Stream.suspend(() => {
          const invalid = checkLogOptions("subscribe", options)
          if (invalid !== undefined) return Stream.fail(invalid)
          const filter = options?.filter
          return follow(options?.fromPosition, filter?.streamPrefixes ?? (ns === "" ? undefined : [""])).pipe(
            Stream.map((item) => item.event),
            Stream.filter((event): event is StoredEvent => event !== undefined && matchesFilter(filter, event.stream))
          )
        }),

      instance: (stream) =>
        Effect.andThen(
          current,
          Effect.sync(() => Option.fromNullishOr(registry.get(stream)))
        ),

      instances: (query) =>
        Stream.suspend(() => {
          const invalid = checkInstanceQuery(query)
          if (invalid !== undefined) return Stream.fail(invalid)
          const limit = query?.limit ?? Number.POSITIVE_INFINITY
          return Stream.unwrap(
            Effect.as(
              current,
              Stream.paginate({ after: undefined as string | undefined, left: limit }, ({ after, left }) =>
                Effect.sync(() => {
                  const want = Math.min(READ_PAGE_SIZE, left)
                  const rows = want <= 0 ? [] : registry.instances(query ?? {}, after, want)
                  const more = rows.length === want && left - want > 0
                  return [
                    rows,
                    more ? Option.some({ after: rows.at(-1)!.stream, left: left - want }) : Option.none()
                  ] as const
                })
              )
            )
          )
        }),

      wakeUps: (query) =>
        Stream.suspend(() => {
          const invalid = checkWakeUpQuery(query)
          if (invalid !== undefined) return Stream.fail(invalid)
          const limit = query?.limit ?? Number.POSITIVE_INFINITY
          type Cursor = { readonly wakeAt: number; readonly stream: string } | undefined
          return Stream.unwrap(
            Effect.as(
              current,
              Stream.paginate({ after: undefined as Cursor, left: limit }, ({ after, left }) =>
                Effect.sync(() => {
                  const want = Math.min(READ_PAGE_SIZE, left)
                  const rows: Array<InstanceRecord> = want <= 0 ? [] : registry.wakeUps(query ?? {}, after, want)
                  const lastRow = rows.at(-1)
                  const more = rows.length === want && left - want > 0 && lastRow !== undefined
                  return [
                    rows,
                    more
                      ? Option.some({ after: { wakeAt: lastRow.wakeAt!, stream: lastRow.stream }, left: left - want })
                      : Option.none()
                  ] as const
                })
              )
            )
          )
        }),

      acquireLease: (key, owner, ttlMs) =>
        Effect.suspend(() => {
          const invalid = checkLease(key, owner, ttlMs)
          return invalid === undefined ? leases.acquire(key, owner, ttlMs) : Effect.fail(invalid)
        }),
      renewLease: (lease, ttlMs) =>
        Effect.suspend(() => {
          const invalid = checkLease(lease?.key, lease?.owner, ttlMs)
          return invalid === undefined ? leases.renew(lease, ttlMs) : Effect.fail(invalid)
        }),
      releaseLease: (lease) =>
        Effect.suspend(() => {
          const invalid = checkLease(lease?.key, lease?.owner, undefined)
          return invalid === undefined ? leases.release(lease) : Effect.fail(invalid)
        })
    })
  })

/**
 * The EventStoreDB store as a layer, from a connection string or {@link EventStoreDBOptions}. Building it fails with
 * a `StoreError` (operation `open`) when the options are invalid or the server does not answer within
 * `operationTimeoutMs`.
 *
 * @example
 * ```ts
 * import { EventStoreDB } from "durable-monad/eventstoredb"
 *
 * const StoreLive = EventStoreDB.layer({ connectionString: "esdb://localhost:2113?tls=false", registryFile: "registry.db" })
 * ```
 */
export const layer = (options: EventStoreDBOptions | string): Layer.Layer<EventStore, StoreError> =>
  Layer.effect(EventStore, make(options))
