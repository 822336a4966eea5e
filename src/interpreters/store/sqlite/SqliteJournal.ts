/**
 * The engine behind the SQLite store: one connection, group-committed appends and lease operations, paged reads.
 *
 * better-sqlite3 is synchronous, so nothing here ever interleaves with itself: a batch runs from `BEGIN` to
 * `COMMIT` without yielding, and reads never observe a half-applied batch.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Clock, Effect, Option, type Scope, Stream } from "effect"
import {
  type AppendResult,
  type EventData,
  EventStore,
  type ExpectedRevision,
  type InstanceQuery,
  type InstanceRecord,
  type Json,
  type Lease,
  type LogFilter,
  type LogOptions,
  type Position,
  type ReadOptions,
  type StoredEvent,
  type WakeUpQuery
} from "../EventStore.js"
import { corruption, StoreError, WrongExpectedRevision } from "../errors.js"
import { type ProjectedMetadata, parseStream, projectInstance } from "../projection.js"
import {
  checkAppend,
  checkInstanceQuery,
  checkLease,
  checkLogOptions,
  checkReadOptions,
  checkWakeUpQuery,
  decideAppend,
  READ_PAGE_SIZE,
  revisionRange
} from "../storeRules.js"
import { eventChecksum } from "./checksum.js"
import { type RegistryRow, recordOf } from "./registryRow.js"
import { type Database, type DatabaseConstructor, isBusy, loadDriver, type Statement } from "./driver.js"
import { lockedError, storeError } from "./faults.js"
import { inspect, migrate, REGISTRY_COLUMNS, registryValues } from "./migrations.js"

/**
 * See `SqliteStoreOptions.synchronous`. Not offered: `OFF` (can corrupt the file on power loss) and `EXTRA` (its
 * documented extra sync is for rollback-journal mode; with the WAL it buys nothing over FULL).
 */
export type Synchronous = "FULL" | "NORMAL"

export interface JournalOptions {
  readonly file: string
  readonly synchronous: Synchronous
  readonly busyTimeoutMs: number
  /**
   * How often a caught-up subscription looks for other processes' appends (in-process ones wake it at once).
   * Default {@link DEFAULT_POLL_INTERVAL_MS}.
   */
  readonly pollIntervalMs?: number
  /** See `SqliteStoreOptions.readonly`. */
  readonly readonly?: boolean
}

export const DEFAULT_POLL_INTERVAL_MS = 100

/** Counters for tests and diagnostics: they count what reached SQLite, not what was asked. */
export interface JournalStats {
  /** Write transactions committed (one per group commit). */
  transactions: number
  /** Appends that reached a transaction (committed, duplicate or conflicting). */
  appends: number
  /** Lease operations (acquire, renew, release) that reached a transaction. */
  leases: number
  /** Times a batch found the database locked by another connection and backed off. */
  busyWaits: number
  /** Page queries issued by reads of streams, of the log, and of the registry. */
  pageQueries: number
}

type AppendOutcome = Effect.Effect<AppendResult, WrongExpectedRevision | StoreError>

interface EncodedEvent {
  readonly id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  /**
   * What the registry reads of the metadata (see projection.ts), copied when the append was called: the
   * projection then needs no JSON parsing, and sees exactly what was encoded even if the caller's objects change.
   */
  readonly projected: ProjectedMetadata
}

/**
 * A write queued for the next group commit: an append, or a lease operation (which then shares the batch's
 * transaction and its one fsync instead of paying for its own).
 */
interface WriteRequest {
  readonly operation: "append" | "lease"
  /** The stream appended to, or the lease's key: named in the errors. */
  readonly stream: string
  /** Events it writes, for the batch's size cap. */
  readonly size: number
  /** Runs inside the batch's transaction (a throw rolls the transaction back); returns the outcome. */
  readonly run: (created: number) => Effect.Effect<unknown, unknown>
  /** Delivers an outcome (`run`'s once the transaction is committed, or a failure without running it). */
  readonly resume: (outcome: Effect.Effect<any, any>) => void
  /** When it was queued: busyTimeoutMs counts from here. */
  readonly since: number
  cancelled: boolean
}

interface EventRow {
  readonly position: number
  readonly stream: string
  readonly revision: number
  readonly id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  readonly created: number
  readonly checksum: string
}

interface LeaseRow {
  readonly owner: string
  readonly expires_at: number
  readonly version: number
}

const EVENT_COLUMNS = "position, stream, revision, event_id AS id, type, data, metadata, created, checksum"

/**
 * The lowest revision a read from revision 0 asks for: a row below 0 (which no append writes) is then read and
 * reported as damage, instead of lying hidden before the range.
 */
const BELOW_ZERO = Number.MIN_SAFE_INTEGER

