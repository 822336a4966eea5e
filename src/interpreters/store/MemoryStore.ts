import { Clock, Effect, Layer, Option, Stream } from "effect"
import {
  type AppendResult,
  EventStore,
  type InstanceRecord,
  type Lease,
  type LogFilter,
  type LogOptions,
  type ReadOptions,
  type StoredEvent
} from "./EventStore.js"
import { StoreError, WrongExpectedRevision } from "./errors.js"
import { projectInstance } from "./projection.js"
import {
  checkAppend,
  checkInstanceQuery,
  checkLease,
  checkLogOptions,
  checkReadOptions,
  checkWakeUpQuery,
  decideAppend,
  matchesFilter,
  READ_PAGE_SIZE,
  revisionRange
} from "./storeRules.js"

/** Thrown inside `plainCopy` when a value is not plain JSON-like data: the caller falls back to `structuredClone`. */
const NOT_PLAIN = Symbol("not plain")

/**
 * A deep copy of plain data (primitives, arrays, objects with the plain prototype), as `structuredClone` makes it
 * but several times cheaper for the small JSON an event carries; throws `NOT_PLAIN` for anything else (a Date, a
 * Map, a function, a cycle) so that `structuredClone` decides, with its own copy or its own error.
 */
const plainCopy = (value: unknown, depth: number): unknown => {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") throw NOT_PLAIN
    return value
  }
  if (depth > 64) throw NOT_PLAIN
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN
    const copy = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw NOT_PLAIN
      copy[i] = plainCopy(value[i], depth + 1)
    }
    if (Object.keys(value).length !== value.length) throw NOT_PLAIN
    return copy
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) copy[key] = plainCopy((value as Record<string, unknown>)[key], depth + 1)
  return copy
}

/** A copy that later mutation of `value` cannot reach. */
const copyOf = <A>(value: A): A => {
  try {
    return plainCopy(value, 0) as A
  } catch (error) {
    if (error !== NOT_PLAIN) throw error
    return structuredClone(value)
  }
}

/** A registry row that has a wake-up. */
type WakeRow = InstanceRecord & { readonly wakeAt: number }

/**
 * An in-memory {@link EventStore}: for tests, examples and throwaway runs. Lost when the process ends. The registry
 * is updated in the same synchronous step as the append, so it is never behind the log.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EventStore, MemoryStore } from "durable-monad"
 *
 * Effect.runPromise(Effect.provide(EventStore, MemoryStore.layer))
 * ```
 */
