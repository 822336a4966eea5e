/**
 * The engine behind the SQLite store: one connection, group-committed appends, paged reads.
 *
 * better-sqlite3 is synchronous, so nothing here ever interleaves with itself: a batch runs from `BEGIN` to
 * `COMMIT` without yielding, and reads never observe a half-applied batch.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Option, type Scope, Stream } from "effect"
import { decideAppend, READ_PAGE_SIZE } from "../storeRules.js"
import {
  type AppendResult,
  type EventData,
  EventStore,
  type ExpectedRevision,
  type StoredEvent
} from "../EventStore.js"
import { StoreError, WrongExpectedRevision } from "../errors.js"
import { type Database, type DatabaseConstructor, isBusy, loadDriver, type Statement } from "./driver.js"
import { lockedError, storeError } from "./faults.js"
import { inspect, migrate } from "./migrations.js"

/**
 * See `SqliteStoreOptions.synchronous`. Not offered: `OFF` (can corrupt the file on power loss) and `EXTRA` (its
 * documented extra sync is for rollback-journal mode; with the WAL it buys nothing over FULL).
 */
export type Synchronous = "FULL" | "NORMAL"

export interface JournalOptions {
  readonly file: string
  readonly synchronous: Synchronous
  readonly busyTimeoutMs: number
}

/** Counters for tests and diagnostics: they count what reached SQLite, not what was asked. */
export interface JournalStats {
  /** Write transactions committed (one per group commit). */
  transactions: number
  /** Appends that reached a transaction (committed, duplicate or conflicting). */
  appends: number
  /** Times a batch found the database locked by another connection and backed off. */
  busyWaits: number
  /** Page queries issued by reads and stream listings. */
  pageQueries: number
}

type AppendOutcome = Effect.Effect<AppendResult, WrongExpectedRevision | StoreError>

interface EncodedEvent {
  readonly id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
}

interface AppendRequest {
  readonly stream: string
  readonly expected: ExpectedRevision
  readonly events: ReadonlyArray<EncodedEvent>
  readonly resume: (outcome: AppendOutcome) => void
  /** When it was queued: busyTimeoutMs counts from here. */
  readonly since: number
  cancelled: boolean
}

interface EventRow {
  readonly position: number
  readonly revision: number
  readonly id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  readonly created: number
}