/** Exported so tests can check with EXPLAIN QUERY PLAN that reads are index range scans. */
export const SQL = {
  readPage: `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
  readBackwardsPage: `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ?
                      ORDER BY revision DESC LIMIT ?`,
  // The (stream, revision) unique index answers "current revision" with one seek and no write.
  lastRevision: "SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1",
  eventIdAt: "SELECT event_id, position FROM events WHERE stream = ? AND revision = ?",
  insertEvent: `INSERT INTO events (stream, revision, event_id, type, data, metadata, created, checksum)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  // `position` is the rowid: max() is one step to the end of the table's b-tree.
  logEnd: "SELECT max(position) AS end FROM events",
  logPage: `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
  registryRow: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE stream = ?`,
  insertRegistry: `INSERT OR REPLACE INTO instances (${REGISTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // Updates name only what changed: SQLite rewrites an index entry whenever its column is assigned, so a step
  // that leaves status and wake-up as they were touches the row alone (one page, not three, in the WAL).
  updateRegistry: "UPDATE instances SET revision = ?, position = ?, updated = ? WHERE stream = ?",
  updateRegistryStatus: "UPDATE instances SET revision = ?, position = ?, updated = ?, status = ? WHERE stream = ?",
  updateRegistryWake: "UPDATE instances SET revision = ?, position = ?, updated = ?, wake_at = ? WHERE stream = ?",
  updateRegistryStatusWake: `UPDATE instances SET revision = ?, position = ?, updated = ?, status = ?, wake_at = ?
                             WHERE stream = ?`,
  // Keyset pages of the registry in stream order; a workflow's streams are those in ("<workflow>-", "<workflow>.")
  // ("." follows "-"), so the workflow filter is a range of the primary key or of instances_by_status.
  instancesPage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE stream > ? ORDER BY stream LIMIT ?`,
  instancesRangePage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE stream > ? AND stream < ?
                       ORDER BY stream LIMIT ?`,
  instancesByStatusPage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE status = ? AND stream > ?
                          ORDER BY stream LIMIT ?`,
  instancesByStatusRangePage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE status = ? AND stream > ?
                               AND stream < ? ORDER BY stream LIMIT ?`,
  // `wake_at IS NOT NULL` lets SQLite use the partial index; keyset on (wake_at, stream).
  wakeUpsFirstPage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE wake_at IS NOT NULL AND wake_at <= ?
                     ORDER BY wake_at, stream LIMIT ?`,
  wakeUpsNextPage: `SELECT ${REGISTRY_COLUMNS} FROM instances WHERE wake_at IS NOT NULL AND wake_at <= ?
                    AND (wake_at, stream) > (?, ?) ORDER BY wake_at, stream LIMIT ?`,
  // Lease operations run in the group commit's transaction, which holds the write lock: atomic across processes.
  acquireLease: `INSERT INTO leases (key, owner, expires_at, version) VALUES (?, ?, ?, 1)
                 ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
                 version = leases.version + 1
                 WHERE leases.owner = excluded.owner OR leases.owner = '' OR leases.expires_at <= ?
                 RETURNING owner, expires_at, version`,
  renewLease: `UPDATE leases SET expires_at = ?, version = version + 1 WHERE key = ? AND owner = ? AND version = ?
               RETURNING owner, expires_at, version`,
  // A released lease keeps its row and version (ownerless), so the next owner's version is still higher.
  releaseLease: "UPDATE leases SET owner = '' WHERE key = ? AND owner = ? AND version = ?"
} as const

/** A residual test of the stream name per prefix: GLOB with the prefix's wildcards escaped is an exact prefix test. */
const globPrefix = (prefix: string): string => `${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`

/** Exported for the query-plan test. */
export const logPageWithPrefixes = (count: number): string =>
  `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ?
   AND (${Array.from({ length: count }, () => "stream GLOB ?").join(" OR ")}) ORDER BY position LIMIT ?`

const leaseOf = (key: string, row: LeaseRow): Lease => ({
  key,
  owner: row.owner,
  expiresAt: row.expires_at,
  version: row.version
})

// A lone UTF-16 surrogate cannot be encoded as UTF-8: SQLite would store U+FFFD and the name would come back
// different. (JSON.stringify escapes lone surrogates, so data and metadata are safe.)
const loneSurrogate = /\p{Cs}/u

const MAX_BACKOFF_MS = 50

/**
 * Events per group-commit transaction (a single larger append still goes in one). At a few µs per row this keeps
 * one flush to tens of milliseconds, while one fsync is already shared by thousands of events.
 */
export const MAX_BATCH_EVENTS = 8192

/** Soft cap on the JSON text in one read page (on top of READ_PAGE_SIZE events). */
export const PAGE_BYTES = 4 * 1024 * 1024

export class SqliteJournal {
  readonly stats: JournalStats = { transactions: 0, appends: 0, leases: 0, busyWaits: 0, pageQueries: 0 }

  private readonly statements: {
    readonly begin: Statement
    readonly commit: Statement
    readonly rollback: Statement
    readonly lastRevision: Statement<{ revision: number }>
    readonly eventIdAt: Statement<{ event_id: string; position: number }>
    readonly insertEvent: Statement
    readonly readPage: Statement<EventRow>
    readonly readBackwardsPage: Statement<EventRow>
    readonly logEnd: Statement<{ end: number | null }>
    readonly logPage: Statement<EventRow>
    readonly registryRow: Statement<RegistryRow>
    readonly insertRegistry: Statement
    readonly updateRegistry: Statement
    readonly updateRegistryStatus: Statement
    readonly updateRegistryWake: Statement
    readonly updateRegistryStatusWake: Statement
    readonly instancesPage: Statement<RegistryRow>
    readonly instancesRangePage: Statement<RegistryRow>
    readonly instancesByStatusPage: Statement<RegistryRow>
    readonly instancesByStatusRangePage: Statement<RegistryRow>
    readonly wakeUpsFirstPage: Statement<RegistryRow>
    readonly wakeUpsNextPage: Statement<RegistryRow>
    readonly acquireLease: Statement<LeaseRow>
    readonly renewLease: Statement<LeaseRow>
    readonly releaseLease: Statement
  }
  /** Log pages filtered by n stream prefixes, prepared on first use. */
  private readonly logPagesWithPrefixes = new Map<number, Statement<EventRow>>()
  /** Wakes caught-up subscriptions; called after every commit that wrote events, and on close. */
  private readonly logListeners = new Set<() => void>()
  /** Counts commits that wrote events: a subscription that saw it change while it looked knows to look again. */
  private commits = 0

  private pending: Array<WriteRequest> = []
  /** Whether the transaction being committed wrote events. */
  private wrote = false
  private flushScheduled = false
  private flushing = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined = undefined
  private backoffMs = 1
  private closing = false
  private closed = false
  private closedPromise: Promise<void> | undefined = undefined
  private idleWaiters: Array<() => void> = []

