/**
 * The on-disk format of the SQLite store and how a file moves from one version of it to the next.
 *
 * A store file is recognised by `PRAGMA application_id` and versioned by `PRAGMA user_version`, both kept in the
 * database header so they can be read without knowing the schema. Rules:
 * - append a migration for every change; never edit one that has shipped (files in the wild ran it);
 * - each migration runs in the same `BEGIN IMMEDIATE` transaction that bumps `user_version`, so a crash or a
 *   concurrent opener never sees a half-migrated file;
 * - a file whose version is higher than the last migration here was written by a newer durable-monad: refuse it
 *   rather than guess, because this code may mis-read or damage a format it does not know.
 */
import type { InstanceRecord, Json } from "../EventStore.js"
import { StoreError } from "../errors.js"
import { projectInstance } from "../projection.js"
import type { Database } from "./driver.js"

export interface Migration {
  /** The `user_version` a file has once this migration ran: 1, 2, 3, … in order. */
  readonly version: number
  readonly description: string
  readonly sql: string
  /** Runs after `sql`, in the same transaction: for what SQL alone cannot compute (e.g. a projection). */
  readonly run?: (db: Database, file: string) => void
}

/** The registry row's columns, in the order {@link registryValues} gives them. */
export const REGISTRY_COLUMNS = "stream, workflow, instance_id, status, revision, position, created, updated, wake_at"

export const registryValues = (row: InstanceRecord): ReadonlyArray<unknown> => [
  row.stream,
  row.workflow,
  row.instanceId,
  row.status,
  row.revision,
  row.position,
  row.created,
  row.updated,
  row.wakeAt ?? null
]

/**
 * Builds the registry of a version-1 file from its events, one stream at a time in (stream, revision) order (the
 * unique index), so memory holds one stream's row however large the file is. The same `projectInstance` as every
 * append, so rebuilt rows equal the rows the appends would have written.
 */
