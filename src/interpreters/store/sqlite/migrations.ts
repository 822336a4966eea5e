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
import { StoreError } from "../errors.js"
import type { Database } from "./driver.js"

export interface Migration {
  /** The `user_version` a file has once this migration ran: 1, 2, 3, … in order. */
  readonly version: number
  readonly description: string
  readonly sql: string
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
        if (migration.version > version) db.exec(migration.sql)
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