  constructor(
    /** The connection; exposed for tests (e.g. `PRAGMA max_page_count` to simulate a full disk). */
    readonly db: Database,
    readonly options: JournalOptions
  ) {
    this.statements = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      lastRevision: db.prepare(SQL.lastRevision),
      eventIdAt: db.prepare(SQL.eventIdAt),
      insertEvent: db.prepare(SQL.insertEvent),
      readPage: db.prepare(SQL.readPage),
      readBackwardsPage: db.prepare(SQL.readBackwardsPage),
      logEnd: db.prepare(SQL.logEnd),
      logPage: db.prepare(SQL.logPage),
      registryRow: db.prepare(SQL.registryRow),
      insertRegistry: db.prepare(SQL.insertRegistry),
      updateRegistry: db.prepare(SQL.updateRegistry),
      updateRegistryStatus: db.prepare(SQL.updateRegistryStatus),
      updateRegistryWake: db.prepare(SQL.updateRegistryWake),
      updateRegistryStatusWake: db.prepare(SQL.updateRegistryStatusWake),
      instancesPage: db.prepare(SQL.instancesPage),
      instancesRangePage: db.prepare(SQL.instancesRangePage),
      instancesByStatusPage: db.prepare(SQL.instancesByStatusPage),
      instancesByStatusRangePage: db.prepare(SQL.instancesByStatusRangePage),
      wakeUpsFirstPage: db.prepare(SQL.wakeUpsFirstPage),
      wakeUpsNextPage: db.prepare(SQL.wakeUpsNextPage),
      acquireLease: db.prepare(SQL.acquireLease),
      renewLease: db.prepare(SQL.renewLease),
      releaseLease: db.prepare(SQL.releaseLease)
    }
  }

  get file(): string {
    return this.options.file
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Appends: validated and encoded in the caller's fiber, then queued for the next group commit.

  append(stream: string, expected: ExpectedRevision, events: ReadonlyArray<EventData>): AppendOutcome {
    return Effect.suspend(() => {
      if (this.closing) return Effect.fail(this.closedError("append", stream))
      const encoded = encodeAppend(stream, expected, events)
      if (encoded instanceof StoreError) return Effect.fail(encoded)
      return this.enqueue("append", stream, encoded.length, (created) =>
        this.applyAppend(stream, expected, encoded, created)
      )
    })
  }

  /**
   * Queues `run` for the next group commit and resumes with what it returned once that transaction is committed.
   * While the store is closing, appends are refused (by `append`) but lease operations still go in: a worker
   * shutting down gives its leases back, and the queue is drained before the connection closes.
   */
  private enqueue<A, E>(
    operation: WriteRequest["operation"],
    stream: string,
    size: number,
    run: (created: number) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | StoreError> {
    if (this.options.readonly === true) {
      return Effect.fail(new StoreError({ operation, stream, reason: `the store for ${this.file} is open read-only` }))
    }
    return Effect.callback<A, E | StoreError>((resume) => {
      if (this.closed || (operation === "append" && this.closing)) {
        return resume(Effect.fail(this.closedError(operation, stream)))
      }
      // No closure per request beyond `run`: one append per step of every running instance comes through here.
      const request: WriteRequest = { operation, stream, size, run, resume, since: Date.now(), cancelled: false }
      this.pending.push(request)
      this.scheduleFlush()
      // Interrupted before its batch ran: drop it, so an interrupted write is never made behind the caller's back.
      // (Once the batch ran, the outcome was already delivered and this finalizer is not called.)
      return Effect.sync(() => {
        request.cancelled = true
      })
    })
  }

  private scheduleFlush(): void {
    // While backing off from a lock, the retry timer flushes everything queued meanwhile in one batch.
    if (this.flushScheduled || this.retryTimer !== undefined) return
    this.flushScheduled = true
    // setImmediate, not a microtask: every fiber that is ready in this turn of the event loop gets to enqueue its
    // append first, so concurrent appends share one transaction; a lone writer waits for one turn, not for a timer.
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.flushScheduled = false
    if (this.flushing || this.closed) return
    this.flushing = true
    try {
      this.pending = this.pending.filter((request) => !request.cancelled)
      if (this.pending.length === 0) return
      const batch = this.takeBatch()
      const locked = this.commitBatch(batch)
      if (locked.length === 0) {
        this.backoffMs = 1
        return
      }
      // Requests queued while resumed fibers ran go after the locked ones, keeping arrival order.
      this.pending = [...locked, ...this.pending]
      this.stats.busyWaits++
      const now = Date.now()
      const expired: Array<WriteRequest> = []
      const waiting: Array<WriteRequest> = []
      for (const request of this.pending) {
        if (!request.cancelled) (now - request.since >= this.options.busyTimeoutMs ? expired : waiting).push(request)
      }
      this.pending = waiting
      if (waiting.length > 0) {
        // Waiting asynchronously keeps the event loop (timers, reads, other fibers) running; SQLite's own busy
        // handler would block the whole process for up to busyTimeoutMs.
        let oldest = now
        for (const request of waiting) oldest = Math.min(oldest, request.since)
        const delay = Math.max(0, Math.min(this.backoffMs, oldest + this.options.busyTimeoutMs - now))
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS)
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined
          this.flush()
        }, delay)
      } else {
        this.backoffMs = 1
      }
      for (const request of expired) {
        request.resume(Effect.fail(lockedError(request.operation, this.file, now - request.since, request.stream)))
      }
    } finally {
      this.flushing = false
      if (this.pending.length > 0 && this.retryTimer === undefined) this.scheduleFlush()
      this.notifyIfIdle()
    }
  }

  /**
   * The next transaction's worth of requests, in arrival order. Capped so that one flush does not block the event
   * loop for long or balloon the WAL; the rest go in the next flush, a turn later. One append is never split.
   */
  private takeBatch(): Array<WriteRequest> {
    let events = 0
    let count = 0
    while (count < this.pending.length && (count === 0 || events + this.pending[count]!.size <= MAX_BATCH_EVENTS)) {
      events += this.pending[count]!.size
      count++
    }
    return this.pending.splice(0, count)
  }

  /**
   * Runs `batch` in one transaction and delivers every outcome. Conflicts and duplicates are decided before an
   * append writes anything, so they fail alone without a savepoint. If a write fails (disk full, I/O error, …) the
   * whole transaction is rolled back and each request is retried in a transaction of its own, so only the writes
   * that really cannot be made fail, and none is half-made.
   * @returns the requests not attempted because another connection holds the write lock.
   */
  private commitBatch(batch: ReadonlyArray<WriteRequest>): ReadonlyArray<WriteRequest> {
    const { statements } = this
    try {
      statements.begin.run()
    } catch (error) {
      if (isBusy(error)) return batch
      for (const request of batch) {
        request.resume(Effect.fail(storeError(request.operation, this.file, error, request.stream)))
      }
      return []
    }
    const outcomes: Array<Effect.Effect<unknown, unknown>> = []
    this.wrote = false
    try {
      const created = Date.now()
      for (const request of batch) outcomes.push(request.run(created))
      statements.commit.run()
    } catch (error) {
      if (this.db.inTransaction) {
        try {
          statements.rollback.run()
        } catch {
          // SQLite may already have rolled back on its own (e.g. some I/O errors); nothing more to undo.
        }
      }
      if (batch.length === 1) {
        const request = batch[0]!
        if (isBusy(error)) return batch
        request.resume(Effect.fail(storeError(request.operation, this.file, error, request.stream)))
        return []
      }
      return batch.flatMap((request) => this.commitBatch([request]))
    }
    this.stats.transactions++
    for (const request of batch) {
      if (request.operation === "append") this.stats.appends++
      else this.stats.leases++
    }
    if (this.wrote) {
      this.wrote = false
      this.commits++
      this.wakeSubscriptions()
    }
    // Only now is anything durable; resuming may run the callers' fibers synchronously, which is fine: the
    // transaction is over.
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
    return []
  }

  private applyAppend(
    stream: string,
    expected: ExpectedRevision,
    events: ReadonlyArray<EncodedEvent>,
    created: number
  ): AppendOutcome {
    const { statements } = this
    // An instance stream's registry row is written with its every append (and built by the migration for older
    // files), so its revision is the stream's: one seek answers both. Other streams ask the events index.
    const previous = statements.registryRow.get(stream)
    const actual = previous?.revision ?? statements.lastRevision.get(stream)?.revision ?? -1
    const decision = decideAppend(expected, actual, events, (revision) => {
      const row = statements.eventIdAt.get(stream, revision)
      return row === undefined ? undefined : { id: row.event_id }
    })
    switch (decision) {
      case "conflict":
        return Effect.fail(new WrongExpectedRevision({ stream, expected, actual }))
      case "duplicate": {
        const last = expected + events.length
        const position = BigInt(statements.eventIdAt.get(stream, last)!.position)
        return Effect.succeed({ nextExpectedRevision: last, position })
      }
      case "write": {
        // The registry row moves in the same transaction as the events: one fsync, never stale.
        const before = previous === undefined ? undefined : recordOf(previous)
        let row = before
        let position = 0n
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!
          const revision = actual + 1 + i
          const info = statements.insertEvent.run(
            stream,
            revision,
            event.id,
            event.type,
            event.data,
            event.metadata,
            created,
            eventChecksum(stream, revision, event.id, event.type, event.data, event.metadata, created)
          )
          position = BigInt(info.lastInsertRowid)
          row = projectInstance(row, {
            id: event.id,
            type: event.type,
            // projectInstance reads nothing but the metadata's ProjectedMetadata fields.
            data: null,
            metadata: event.projected as Json,
            stream,
            revision,
            position,
            created
          })
        }
        if (row !== undefined && row !== before) this.writeRegistry(before, row)
        this.wrote = true
        return Effect.succeed({ nextExpectedRevision: actual + events.length, position })
      }
    }
  }

  private writeRegistry(before: InstanceRecord | undefined, row: InstanceRecord): void {
    const s = this.statements
    // projectInstance keeps a stream's workflow, id and creation time; should that ever change, write the row whole.
    if (
      before === undefined ||
      row.workflow !== before.workflow ||
      row.instanceId !== before.instanceId ||
      row.created !== before.created
    ) {
      s.insertRegistry.run(...registryValues(row))
      return
    }
    const { revision, position, updated, stream } = row
    const wakeAt = row.wakeAt ?? null
    const status = row.status !== before.status
    const wake = row.wakeAt !== before.wakeAt
    if (status && wake) s.updateRegistryStatusWake.run(revision, position, updated, row.status, wakeAt, stream)
    else if (status) s.updateRegistryStatus.run(revision, position, updated, row.status, stream)
    else if (wake) s.updateRegistryWake.run(revision, position, updated, wakeAt, stream)
    else s.updateRegistry.run(revision, position, updated, stream)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reads: one short query per page, so memory stays at one page however long the stream is.

  /** The last revision of a stream, -1 when it has no events. */
  lastRevision(stream: string): Effect.Effect<number, StoreError> {
    return this.query("read", stream, () => this.statements.lastRevision.get(stream)?.revision ?? -1)
  }

  /**
   * The last revision of a stream, checked against its registry row, which the append's transaction always moves
   * with the events: a deleted last event, or a deleted or altered row, is reported as damage rather than read
   * as a shorter history (and then overwritten by the next append).
   */
  checkedLastRevision(stream: string): Effect.Effect<number, StoreError> {
    return this.query("read", stream, () => {
      const last = this.statements.lastRevision.get(stream)?.revision ?? -1
      if (parseStream(stream) === undefined) return last
      const registered = this.statements.registryRow.get(stream)?.revision
      if (registered === undefined && last === -1) return last
      if (registered !== last) {
        const reason =
          registered === undefined
            ? "the stream has events but no row in the instance registry"
            : `the instance registry says the last event is at revision ${registered}, the stream ends at ${last}`
        throw corruption("read", this.file, { stream, revision: Math.max(last, registered ?? -1), reason })
      }
      return last
    })
  }

  /** Up to `limit` events from `fromRevision` on (down, backwards); fewer when {@link PAGE_BYTES} cut it short. */
  readPage(
    stream: string,
    fromRevision: number,
    step: 1 | -1,
    limit: number
  ): Effect.Effect<ReadonlyArray<StoredEvent>, StoreError> {
    return this.query("read", stream, () => {
      this.stats.pageQueries++
      const statement = step === 1 ? this.statements.readPage : this.statements.readBackwardsPage
      return this.collect(statement.iterate(stream, fromRevision, limit)).events
    })
  }

  /** The position of the log's last event (0n for an empty log). */
  logEnd(operation: "read" | "subscribe"): Effect.Effect<Position, StoreError> {
    return this.query(operation, undefined, () => BigInt(this.statements.logEnd.get()?.end ?? 0))
  }

  /**
   * Events after `after` up to `end`, in position order, of the streams the filter lets through; and where the
   * next page starts. A page whose rows ran out before `limit` covered everything up to `end`, so the next one
   * starts there even if the filter skipped the last events (they are not scanned again).
   */
  logPage(
    operation: "read" | "subscribe",
    after: Position,
    end: Position,
    filter: LogFilter | undefined,
    limit: number
  ): Effect.Effect<{ readonly events: ReadonlyArray<StoredEvent>; readonly next: Position }, StoreError> {
    return this.query(operation, undefined, () => {
      this.stats.pageQueries++
      const prefixes = filter?.streamPrefixes
      if (prefixes !== undefined && prefixes.length === 0) return { events: [], next: end }
      const rows =
        prefixes === undefined
          ? this.statements.logPage.iterate(after, end, limit)
          : this.logPageStatement(prefixes.length).iterate(after, end, ...prefixes.map(globPrefix), limit)
      const { events, cut } = this.collect(rows)
      return { events, next: events.length < limit && !cut ? end : events.at(-1)!.position }
    })
  }

  private logPageStatement(prefixes: number): Statement<EventRow> {
    let statement = this.logPagesWithPrefixes.get(prefixes)
    if (statement === undefined) {
      statement = this.db.prepare<EventRow>(logPageWithPrefixes(prefixes))
      this.logPagesWithPrefixes.set(prefixes, statement)
    }
    return statement
  }

  /**
   * Decodes rows until {@link PAGE_BYTES} of JSON, so a stream of large events cannot pull a thousand of them into
   * memory at once (leaving a for-of early closes the iterator and resets the statement). `cut`: it stopped early.
   */
  private collect(rows: IterableIterator<EventRow>): { readonly events: Array<StoredEvent>; readonly cut: boolean } {
    const events: Array<StoredEvent> = []
    let bytes = 0
    for (const row of rows) {
      events.push(this.decodeRow(row))
      bytes += row.data.length + row.metadata.length
      if (bytes >= PAGE_BYTES) return { events, cut: true }
    }
    return { events, cut: false }
  }

  /**
   * Resolves at the next commit of this connection that wrote events, after `pollIntervalMs` (another process may
   * have appended), or at once if a commit happened since `seen` (a count of {@link commits}).
   */
  awaitCommit(seen: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.commits !== seen || this.closed) return resume(Effect.void)
      const wake = () => {
        clearTimeout(timer)
        this.logListeners.delete(wake)
        resume(Effect.void)
      }
      const timer = setTimeout(wake, this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS)
      this.logListeners.add(wake)
      return Effect.sync(() => {
        clearTimeout(timer)
        this.logListeners.delete(wake)
      })
    })
  }

  get commitCount(): number {
    return this.commits
  }

  private wakeSubscriptions(): void {
    for (const wake of [...this.logListeners]) wake()
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The registry: rows written by the append transaction, read by index range scans.

  instance(stream: string): Effect.Effect<Option.Option<InstanceRecord>, StoreError> {
    return this.query("registry", stream, () => {
      const row = this.statements.registryRow.get(stream)
      return row === undefined ? Option.none() : Option.some(recordOf(row))
    })
  }

  /**
   * Up to `limit` rows with a stream name after `after` (and before `upper`: a workflow's range) in stream order,
   * with one of `statuses`. With statuses, one index range scan per status, merged.
   */
  instancesPage(
    after: string,
    upper: string | undefined,
    statuses: ReadonlyArray<string> | undefined,
    limit: number
  ): Effect.Effect<ReadonlyArray<InstanceRecord>, StoreError> {
    return this.query("registry", undefined, () => {
      const s = this.statements
      if (statuses === undefined) {
        this.stats.pageQueries++
        const rows =
          upper === undefined ? s.instancesPage.all(after, limit) : s.instancesRangePage.all(after, upper, limit)
        return rows.map(recordOf)
      }
      const rows: Array<RegistryRow> = []
      for (const status of statuses) {
        this.stats.pageQueries++
        rows.push(
          ...(upper === undefined
            ? s.instancesByStatusPage.all(status, after, limit)
            : s.instancesByStatusRangePage.all(status, after, upper, limit))
        )
      }
      rows.sort((a, b) => compareNames(a.stream, b.stream))
      return rows.slice(0, limit).map(recordOf)
    })
  }

  /** Up to `limit` rows with a wake-up at or before `until`, after the (wakeAt, stream) key `after`. */
  wakeUpsPage(
    until: number,
    after: { readonly wakeAt: number; readonly stream: string } | undefined,
    limit: number
  ): Effect.Effect<ReadonlyArray<InstanceRecord>, StoreError> {
    return this.query("registry", undefined, () => {
      this.stats.pageQueries++
      const rows =
        after === undefined
          ? this.statements.wakeUpsFirstPage.all(until, limit)
          : this.statements.wakeUpsNextPage.all(until, after.wakeAt, after.stream, limit)
      return rows.map(recordOf)
    })
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Leases: one compare-and-set statement each, run in the group commit's transaction. That transaction holds
  // the file's write lock (BEGIN IMMEDIATE) from its first statement, so two processes on one file never both hold
  // a key; and a lease costs no fsync of its own: it is durable with the appends committed alongside it.

  acquireLease(
    key: string,
    owner: string,
    now: number,
    ttlMs: number
  ): Effect.Effect<Option.Option<Lease>, StoreError> {
    return this.enqueue("lease", key, 0, () => {
      const row = this.statements.acquireLease.get(key, owner, now + ttlMs, now)
      return Effect.succeed(row === undefined ? Option.none() : Option.some(leaseOf(key, row)))
    })
  }

  renewLease(lease: Lease, now: number, ttlMs: number): Effect.Effect<Option.Option<Lease>, StoreError> {
    return this.enqueue("lease", lease.key, 0, () => {
      const row = this.statements.renewLease.get(now + ttlMs, lease.key, lease.owner, lease.version)
      return Effect.succeed(row === undefined ? Option.none() : Option.some(leaseOf(lease.key, row)))
    })
  }

  releaseLease(lease: Lease): Effect.Effect<void, StoreError> {
    return this.enqueue("lease", lease.key, 0, () => {
      this.statements.releaseLease.run(lease.key, lease.owner, lease.version)
      return Effect.void
    })
  }

  private decodeRow(row: EventRow): StoredEvent {
    const damaged = (reason: string) =>
      corruption("read", this.file, { stream: row.stream, revision: row.revision, reason })
    // Checked before anything is parsed: a damaged row must not reach a fold, whatever it now says.
    if (row.revision < 0) throw damaged("an event at a negative revision")
    if (
      row.checksum !== eventChecksum(row.stream, row.revision, row.id, row.type, row.data, row.metadata, row.created)
    ) {
      throw damaged(
        "the event does not match its checksum (it was changed outside durable-monad, or the file is damaged)"
      )
    }
    const parse = (field: "data" | "metadata") => {
      try {
        return JSON.parse(row[field])
      } catch (error) {
        throw new StoreError({
          operation: "read",
          stream: row.stream,
          reason: `${this.file}: the ${field} of the event at revision ${row.revision} is not valid JSON`,
          cause: error
        })
      }
    }
    return {
      id: row.id,
      type: row.type,
      data: parse("data"),
      metadata: parse("metadata"),
      stream: row.stream,
      revision: row.revision,
      position: BigInt(row.position),
      created: row.created
    }
  }

  /**
   * Runs a read outside the group commit, waiting (without blocking the event loop) while another connection
   * holds a lock that stops it. In WAL mode readers are rarely blocked, but e.g. a writer in
   * `locking_mode=EXCLUSIVE` does. better-sqlite3 is synchronous, so this never runs inside a group-commit
   * transaction.
   */
  private query<A>(
    operation: StoreError["operation"],
    stream: string | undefined,
    run: () => A
  ): Effect.Effect<A, StoreError> {
    return Effect.suspend(() => {
      const started = Date.now()
      const attempt = (backoff: number): Effect.Effect<A, StoreError> => {
        if (this.closed) return Effect.fail(this.closedError(operation, stream))
        try {
          return Effect.succeed(run())
        } catch (error) {
          const waited = Date.now() - started
          if (!isBusy(error)) return Effect.fail(storeError(operation, this.file, error, stream))
          if (waited >= this.options.busyTimeoutMs)
            return Effect.fail(lockedError(operation, this.file, waited, stream))
          const delay = Math.min(backoff, this.options.busyTimeoutMs - waited)
          return Effect.flatMap(Effect.sleep(delay), () => attempt(Math.min(backoff * 2, MAX_BACKOFF_MS)))
        }
      }
      return attempt(1)
    })
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Closing: commit what is queued, then close the connection. Idempotent.

  close(): Promise<void> {
    if (this.closedPromise !== undefined) return this.closedPromise
    this.closing = true
    this.closedPromise = new Promise<void>((resolve) => {
      this.idleWaiters.push(() => {
        this.closed = true
        // Caught-up subscriptions look again, and fail: the store is closed.
        this.wakeSubscriptions()
        if (this.options.readonly !== true) {
          try {
            // The last connection out leaves one self-contained file (the WAL checkpointed into it, no -wal/-shm):
            // a WAL-mode file cannot be read from a read-only directory, where the -shm cannot be created. Another
            // connection still open keeps the WAL (the switch then fails at once and is not needed).
            this.db.pragma("journal_mode = DELETE")
          } catch {
            // Busy: another connection uses the file; it stays in WAL mode, as it must while shared.
          }
        }
        try {
          this.db.close()
        } catch {
          // Closing only fails for a connection still in use, which cannot happen once the queue is drained.
        }
        resolve()
      })
    })
    // Do not wait for the scheduled turn: the scope is closing now. A lock wait keeps its timer and its deadline.
    if (this.retryTimer === undefined && !this.flushing) this.flush()
    this.notifyIfIdle()
    return this.closedPromise
  }

  private notifyIfIdle(): void {
    if (this.flushing || this.retryTimer !== undefined || this.pending.some((request) => !request.cancelled)) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const waiter of waiters) waiter()
  }

  private closedError(operation: StoreError["operation"], stream: string | undefined): StoreError {
    return new StoreError({
      operation,
      ...(stream === undefined ? {} : { stream }),
      reason: `the store for ${this.file} is closed`
    })
  }
}

/** What the registry reads of an event's metadata, copied (see {@link EncodedEvent.projected}). */
const projectedOf = (metadata: unknown): ProjectedMetadata => {
  if (typeof metadata !== "object" || metadata === null) return {}
  const { status, wakeAt } = metadata as { status?: unknown; wakeAt?: unknown }
  return {
    ...(typeof status === "string" ? { status } : {}),
    ...(typeof wakeAt === "number" ? { wakeAt } : {})
  }
}

/** Encodes an append, or explains why it is not one the store can keep exactly. */
const encodeAppend = (
  stream: string,
  expected: ExpectedRevision,
  events: ReadonlyArray<EventData>
): ReadonlyArray<EncodedEvent> | StoreError => {
  const invalid = checkAppend(stream, expected, events)
  if (invalid !== undefined) return invalid
  const refuse = (reason: string) => new StoreError({ operation: "append", stream, reason })
  if (loneSurrogate.test(stream)) return refuse("the stream name must be a well-formed Unicode string")
  const encoded: Array<EncodedEvent> = []
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!
    const what = () => `event ${index} (id ${event.id})`
    if (loneSurrogate.test(event.type)) return refuse(`${what()}: the type must be a well-formed Unicode string`)
    const json = (field: "data" | "metadata"): string | StoreError => {
      try {
        const text = JSON.stringify(event[field])
        if (typeof text === "string") return text
        return refuse(`${what()}: the ${field} is not a JSON value (got ${typeof event[field]})`)
      } catch (error) {
        return refuse(`${what()}: the ${field} cannot be encoded as JSON: ${(error as Error).message}`)
      }
    }
    const data = json("data")
    if (data instanceof StoreError) return data
    const metadata = json("metadata")
    if (metadata instanceof StoreError) return metadata
    encoded.push({ id: event.id, type: event.type, data, metadata, projected: projectedOf(event.metadata) })
  }
  return encoded
}

