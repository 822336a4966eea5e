/**
 * Where the EventStoreDB adapter keeps its projections: the instance registry (which is also the wake-up index: a
 * row's `wakeAt`) and the checkpoint, the $all position of the last event they include. They live in a SQLite
 * database local to the process — a file when `registryFile` is given, memory otherwise — and are updated in one
 * SQLite transaction per event, so rows and checkpoint never disagree. On restart the projection subscribes from
 * the checkpoint instead of re-reading the whole log.
 *
 * The registry is a cache of the log, never a source of truth: deleting the file (or pointing it at another server,
 * or at a wiped one, which the adapter detects) rebuilds it from $all. Each worker process keeps its own; none writes a second copy
 * into EventStoreDB, so no leader has to be elected to maintain it.
 */
import type { InstanceQuery, InstanceRecord, Position, StoredEvent, WakeUpQuery } from "../EventStore.js"
import { projectInstance } from "../projection.js"
import { type Database, loadDriver } from "../sqlite/driver.js"
import { type RegistryRow, recordOf } from "../sqlite/registryRow.js"

const SCHEMA_VERSION = 1

export interface Registry {
  /** The position of the last event applied, undefined before the first. */
  readonly checkpoint: () => Position | undefined
  /** Apply one event of the log (undefined: an event the registry skips, whose position still counts). */
  readonly apply: (position: Position, event: StoredEvent | undefined) => void
  readonly get: (stream: string) => InstanceRecord | undefined
  /** One page of {@link InstanceQuery} results after the stream `after` (keyset paging). */
  readonly instances: (query: InstanceQuery, after: string | undefined, pageSize: number) => Array<InstanceRecord>
  /** One page of wake-ups after `(wakeAt, stream)` of the previous page's last row. */
  readonly wakeUps: (
    query: WakeUpQuery,
    after: { readonly wakeAt: number; readonly stream: string } | undefined,
    pageSize: number
  ) => Array<InstanceRecord>
  /** Forget every row and the checkpoint: the projection starts again from the beginning of the log. */
  readonly reset: () => void
  readonly close: () => void
}

/** Opens (creating if needed) the registry of the server `server`; a registry built from another server is reset. */
export const openRegistry = (file: string | undefined, server: string): Registry => {
  const Driver = loadDriver()
  const db: Database = new Driver(file ?? ":memory:")
  try {
    db.pragma("journal_mode = WAL")
    // A cache: a crash may lose the last transactions, which the next start re-reads from the checkpoint.
    db.pragma("synchronous = NORMAL")
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS instances (
        stream TEXT PRIMARY KEY, workflow TEXT NOT NULL, instance_id TEXT NOT NULL, status TEXT NOT NULL,
        revision INTEGER NOT NULL, position TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
        wake_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS instances_by_workflow ON instances (workflow, stream);
      CREATE INDEX IF NOT EXISTS instances_by_wake ON instances (wake_at, stream) WHERE wake_at IS NOT NULL;
    `)
    const meta = (key: string) => db.prepare<{ value: string }>("SELECT value FROM meta WHERE key = ?").get(key)?.value
    if (meta("server") !== server || meta("schema") !== String(SCHEMA_VERSION)) {
      db.exec("DELETE FROM instances; DELETE FROM meta;")
      const set = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
      set.run("server", server)
      set.run("schema", String(SCHEMA_VERSION))
    }
  } catch (error) {
    db.close()
    throw error
  }
  const readCheckpoint = db.prepare<{ value: string }>("SELECT value FROM meta WHERE key = 'checkpoint'")
  const writeCheckpoint = db.prepare(
    "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
  )
  const getRow = db.prepare<RegistryRow>("SELECT * FROM instances WHERE stream = ?")
  const upsert = db.prepare(`
    INSERT INTO instances (stream, workflow, instance_id, status, revision, position, created, updated, wake_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (stream) DO UPDATE SET status = excluded.status, revision = excluded.revision,
      position = excluded.position, updated = excluded.updated, wake_at = excluded.wake_at
  `)
  const begin = db.prepare("BEGIN")
  const commit = db.prepare("COMMIT")
  const rollback = db.prepare("ROLLBACK")
  let checkpoint: Position | undefined = (() => {
    const value = readCheckpoint.get()?.value
    return value === undefined ? undefined : BigInt(value)
  })()
  const get = (stream: string) => {
    const row = getRow.get(stream)
    return row === undefined ? undefined : recordOf(row)
  }
  return {
    checkpoint: () => checkpoint,
    apply: (position, event) => {
      begin.run()
      try {
        if (event !== undefined) {
          const previous = get(event.stream)
          const next = projectInstance(previous, event)
          if (next !== undefined && next !== previous) {
            upsert.run(
              next.stream,
              next.workflow,
              next.instanceId,
              next.status,
              next.revision,
              next.position.toString(),
              next.created,
              next.updated,
              next.wakeAt ?? null
            )
          }
        }
        writeCheckpoint.run(position.toString())
        commit.run()
      } catch (error) {
        rollback.run()
        throw error
      }
      checkpoint = position
    },
    get,
    instances: (query, after, pageSize) => {
      const where: Array<string> = []
      const params: Array<unknown> = []
      if (query.workflow !== undefined) where.push("workflow = ?") && params.push(query.workflow)
      if (query.status !== undefined) {
        where.push(`status IN (${query.status.map(() => "?").join(", ")})`)
        params.push(...query.status)
      }
      const from = after ?? query.afterStream
      if (from !== undefined) where.push("stream > ?") && params.push(from)
      const sql = `SELECT * FROM instances ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
        ORDER BY stream LIMIT ?`
      return db
        .prepare<RegistryRow>(sql)
        .all(...params, pageSize)
        .map(recordOf)
    },
    wakeUps: (query, after, pageSize) => {
      const where = ["wake_at IS NOT NULL"]
      const params: Array<unknown> = []
      if (query.until !== undefined) where.push("wake_at <= ?") && params.push(query.until)
      if (query.workflows !== undefined) {
        where.push(`workflow IN (${query.workflows.map(() => "?").join(", ")})`)
        params.push(...query.workflows)
      }
      if (after !== undefined) {
        where.push("(wake_at > ? OR (wake_at = ? AND stream > ?))")
        params.push(after.wakeAt, after.wakeAt, after.stream)
      }
      return db
        .prepare<RegistryRow>(`SELECT * FROM instances WHERE ${where.join(" AND ")} ORDER BY wake_at, stream LIMIT ?`)
        .all(...params, pageSize)
        .map(recordOf)
    },
    reset: () => {
      db.exec("DELETE FROM instances; DELETE FROM meta WHERE key = 'checkpoint';")
      checkpoint = undefined
    },
    close: () => {
      if (db.open) db.close()
    }
  }
}