export const make = (): EventStore["Service"] => {
  const streams = new Map<string, Array<StoredEvent>>()
  /** The whole log; the event at index i has position i + 1. */
  const log: Array<StoredEvent> = []
  const registry = new Map<string, InstanceRecord>()
  /**
   * The registry's rows that have a wake-up, in wake-up order (then by stream): the worker's alarm asks for the due
   * ones and the next one after every wake-up, and sorting the whole registry each time made that quadratic.
   */
  const wakeIndex: Array<WakeRow> = []
  /** The first index of `wakeIndex` whose row is not `before` the sought place (the rows before it all are). */
  const firstNotBefore = (before: (row: WakeRow) => boolean): number => {
    let lo = 0
    let hi = wakeIndex.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(wakeIndex[mid]!)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  /** Where the row of `stream` waking at `wakeAt` is, or would be inserted, in `wakeIndex`. */
  const wakeSlot = (wakeAt: number, stream: string): number =>
    firstNotBefore((r) => r.wakeAt < wakeAt || (r.wakeAt === wakeAt && r.stream < stream))
  /** How many rows of `wakeIndex` are due at or before `until`. */
  const dueCount = (until: number): number => firstNotBefore((r) => r.wakeAt <= until)
  /** Move a stream's row in `wakeIndex` from where `before` had it to where `after` has it. */
  const reindex = (before: InstanceRecord | undefined, after: InstanceRecord): void => {
    if (before?.wakeAt !== undefined) wakeIndex.splice(wakeSlot(before.wakeAt, before.stream), 1)
    if (after.wakeAt !== undefined) wakeIndex.splice(wakeSlot(after.wakeAt, after.stream), 0, after as WakeRow)
  }
  const leases = new Map<string, Lease>()
  /** Subscribers waiting for the log to grow. */
  let waiters: Array<() => void> = []

  const notify = () => {
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
  }

  /** Waits until the log has more than `length` events. */
  const awaitGrowth = (length: number): Effect.Effect<void> =>
    Effect.callback<void>((resume) => {
      if (log.length > length) return resume(Effect.void)
      const wake = () => resume(Effect.void)
      waiters.push(wake)
      return Effect.sync(() => {
        waiters = waiters.filter((w) => w !== wake)
      })
    })

  /** One page of the log from index `from`, filtered; and the index to continue from. */
  const logPage = (from: number, end: number, filter: LogFilter | undefined) => {
    const to = Math.min(end, log.length, from + READ_PAGE_SIZE)
    const page: Array<StoredEvent> = []
    for (let i = from; i < to; i++) if (matchesFilter(filter, log[i]!.stream)) page.push(log[i]!)
    return { page, next: to }
  }

  // Exclusive: the event at index i has position i + 1. Not clamped to the log's end, so a position from the
  // future skips what is appended until then, as on every other backend.
  const startIndex = (options: LogOptions | undefined): number =>
    options?.fromPosition === undefined ? 0 : Number(options.fromPosition)

  const read = (stream: string, options?: ReadOptions) =>
    Stream.suspend(() => {
      const invalid = checkReadOptions(stream, options)
      if (invalid !== undefined) return Stream.fail(invalid)
      const events = streams.get(stream) ?? []
      const range = revisionRange(options, events.length - 1)
      // Nothing new is the common answer (a catch-up read of an instance this process writes): no pages to build.
      if (range.count === 0) return Stream.empty
      // Snapshot the revision range at the call: a read does not chase appends made while it is consumed.
      return Stream.paginate(0, (done: number) =>
        Effect.sync(() => {
          const count = Math.min(READ_PAGE_SIZE, range.count - done)
          const page: Array<StoredEvent> = []
          for (let i = 0; i < count; i++) page.push(events[range.first + range.step * (done + i)]!)
          const next = done + count
          return [page, next < range.count ? Option.some(next) : Option.none()] as const
        })
      )
    })

  const leaseTime = Clock.currentTimeMillis

  return EventStore.of({
    append: (stream, expected, events) =>
      Effect.suspend((): Effect.Effect<AppendResult, WrongExpectedRevision | StoreError> => {
        const invalid = checkAppend(stream, expected, events)
        if (invalid !== undefined) return Effect.fail(invalid)
        const existing = streams.get(stream) ?? []
        const actual = existing.length - 1
        switch (decideAppend(expected, actual, events, (r) => existing[r])) {
          case "conflict":
            return Effect.fail(new WrongExpectedRevision({ stream, expected, actual }))
          case "duplicate":
            return Effect.succeed({
              nextExpectedRevision: expected + events.length,
              position: existing[expected + events.length]!.position
            })
          case "write": {
            const created = Date.now()
            let cloned: Array<StoredEvent>
            try {
              // Copied: later mutation of the caller's objects must not rewrite history.
              cloned = events.map((e, i) => ({
                id: e.id,
                type: e.type,
                data: copyOf(e.data),
                metadata: copyOf(e.metadata),
                stream,
                revision: actual + 1 + i,
                position: BigInt(log.length + 1 + i),
                created
              }))
            } catch (error) {
              return Effect.fail(
                new StoreError({ operation: "append", stream, reason: `the events cannot be stored: ${String(error)}` })
              )
            }
            if (!streams.has(stream)) streams.set(stream, existing)
            const previous = registry.get(stream)
            let row = previous
            for (const event of cloned) {
              existing.push(event)
              log.push(event)
              row = projectInstance(row, event)
            }
            if (row !== undefined) {
              registry.set(stream, row)
              reindex(previous, row)
            }
            notify()
            return Effect.succeed({ nextExpectedRevision: actual + events.length, position: cloned.at(-1)!.position })
          }
        }
      }),
    read,
    readAll: (options) =>
      Stream.suspend(() => {
        const invalid = checkLogOptions("read", options)
        if (invalid !== undefined) return Stream.fail(invalid)
        const end = log.length
        const limit = options?.maxCount
        const stream = Stream.paginate(startIndex(options), (from: number) =>
          Effect.sync(() => {
            const { page, next } = logPage(from, end, options?.filter)
            return [page, next < end ? Option.some(next) : Option.none()] as const
          })
        )
        return limit === undefined ? stream : Stream.take(stream, limit)
      }),
    subscribe: (options) =>
      Stream.suspend(() => {
        const invalid = checkLogOptions("subscribe", options)
        if (invalid !== undefined) return Stream.fail(invalid)
        return Stream.paginate(startIndex(options), (from: number) =>
          Effect.map(awaitGrowth(from), () => {
            const { page, next } = logPage(from, Number.POSITIVE_INFINITY, options?.filter)
            return [page, Option.some(next)] as const
          })
        )
      }),
    instance: (stream) => Effect.sync(() => Option.fromUndefinedOr(registry.get(stream))),
    instances: (query) =>
      Stream.suspend(() => {
        const invalid = checkInstanceQuery(query)
        if (invalid !== undefined) return Stream.fail(invalid)
        const rows = [...registry.values()]
          .filter(
            (r) =>
              (query?.workflow === undefined || r.workflow === query.workflow) &&
              (query?.status === undefined || query.status.includes(r.status)) &&
              (query?.afterStream === undefined || r.stream > query.afterStream)
          )
          .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))
        return Stream.fromIterable(query?.limit === undefined ? rows : rows.slice(0, query.limit))
      }),
    wakeUps: (query) =>
      Stream.suspend(() => {
        const invalid = checkWakeUpQuery(query)
        if (invalid !== undefined) return Stream.fail(invalid)
        const end = query?.until === undefined ? wakeIndex.length : dueCount(query.until)
        const workflows = query?.workflows
        const due = wakeIndex.slice(0, end)
        const rows = workflows === undefined ? due : due.filter((r) => workflows.includes(r.workflow))
        return Stream.fromIterable(query?.limit === undefined ? rows : rows.slice(0, query.limit))
      }),
    acquireLease: (key, owner, ttlMs) =>
      Effect.flatMap(leaseTime, (now) => {
        const invalid = checkLease(key, owner, ttlMs)
        if (invalid !== undefined) return Effect.fail(invalid)
        const held = leases.get(key)
        if (held !== undefined && held.owner !== owner && held.expiresAt > now) return Effect.succeedNone
        const lease: Lease = { key, owner, expiresAt: now + ttlMs, version: (held?.version ?? 0) + 1 }
        leases.set(key, lease)
        return Effect.succeedSome(lease)
      }),
    renewLease: (lease, ttlMs) =>
      Effect.flatMap(leaseTime, (now) => {
        const invalid = checkLease(lease?.key, lease?.owner, ttlMs)
        if (invalid !== undefined) return Effect.fail(invalid)
        const held = leases.get(lease.key)
        // An expired lease that nobody took since is still ours: only another acquisition changes the version.
        if (held === undefined || held.owner !== lease.owner || held.version !== lease.version) {
          return Effect.succeedNone
        }
        const renewed: Lease = { ...held, expiresAt: now + ttlMs, version: held.version + 1 }
        leases.set(lease.key, renewed)
        return Effect.succeedSome(renewed)
      }),
    releaseLease: (lease) =>
      Effect.suspend(() => {
        const invalid = checkLease(lease?.key, lease?.owner, undefined)
        if (invalid !== undefined) return Effect.fail(invalid)
        const held = leases.get(lease.key)
        if (held !== undefined && held.owner === lease.owner && held.version === lease.version) {
          // Kept with its version, ownerless and expired: the next owner's version must still be higher (fencing).
          leases.set(lease.key, {
            key: lease.key,
            owner: "",
            expiresAt: Number.NEGATIVE_INFINITY,
            version: held.version
          })
        }
        return Effect.void
      })
  })
}

/** A fresh, empty in-memory store per use of the layer. */
export const layer: Layer.Layer<EventStore> = Layer.sync(EventStore, make)