/**
 * Opens (creating if needed) the store file and brings its schema up to date. The caller owns the result and must
 * `close()` it. A file that is not a store, or is newer than this code, is left untouched.
 */
export const openJournal = (options: JournalOptions): Effect.Effect<SqliteJournal, StoreError> =>
  Effect.suspend(() => {
    const { file } = options
    const fail = (reason: string, cause?: unknown) =>
      Effect.fail(new StoreError({ operation: "open", reason, ...(cause === undefined ? {} : { cause }) }))
    let Driver: DatabaseConstructor
    try {
      Driver = loadDriver()
    } catch (error) {
      return fail(`cannot load better-sqlite3 (12.x) to open ${file}: ${(error as Error).message}`, error)
    }
    let stat: Fs.Stats | undefined
    try {
      stat = Fs.statSync(file, { throwIfNoEntry: false })
    } catch (error) {
      return fail(`${file} cannot be opened: ${(error as Error).message}`, error)
    }
    if (stat?.isDirectory()) return fail(`${file} is a directory, not a database file`)
    const readonly = options.readonly === true
    if (readonly && stat === undefined) return fail(`${file} does not exist`)
    // An empty file is what SQLite would happily turn into a new database: read-only, it is not a store.
    if (readonly && stat?.size === 0) return fail(`${file} is empty, not a durable-monad store`)
    if (stat === undefined) {
      // Zero setup: a store at "data/workflows.db" just works on a fresh checkout.
      try {
        Fs.mkdirSync(Path.dirname(Path.resolve(file)), { recursive: true })
      } catch (error) {
        return fail(`cannot create the directory for ${file}: ${(error as Error).message}`, error)
      }
    }
    let db: Database
    try {
      db = new Driver(file, readonly ? { timeout: 0, readonly: true, fileMustExist: true } : { timeout: 0 })
    } catch (error) {
      return Effect.fail(storeError("open", file, error))
    }
    const closeQuietly = () => {
      try {
        db.close()
      } catch {
        // Already unusable; the open error says why.
      }
    }
    const initialize = () => {
      const needsMigration = inspect(db, file)
      if (readonly) {
        if (needsMigration) {
          throw new StoreError({
            operation: "open",
            reason:
              db.pragma("application_id", { simple: true }) === 0
                ? `${file} is not a durable-monad store (it holds no tables)`
                : `${file} was written by an older durable-monad; open it once for writing (e.g. with a runtime) to upgrade it`
          })
        }
        return new SqliteJournal(db, options)
      }
      // After inspect: a refused file must not be switched to WAL (that rewrites its header).
      const mode = db.pragma("journal_mode = WAL", { simple: true })
      if (mode !== "wal") {
        throw new StoreError({
          operation: "open",
          reason: `${file}: cannot use write-ahead logging (journal_mode stayed ${String(mode)})`
        })
      }
      db.pragma(`synchronous = ${options.synchronous}`)
      // Checkpoints reuse the WAL without shrinking it; after one huge batch, cap what stays on disk.
      db.pragma("journal_size_limit = 67108864")
      if (needsMigration) migrate(db, file)
      return new SqliteJournal(db, options)
    }
    const started = Date.now()
    const attempt = (backoff: number): Effect.Effect<SqliteJournal, StoreError> => {
      try {
        return Effect.succeed(initialize())
      } catch (error) {
        const waited = Date.now() - started
        if (isBusy(error) && waited < options.busyTimeoutMs) {
          const delay = Math.min(backoff, options.busyTimeoutMs - waited)
          return Effect.flatMap(Effect.sleep(delay), () => attempt(Math.min(backoff * 2, MAX_BACKOFF_MS)))
        }
        closeQuietly()
        return Effect.fail(isBusy(error) ? lockedError("open", file, waited) : storeError("open", file, error))
      }
    }
    // Interrupted while waiting for a lock: nobody will own the connection, so close it here.
    return Effect.onInterrupt(attempt(1), () => Effect.sync(closeQuietly))
  })

