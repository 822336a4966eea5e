import { Effect, Layer, type Scope } from "effect"
import { EventStore } from "./EventStore.js"
import { StoreError } from "./errors.js"
import { acquireJournal, DEFAULT_POLL_INTERVAL_MS, serviceOf, type Synchronous } from "./sqlite/SqliteJournal.js"

export type { Synchronous } from "./sqlite/SqliteJournal.js"

/** How long a store waits for a lock held by another connection before failing, unless told otherwise. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

export interface SqliteStoreOptions {
  /**
   * Path of the database file; one file holds every workflow instance. Created if missing, with any missing parent
   * directories. Several processes may share one file: SQLite's locks serialise their writes and each append
   * re-checks its expected revision inside its transaction.
   */
  readonly file: string
  /**
   * When a committed append is on disk (SQLite's `PRAGMA synchronous`; the file always uses write-ahead logging):
   * - `"FULL"` (default): the WAL is fsynced at every commit. An append that succeeded survives a crash of the
   *   process, of the OS, and power loss (on a disk that honours fsync).
   * - `"NORMAL"`: the WAL is fsynced only at checkpoints. Commits are much cheaper, and the file never gets
   *   corrupted, but the last appends that succeeded before an OS crash or power loss may be lost (a process crash
   *   loses nothing). After such a loss a workflow re-runs steps whose events vanished — acceptable only if those
   *   steps are idempotent.
   *
   * Group commit already shares one fsync among all appends that arrive together, so FULL is rarely the bottleneck.
   */
  readonly synchronous?: Synchronous
  /**
   * How long an append, a read or opening waits while another connection (usually another process) holds a lock
   * it needs, before failing with a `StoreError` that says the file is locked. Waiting does not block the event
   * loop. Default {@link DEFAULT_BUSY_TIMEOUT_MS}.
   */
  readonly busyTimeoutMs?: number
  /**
   * How often, in ms, a subscription that has caught up looks for events appended by other processes on the same
   * file. Appends through this store wake its subscriptions at once. Default {@link DEFAULT_POLL_INTERVAL_MS}.
   */
  readonly pollIntervalMs?: number
}

export { DEFAULT_POLL_INTERVAL_MS }

const SYNCHRONOUS: ReadonlyArray<Synchronous> = ["FULL", "NORMAL"]

const resolveOptions = (options: SqliteStoreOptions) => {
  const invalid = (reason: string) => Effect.fail(new StoreError({ operation: "open", reason }))
  const {
    file,
    synchronous = "FULL",
    busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
    pollIntervalMs = DEFAULT_POLL_INTERVAL_MS
  } = options
  // better-sqlite3 would trim the name, and treat ":memory:" and "file:" URIs specially: refuse rather than open
  // something other than the file the caller named.
  if (
    typeof file !== "string" ||
    file === "" ||
    file !== file.trim() ||
    file === ":memory:" ||
    file.startsWith("file:")
  ) {
    return invalid(`file must be the path of a database file, got ${JSON.stringify(file)}`)
  }
  if (!SYNCHRONOUS.includes(synchronous)) {
    return invalid(`synchronous must be one of ${SYNCHRONOUS.join(", ")}, got ${JSON.stringify(synchronous)}`)
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    return invalid(`busyTimeoutMs must be an integer >= 0, got ${String(busyTimeoutMs)}`)
  }
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs <= 0) {
    return invalid(`pollIntervalMs must be an integer > 0, got ${String(pollIntervalMs)}`)
  }
  return Effect.succeed({ file, synchronous, busyTimeoutMs, pollIntervalMs })
}

/**
 * Opens an {@link EventStore} on a SQLite file for the life of the surrounding scope. Closing the scope commits
 * the appends still queued, then closes the database.
 *
 * Fails with a `StoreError` (operation `"open"`, naming the file) when the file is not a SQLite database, is a
 * SQLite database of another application, was written by a newer durable-monad, is a directory, or stays locked
 * longer than `busyTimeoutMs`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EVENT_ID_NAMESPACE, NoStream, nameUuid } from "durable-monad"
 * import { SqliteStore } from "durable-monad/sqlite"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const store = yield* SqliteStore.make({ file: "workflows.db", busyTimeoutMs: 10_000 })
 *     const id = nameUuid(EVENT_ID_NAMESPACE, "order-1/0")
 *     yield* store.append("order-1", NoStream, [{ id, type: "Placed", data: {}, metadata: { status: "Running" } }])
 *   })
 * )
 * ```
 */
export const make = (options: SqliteStoreOptions): Effect.Effect<EventStore["Service"], StoreError, Scope.Scope> =>
  Effect.map(Effect.flatMap(resolveOptions(options), acquireJournal), serviceOf)

/**
 * The SQLite {@link EventStore} as a layer: the default durable store (one file, zero setup).
 *
 * The instance registry and wake-up index are tables updated in each append's transaction, so they are never
 * behind the log; subscriptions follow this process's appends at once and other processes' every
 * `pollIntervalMs`; leases are single atomic statements, safe between processes (see docs/stores.md).
 *
 * Appends that arrive together — many workflow instances stepping at once — are written in one transaction
 * ("group commit"), so throughput is not one fsync per append; each append still succeeds or fails on its own.
 * Reads are streamed in pages, so replaying a long stream keeps memory flat.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EVENT_ID_NAMESPACE, EventStore, NoStream, nameUuid } from "durable-monad"
 * import { SqliteStore } from "durable-monad/sqlite"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* EventStore
 *   const id = nameUuid(EVENT_ID_NAMESPACE, "order-1/0")
 *   yield* store.append("order-1", NoStream, [{ id, type: "Placed", data: { total: 3 }, metadata: {} }])
 * }).pipe(Effect.provide(SqliteStore.layer({ file: "data/workflows.db" })))
 * ```
 */
export const layer = (options: SqliteStoreOptions): Layer.Layer<EventStore, StoreError> =>
  Layer.effect(EventStore, make(options))
