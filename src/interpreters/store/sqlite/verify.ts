/**
 * A whole-file check of a SQLite store, for operators (`durable-monad verify`): SQLite's own integrity check, every
 * event's checksum and JSON, contiguous revisions from 0 in every stream, and the registry against the streams.
 * Read-only, and memory stays at one page of events however large the file is.
 */
import { Effect } from "effect"
import type { InstanceRecord, Json } from "../EventStore.js"
import { StoreError } from "../errors.js"
import { projectInstance } from "../projection.js"
import { eventChecksum } from "./checksum.js"
import { type Database, loadDriver } from "./driver.js"
import { storeError } from "./faults.js"
import { inspect } from "./migrations.js"
import type { RegistryRow } from "./registryRow.js"

/** One problem found, with where it is. */
export interface Problem {
  readonly stream?: string
  readonly revision?: number
  readonly problem: string
}

export interface Verification {
  readonly events: number
  readonly streams: number
  readonly instances: number
  /** Empty when the store is sound. */
  readonly problems: ReadonlyArray<Problem>
}

/** Problems beyond this many are counted, not listed: a badly damaged file must not flood the report. */
const MAX_LISTED = 1000

interface EventRow {
  readonly position: number
  readonly stream: string
  readonly revision: number
  readonly event_id: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  readonly created: number
  readonly checksum: string
}

/** The fields where a registry row differs from the row its events project to, as "field: stored ≠ projected". */
const differences = (row: RegistryRow, expected: InstanceRecord): Array<string> => {
  const pairs: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ["workflow", row.workflow, expected.workflow],
    ["instanceId", row.instance_id, expected.instanceId],
    ["status", row.status, expected.status],
    ["revision", row.revision, expected.revision],
    ["position", BigInt(row.position), expected.position],
    ["created", row.created, expected.created],
    ["updated", row.updated, expected.updated],
    ["wakeAt", row.wake_at ?? undefined, expected.wakeAt]
  ]
  return pairs.filter(([, a, b]) => a !== b).map(([name, a, b]) => `${name}: ${String(a)} ≠ ${String(b)}`)
}

const check = (db: Database): Verification => {
  const problems: Array<Problem> = []
  let dropped = 0
  const report = (problem: Problem) => {
    if (problems.length < MAX_LISTED) problems.push(problem)
    else dropped++
  }

  const integrity = (db.prepare("PRAGMA integrity_check").all() as Array<{ integrity_check: string }>).map(
    (r) => r.integrity_check
  )
  if (integrity.join() !== "ok") for (const line of integrity) report({ problem: `integrity check: ${line}` })

  const registry = new Map<string, RegistryRow>()
  for (const row of db.prepare("SELECT * FROM instances").iterate() as IterableIterator<RegistryRow>) {
    registry.set(row.stream, row)
  }
  const instances = registry.size

  // Keyset pages on (stream, revision): no statement stays open across pages, memory stays at one page.
  const first = db.prepare(
    "SELECT position, stream, revision, event_id, type, data, metadata, created, checksum FROM events ORDER BY stream, revision LIMIT 1024"
  )
  const next = db.prepare(
    "SELECT position, stream, revision, event_id, type, data, metadata, created, checksum FROM events WHERE (stream, revision) > (?, ?) ORDER BY stream, revision LIMIT 1024"
  )
  let events = 0
  let streams = 0
  let stream: string | undefined
  let expectedRevision = 0
  let projected: InstanceRecord | undefined
  const endStream = () => {
    if (stream === undefined) return
    const row = registry.get(stream)
    registry.delete(stream)
    if (projected === undefined) return // not an instance stream (no "-"): no registry row expected
    if (row === undefined) report({ stream, problem: "has events but no row in the instance registry" })
    else {
      const differ = differences(row, projected)
      if (differ.length > 0) {
        report({
          stream,
          revision: projected.revision,
          problem: `its registry row does not match its events (stored ≠ from the events: ${differ.join(", ")})`
        })
      }
    }
  }
  for (let page = first.all() as Array<EventRow>; page.length > 0; ) {
    for (const e of page) {
      events++
      if (e.stream !== stream) {
        endStream()
        stream = e.stream
        streams++
        expectedRevision = 0
        projected = undefined
      }
      const at = { stream: e.stream, revision: e.revision }
      if (e.revision !== expectedRevision) {
        report({
          ...at,
          problem:
            e.revision < expectedRevision
              ? `revision ${e.revision} is out of place (expected ${expectedRevision})`
              : `revisions ${expectedRevision}…${e.revision - 1} are missing`
        })
      }
      expectedRevision = e.revision + 1
      if (e.checksum !== eventChecksum(e.stream, e.revision, e.event_id, e.type, e.data, e.metadata, e.created)) {
        report({ ...at, problem: "does not match its checksum" })
      }
      let metadata: unknown
      try {
        JSON.parse(e.data)
        metadata = JSON.parse(e.metadata)
      } catch {
        report({ ...at, problem: "its data or metadata is not valid JSON" })
        continue
      }
      projected = projectInstance(projected, {
        id: e.event_id,
        type: e.type,
        data: null,
        metadata: metadata as Json,
        stream: e.stream,
        revision: e.revision,
        position: BigInt(e.position),
        created: e.created
      })
    }
    const last = page.at(-1)!
    page = next.all(last.stream, last.revision) as Array<EventRow>
  }
  endStream()
  for (const orphan of registry.keys())
    report({ stream: orphan, problem: "is in the instance registry but has no events" })
  if (dropped > 0) problems.push({ problem: `… and ${dropped} more problems` })
  return { events, streams, instances, problems }
}

/**
 * Check a whole store file, read-only. Fails with a StoreError only when the file cannot be checked at all (missing,
 * not a store, older or newer than this version); every damage found is a {@link Problem} in the result.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteStore } from "durable-monad/sqlite"
 *
 * const report = await Effect.runPromise(SqliteStore.verify("workflows.db"))
 * if (report.problems.length > 0) process.exitCode = 1
 * ```
 */
export const verify = (file: string): Effect.Effect<Verification, StoreError> =>
  Effect.suspend(() => {
    let db: Database
    try {
      db = new (loadDriver())(file, { readonly: true, fileMustExist: true, timeout: 0 })
    } catch (error) {
      return Effect.fail(storeError("open", file, error))
    }
    try {
      if (inspect(db, file)) {
        return Effect.fail(
          new StoreError({
            operation: "open",
            reason: `${file} is not a current durable-monad store (empty, or written by an older version)`
          })
        )
      }
      return Effect.succeed(check(db))
    } catch (error) {
      return Effect.fail(storeError("read", file, error))
    } finally {
      db.close()
    }
  })