/** {@link openJournal} in a scope: the journal is closed (after committing queued appends) when the scope closes. */
export const acquireJournal = (options: JournalOptions): Effect.Effect<SqliteJournal, StoreError, Scope.Scope> =>
  Effect.acquireRelease(openJournal(options), (journal) => Effect.promise(() => journal.close()))

/** Stream names in SQLite's order (BINARY: UTF-8 bytes), which differs from `<` for characters above U+FFFF. */
const compareNames = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** A workflow's streams are those in ("<workflow>-", "<workflow>."): "." is the character after "-". */
const workflowRange = (workflow: string) => ({ lower: `${workflow}-`, upper: `${workflow}.` })

/** The {@link EventStore} service on top of a journal. */
export const serviceOf = (journal: SqliteJournal): EventStore["Service"] => {
  const read = (stream: string, options?: ReadOptions): Stream.Stream<StoredEvent, StoreError> =>
    Stream.unwrap(
      Effect.suspend(() => {
        const invalid = checkReadOptions(stream, options)
        if (invalid !== undefined) return Effect.fail(invalid)
        // The range is fixed at the start, as on the memory store: a read does not chase appends made meanwhile.
        return Effect.map(journal.checkedLastRevision(stream), (last) => {
          const { first, step, count } = revisionRange(options, last)
          // Keyset pagination: each page starts after the last revision seen, so a page costs one index seek
          // however deep into the stream it is, and only one page is in memory at a time.
          return Stream.paginate(0, (done: number) => {
            const limit = Math.min(READ_PAGE_SIZE, count - done)
            if (limit <= 0) return Effect.succeed([[], Option.none()] as const)
            // From revision 0 the first page starts below it: a row at a negative revision is read (and refused).
            const from = done === 0 && first === 0 && step === 1 ? BELOW_ZERO : first + step * done
            return Effect.map(journal.readPage(stream, from, step, limit), (events) => {
              const next = done + events.length
              return [events, next < count && events.length > 0 ? Option.some(next) : Option.none<number>()] as const
            })
          })
        })
      })
    )

  /** The log after `from` up to `end`, page by page; the stream ends at `end`. */
  const logUntil = (
    operation: "read" | "subscribe",
    from: Position,
    end: Position,
    filter: LogFilter | undefined
  ): Stream.Stream<StoredEvent, StoreError> =>
    Stream.paginate(from, (after: Position) =>
      after >= end
        ? Effect.succeed([[], Option.none()] as const)
        : Effect.map(journal.logPage(operation, after, end, filter, READ_PAGE_SIZE), ({ events, next }) => [
            events,
            next < end ? Option.some(next) : Option.none<Position>()
          ])
    )

  const readAll = (options?: LogOptions & { readonly maxCount?: number }) =>
    Stream.unwrap(
      Effect.suspend(() => {
        const invalid = checkLogOptions("read", options)
        if (invalid !== undefined) return Effect.fail(invalid)
        return Effect.map(journal.logEnd("read"), (end) => {
          const log = logUntil("read", options?.fromPosition ?? 0n, end, options?.filter)
          return options?.maxCount === undefined ? log : Stream.take(log, options.maxCount)
        })
      })
    )

  /**
   * Catch-up and live are one loop: read the log up to its current end, then wait for a commit (or the poll
   * interval) and read from where it stopped. Positions are rowids of a table only ever appended to by
   * serialised transactions, so what is committed is always a prefix of the log: following the last position
   * read can neither skip nor repeat an event, whichever process appended it.
   */
  const subscribe = (options?: LogOptions) =>
    Stream.suspend(() => {
      const invalid = checkLogOptions("subscribe", options)
      if (invalid !== undefined) return Stream.fail(invalid)
      const filter = options?.filter
      return Stream.paginate(options?.fromPosition ?? 0n, (after: Position) =>
        Effect.gen(function* () {
          for (;;) {
            const seen = journal.commitCount
            const end = yield* journal.logEnd("subscribe")
            if (end > after) {
              const { events, next } = yield* journal.logPage("subscribe", after, end, filter, READ_PAGE_SIZE)
              if (events.length > 0 || next > after) return [events, Option.some(next)] as const
            }
            yield* journal.awaitCommit(seen)
          }
        })
      )
    })

  const instances = (query?: InstanceQuery) =>
    Stream.suspend(() => {
      const invalid = checkInstanceQuery(query)
      if (invalid !== undefined) return Stream.fail(invalid)
      const range = query?.workflow === undefined ? undefined : workflowRange(query.workflow)
      const statuses = query?.status === undefined ? undefined : [...new Set(query.status)]
      if (statuses?.length === 0) return Stream.empty
      const start =
        range === undefined || (query?.afterStream !== undefined && compareNames(query.afterStream, range.lower) > 0)
          ? (query?.afterStream ?? "")
          : range.lower
      const rows = Stream.paginate(start, (after: string) =>
        Effect.map(journal.instancesPage(after, range?.upper, statuses, READ_PAGE_SIZE), (page) => [
          page,
          page.length < READ_PAGE_SIZE ? Option.none() : Option.some(page.at(-1)!.stream)
        ])
      )
      return query?.limit === undefined ? rows : Stream.take(rows, query.limit)
    })

  const wakeUps = (query?: WakeUpQuery) =>
    Stream.suspend(() => {
      const invalid = checkWakeUpQuery(query)
      if (invalid !== undefined) return Stream.fail(invalid)
      const workflows = query?.workflows === undefined ? undefined : new Set(query.workflows)
      if (workflows?.size === 0) return Stream.empty
      const until = query?.until ?? Number.MAX_VALUE
      type Key = { readonly wakeAt: number; readonly stream: string } | undefined
      const rows = Stream.paginate(undefined as Key, (after) =>
        Effect.map(journal.wakeUpsPage(until, after, READ_PAGE_SIZE), (page) => {
          const last = page.at(-1)
          // The workflow filter is applied to each page: the index is ordered by time, not by workflow.
          return [
            workflows === undefined ? page : page.filter((r) => workflows.has(r.workflow)),
            page.length < READ_PAGE_SIZE || last === undefined
              ? Option.none()
              : Option.some<Key>({ wakeAt: last.wakeAt!, stream: last.stream })
          ] as const
        })
      )
      return query?.limit === undefined ? rows : Stream.take(rows, query.limit)
    })

  return EventStore.of({
    append: (stream, expected, events) => journal.append(stream, expected, events),
    read,
    readAll,
    subscribe,
    instance: (stream) => journal.instance(stream),
    instances,
    wakeUps,
    acquireLease: (key, owner, ttlMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const invalid = checkLease(key, owner, ttlMs)
        return invalid !== undefined ? Effect.fail(invalid) : journal.acquireLease(key, owner, now, ttlMs)
      }),
    renewLease: (lease, ttlMs) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const invalid = checkLease(lease?.key, lease?.owner, ttlMs)
        return invalid !== undefined ? Effect.fail(invalid) : journal.renewLease(lease, now, ttlMs)
      }),
    releaseLease: (lease) =>
      Effect.suspend(() => {
        const invalid = checkLease(lease?.key, lease?.owner, undefined)
        return invalid !== undefined ? Effect.fail(invalid) : journal.releaseLease(lease)
      })
  })
}