/** Exported so tests can check with EXPLAIN QUERY PLAN that reads are index range scans. */
export const SQL = {
  readPage: `SELECT position, revision, event_id AS id, type, data, metadata, created FROM events
             WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
  // Keyset pagination on the primary key: `name >= prefix` seeks to the first candidate, the caller stops at the
  // first name without the prefix. A LIKE or substr() test would scan every stream.
  listFirstPage: "SELECT name FROM streams WHERE name >= ? ORDER BY name LIMIT ?",
  listNextPage: "SELECT name FROM streams WHERE name > ? ORDER BY name LIMIT ?",
  // The (stream, revision) unique index answers "current revision" with one seek and no write, so an append to an
  // existing stream dirties only the events pages; `streams` is written once, when a stream gets its first event.
  lastRevision: "SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1",
  eventIdAt: "SELECT event_id, position FROM events WHERE stream = ? AND revision = ?",
  insertEvent: `INSERT INTO events (stream, revision, event_id, type, data, metadata, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)`,
  insertStream: "INSERT INTO streams (name) VALUES (?)"
} as const

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
  readonly stats: JournalStats = { transactions: 0, appends: 0, busyWaits: 0, pageQueries: 0 }

  private readonly statements: {
    readonly begin: Statement
    readonly commit: Statement
    readonly rollback: Statement
    readonly lastRevision: Statement<{ revision: number }>
    readonly eventIdAt: Statement<{ event_id: string; position: number }>
    readonly insertEvent: Statement
    readonly insertStream: Statement
    readonly readPage: Statement<EventRow>
    readonly listFirstPage: Statement<{ name: string }>
    readonly listNextPage: Statement<{ name: string }>
  }

  private pending: Array<AppendRequest> = []
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
      insertStream: db.prepare(SQL.insertStream),
      readPage: db.prepare(SQL.readPage),
      listFirstPage: db.prepare(SQL.listFirstPage),
      listNextPage: db.prepare(SQL.listNextPage)
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
      return Effect.callback<AppendResult, WrongExpectedRevision | StoreError>((resume) => {
        if (this.closing) return resume(Effect.fail(this.closedError("append", stream)))
        const request: AppendRequest = {
          stream,
          expected,
          events: encoded,
          resume,
          since: Date.now(),
          cancelled: false
        }
        this.pending.push(request)
        this.scheduleFlush()
        // Interrupted before its batch ran: drop it, so an interrupted append is never written behind the caller's
        // back. (Once the batch ran, the outcome was already delivered and this finalizer is not called.)
        return Effect.sync(() => {
          request.cancelled = true
        })
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
      const expired: Array<AppendRequest> = []
      const waiting: Array<AppendRequest> = []
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
        request.resume(Effect.fail(lockedError("append", this.file, now - request.since, request.stream)))
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
  private takeBatch(): Array<AppendRequest> {
    let events = 0
    let count = 0
    while (
      count < this.pending.length &&
      (count === 0 || events + this.pending[count]!.events.length <= MAX_BATCH_EVENTS)
    ) {
      events += this.pending[count]!.events.length
      count++
    }
    return this.pending.splice(0, count)
  }

  /**
   * Runs `batch` in one transaction and delivers every outcome. Conflicts and duplicates are decided before an
   * append writes anything, so they fail alone without a savepoint. If a write fails (disk full, I/O error, …) the
   * whole transaction is rolled back and each append is retried in a transaction of its own, so only the appends
   * that really cannot be written fail, and none is half-written.
   * @returns the requests not attempted because another connection holds the write lock.
   */
  private commitBatch(batch: ReadonlyArray<AppendRequest>): ReadonlyArray<AppendRequest> {
    const { statements } = this
    try {
      statements.begin.run()
    } catch (error) {
      if (isBusy(error)) return batch
      for (const request of batch) request.resume(Effect.fail(storeError("append", this.file, error, request.stream)))
      return []
    }
    const outcomes: Array<AppendOutcome> = []
    try {
      const created = Date.now()
      for (const request of batch) outcomes.push(this.applyAppend(request, created))
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
        request.resume(Effect.fail(storeError("append", this.file, error, request.stream)))
        return []
      }
      return batch.flatMap((request) => this.commitBatch([request]))
    }
    this.stats.transactions++
    this.stats.appends += batch.length
    // Only now is anything durable; resuming may run the callers' fibers synchronously, which is fine: the
    // transaction is over.
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
    return []
  }

  private applyAppend(request: AppendRequest, created: number): AppendOutcome {
    const { stream, expected, events } = request
    const { statements } = this
    const actual = statements.lastRevision.get(stream)?.revision ?? -1
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
        let position = 0n
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!
          const info = statements.insertEvent.run(
            stream,
            actual + 1 + i,
            event.id,
            event.type,
            event.data,
            event.metadata,
            created
          )
          position = BigInt(info.lastInsertRowid)
        }
        if (actual === -1 && events.length > 0) statements.insertStream.run(stream)
        return Effect.succeed({ nextExpectedRevision: actual + events.length, position })
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reads: one short query per page, so memory stays at one page however long the stream is.

  /**
   * Up to `limit` events from `fromRevision` on, and whether to ask for more. A page also ends once it holds
   * {@link PAGE_BYTES} of JSON, so a stream of large events cannot pull a thousand of them into memory at once.
   */
  readPage(
    stream: string,
    fromRevision: number,
    limit: number
  ): Effect.Effect<{ readonly events: ReadonlyArray<StoredEvent>; readonly more: boolean }, StoreError> {
    return this.query("read", stream, () => {
      this.stats.pageQueries++
      const events: Array<StoredEvent> = []
      let bytes = 0
      for (const row of this.statements.readPage.iterate(stream, fromRevision, limit)) {
        events.push(this.decodeRow(stream, row))
        bytes += row.data.length + row.metadata.length
        // Leaving a for-of early closes the iterator, which resets the statement.
        if (bytes >= PAGE_BYTES) return { events, more: true }
      }
      return { events, more: events.length === limit }
    })
  }

  /** Names after `after` (or from `prefix` on the first page), stopping at the first name without the prefix. */
  listPage(
    prefix: string,
    after: string | undefined,
    limit: number
  ): Effect.Effect<{ readonly names: ReadonlyArray<string>; readonly done: boolean }, StoreError> {
    return this.query("list", undefined, () => {
      this.stats.pageQueries++
      const rows =
        after === undefined
          ? this.statements.listFirstPage.all(prefix, limit)
          : this.statements.listNextPage.all(after, limit)
      const names: Array<string> = []
      for (const { name } of rows) {
        if (!name.startsWith(prefix)) return { names, done: true }
        names.push(name)
      }
      return { names, done: rows.length < limit }
    })
  }

  private decodeRow(stream: string, row: EventRow): StoredEvent {
    const parse = (field: "data" | "metadata") => {
      try {
        return JSON.parse(row[field])
      } catch (error) {
        throw new StoreError({
          operation: "read",
          stream,
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
      stream,
      revision: row.revision,
      position: BigInt(row.position),
      created: row.created
    }
  }

  /**
   * Runs a read-only statement, waiting (without blocking the event loop) while another connection holds a lock
   * that stops it. In WAL mode readers are rarely blocked, but e.g. a writer in `locking_mode=EXCLUSIVE` does.
   */
  private query<A>(operation: "read" | "list", stream: string | undefined, run: () => A): Effect.Effect<A, StoreError> {
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

/** Encodes an append, or explains why it is not one the store can keep exactly. */
const encodeAppend = (
  stream: string,
  expected: ExpectedRevision,
  events: ReadonlyArray<EventData>
): ReadonlyArray<EncodedEvent> | StoreError => {
  const invalid = (reason: string) => new StoreError({ operation: "append", stream, reason })
  if (typeof stream !== "string" || loneSurrogate.test(stream)) {
    return invalid("the stream name must be a well-formed Unicode string")
  }
  if (!Number.isSafeInteger(expected) || expected < -1) {
    return invalid(`the expected revision must be an integer >= -1 (NoStream), got ${String(expected)}`)
  }
  if (!Array.isArray(events)) return invalid("the events must be an array")
  const encoded: Array<EncodedEvent> = []
  for (let index = 0; index < events.length; index++) {
    const event = events[index]
    if (typeof event !== "object" || event === null) return invalid(`event ${index} is not an object`)
    const what = () => `event ${index} (id ${JSON.stringify(event.id)})`
    if (typeof event.id !== "string" || loneSurrogate.test(event.id)) {
      return invalid(`${what()}: the id must be a well-formed Unicode string`)
    }
    if (typeof event.type !== "string" || loneSurrogate.test(event.type)) {
      return invalid(`${what()}: the type must be a well-formed Unicode string`)
    }
    const json = (field: "data" | "metadata"): string | StoreError => {
      try {
        const text = JSON.stringify(event[field])
        if (typeof text === "string") return text
        return invalid(`${what()}: the ${field} is not a JSON value (got ${typeof event[field]})`)
      } catch (error) {
        return invalid(`${what()}: the ${field} cannot be encoded as JSON: ${(error as Error).message}`)
      }
    }
    const data = json("data")
    if (data instanceof StoreError) return data
    const metadata = json("metadata")
    if (metadata instanceof StoreError) return metadata
    encoded.push({ id: event.id, type: event.type, data, metadata })
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
      db = new Driver(file, { timeout: 0 })
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

const checkCount = (stream: string, name: string, value: number | undefined): StoreError | undefined =>
  value === undefined || (Number.isSafeInteger(value) && value >= 0)
    ? undefined
    : new StoreError({ operation: "read", stream, reason: `${name} must be an integer >= 0, got ${String(value)}` })

const notYet = (operation: string) =>
  new StoreError({ operation: "read", reason: `${operation} is not supported by the SQLite store yet` })

/** The {@link EventStore} service on top of a journal. */
export const serviceOf = (journal: SqliteJournal): EventStore["Service"] =>
  EventStore.of({
    append: (stream, expected, events) => journal.append(stream, expected, events),
    read: (stream, options) => {
      if (options?.direction === "backwards" || options?.fromRevision === "end")
        return Stream.fail(notYet("read backwards"))
      const from = options?.fromRevision ?? 0
      const maxCount = options?.maxCount
      const invalid = checkCount(stream, "fromRevision", from) ?? checkCount(stream, "maxCount", maxCount)
      if (invalid !== undefined) return Stream.fail(invalid)
      const end = maxCount === undefined ? Number.POSITIVE_INFINITY : from + maxCount
      // Keyset pagination: each page starts after the last revision seen, so a page costs one index seek however
      // deep into the stream it is, and only one page is in memory at a time.
      return Stream.paginate(from, (next: number) => {
        const limit = Math.min(READ_PAGE_SIZE, end - next)
        if (limit <= 0) return Effect.succeed([[], Option.none()] as const)
        return Effect.map(journal.readPage(stream, next, limit), ({ events, more }) => {
          const last = events.at(-1)
          const after = last === undefined ? undefined : last.revision + 1
          return [
            events,
            more && after !== undefined && after < end ? Option.some(after) : Option.none<number>()
          ] as const
        })
      })
    },
    // Interim (store v2 in progress): the log, registry and lease operations land with the SQLite projections.
    readAll: () => Stream.fail(notYet("readAll")),
    subscribe: () => Stream.fail(notYet("subscribe")),
    instance: () => Effect.fail(notYet("instance")),
    instances: () => Stream.fail(notYet("instances")),
    wakeUps: () => Stream.fail(notYet("wakeUps")),
    acquireLease: () => Effect.fail(notYet("acquireLease")),
    renewLease: () => Effect.fail(notYet("renewLease")),
    releaseLease: () => Effect.fail(notYet("releaseLease")),
    listStreams: (prefix) =>
      Stream.paginate(undefined as string | undefined, (after) =>
        Effect.map(journal.listPage(prefix, after, READ_PAGE_SIZE), ({ names, done }) => {
          const last = names.at(-1)
          return [names, done || last === undefined ? Option.none() : Option.some<string | undefined>(last)] as const
        })
      )
  })