const rebuildRegistry = (db: Database, file: string): void => {
  const insert = db.prepare(`INSERT INTO instances (${REGISTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  type Row = {
    position: number
    stream: string
    revision: number
    event_id: string
    type: string
    metadata: string
    created: number
  }
  const columns = "position, stream, revision, event_id, type, metadata, created"
  // Pages by keyset on the (stream, revision) index: better-sqlite3 allows no write while a statement iterates.
  const firstPage = db.prepare<Row>(`SELECT ${columns} FROM events ORDER BY stream, revision LIMIT 1024`)
  const nextPage = db.prepare<Row>(
    `SELECT ${columns} FROM events WHERE (stream, revision) > (?, ?) ORDER BY stream, revision LIMIT 1024`
  )
  let row: InstanceRecord | undefined
  let stream: string | undefined
  const flush = () => {
    if (row !== undefined) insert.run(...registryValues(row))
    row = undefined
  }
  for (let page = firstPage.all(); page.length > 0; ) {
    for (const event of page) fold(event)
    const last = page.at(-1)!
    page = nextPage.all(last.stream, last.revision)
  }
  flush()

  function fold(event: Row): void {
    if (event.stream !== stream) {
      flush()
      stream = event.stream
    }
    let metadata: unknown
    try {
      metadata = JSON.parse(event.metadata)
    } catch (error) {
      throw new StoreError({
        operation: "open",
        stream: event.stream,
        reason: `${file}: cannot build the instance registry: the metadata of the event at revision ${event.revision} is not valid JSON`,
        cause: error
      })
    }
    row = projectInstance(row, {
      id: event.event_id,
      type: event.type,
      // The registry reads only the metadata (see projection.ts): the data stays unparsed.
      data: null,
      metadata: metadata as Json,
      stream: event.stream,
      revision: event.revision,
      position: BigInt(event.position),
      created: event.created
    })
  }
}

/** "DMES" (durable-monad event store), stored in the header so other tools can tell what the file is. */
export const APPLICATION_ID = 0x444d4553

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    description: "events (global position, UNIQUE(stream, revision)) and streams (names of non-empty streams)",
    // STRICT: a value of the wrong type is an error rather than silently stored (SQLite >= 3.37; better-sqlite3 12
    // bundles 3.5x). `position` is the rowid: never reused as long as events are never deleted, which the store
    // never does. UNIQUE(stream, revision) is the index every read and every revision check seeks in. `streams`
    // gets a row in the transaction that writes a stream's first event and serves listStreams(prefix) as an
    // ordered range scan on its primary key; it deliberately holds no "last revision", which would add a page
    // write to every commit (measured: ~10% of a single writer's throughput) to save one index seek.
    sql: `
      CREATE TABLE events (
        position INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,
        revision INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created INTEGER NOT NULL,
        UNIQUE (stream, revision)
      ) STRICT;
      CREATE TABLE streams (
        name TEXT NOT NULL PRIMARY KEY
      ) STRICT, WITHOUT ROWID;
    `
  },
  {
    version: 2,
    description: "instances (the registry projection) with its status and wake-up indexes, leases; streams dropped",
    // `instances` holds one row per instance stream, kept by the append transaction (see projection.ts). Its
    // primary key serves instances({ workflow }) as a range scan (a workflow's streams are those between
    // "<workflow>-" and "<workflow>."), `instances_by_status` the status filter, and the partial
    // `instances_by_wake` the wake-up index (only rows that want waking are in it). `streams` only served the
    // removed listStreams: dropping it saves a write per new stream. Positions and times fit REAL/INTEGER exactly
    // (< 2^53); wake_at is REAL because a wake-up time is any finite number the runtime wrote.
    sql: `
      CREATE TABLE instances (
        stream TEXT NOT NULL PRIMARY KEY,
        workflow TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        status TEXT NOT NULL,
        revision INTEGER NOT NULL,
        position INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        wake_at REAL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX instances_by_status ON instances (status, stream);
      CREATE INDEX instances_by_wake ON instances (wake_at, stream) WHERE wake_at IS NOT NULL;
      CREATE TABLE leases (
        key TEXT NOT NULL PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        version INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      DROP TABLE streams;
    `,
    run: rebuildRegistry
  }
]

export const LATEST_VERSION = migrations.length

const headerOf = (db: Database) => ({
  applicationId: db.pragma("application_id", { simple: true }) as number,
  version: db.pragma("user_version", { simple: true }) as number
})

const tableCount = (db: Database): number =>
  (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n

/**
 * Checks that `db` is a store file this code can use, or an empty file: throws a StoreError naming `file`
 * otherwise. Only reads, so a refused file is left exactly as it was (not even switched to WAL).
 * @returns whether migrations are needed.
 */
export const inspect = (db: Database, file: string): boolean => {
  const { applicationId, version } = headerOf(db)
  if (applicationId === APPLICATION_ID) {
    if (version > LATEST_VERSION) {
      throw new StoreError({
        operation: "open",
        reason:
          `${file} has store schema version ${version}, written by a newer durable-monad; ` +
          `this version knows schema versions up to ${LATEST_VERSION}. Upgrade durable-monad to open it.`
      })
    }
    return version < LATEST_VERSION
  }
  if (applicationId === 0 && version === 0 && tableCount(db) === 0) return true
  throw new StoreError({
    operation: "open",
    reason:
      `${file} is a SQLite database, but not a durable-monad event store ` +
      `(application_id ${applicationId}, user_version ${version}); refusing to modify it`
  })
}

/** Brings a file that {@link inspect} accepted up to {@link LATEST_VERSION}. Must run outside a transaction. */
export const migrate = (db: Database, file: string): void => {
  db.exec("BEGIN IMMEDIATE")
  try {
    // Re-check under the write lock: another process may have created or migrated the file since inspect.
    if (inspect(db, file)) {
      const { version } = headerOf(db)
      for (const migration of migrations) {
        if (migration.version > version) {
          db.exec(migration.sql)
          migration.run?.(db, file)
        }
      }
      db.pragma(`application_id = ${APPLICATION_ID}`)
      db.pragma(`user_version = ${LATEST_VERSION}`)
    }
    db.exec("COMMIT")
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK")
    throw error
  }
}
