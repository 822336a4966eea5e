/**
 * What the crash suite checks after every round, against what the child left on disk. Independent of the
 * library's read path: the SQLite file is read with plain SQL (from a copy, so the next round still has to recover
 * the child's own WAL) and the side-effect log is parsed line by line.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { Effect, Layer, Result, Stream } from "effect"
import { EventStore, MemoryStore, replay, type StoredEvent, WorkflowRuntime } from "durable-monad"
import type { Database } from "../../src/interpreters/store/sqlite/driver.js"
import { crashflow, driveToEnd, type Input, type Progress, SideEffects, valueOf, WORKFLOW } from "./workflow.js"

/** What an event must be, regardless of which attempt produced it: its data without the attempt's nonce. */
export interface Expected {
  readonly type: string
  readonly step: string
  readonly occurrence: number | undefined
  readonly essence: string
}

const essenceOf = (data: unknown): string => {
  const { nonce: _, ...rest } = data as { nonce?: unknown }
  return JSON.stringify(rest)
}

const expectedOf = (event: Pick<StoredEvent, "type" | "data" | "metadata">): Expected => {
  const metadata = event.metadata as { step?: unknown; occurrence?: unknown }
  return {
    type: event.type,
    step: String(metadata.step),
    occurrence: typeof metadata.occurrence === "number" ? metadata.occurrence : undefined,
    essence: essenceOf(event.data)
  }
}

export interface Reference {
  /** Per stream, the events of a crash-free run. */
  readonly journals: ReadonlyMap<string, ReadonlyArray<Expected>>
  readonly states: ReadonlyMap<string, Progress>
}

/** The same instances run crash-free, in process, on a MemoryStore. */
export const referenceRun = (instances: ReadonlyArray<Input>): Promise<Reference> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const store = yield* EventStore
      const journals = new Map<string, ReadonlyArray<Expected>>()
      const states = new Map<string, Progress>()
      for (const input of instances) {
        states.set(input.id, yield* driveToEnd(runtime, input))
        const stream = `${WORKFLOW}-${input.id}`
        journals.set(stream, Array.from(yield* Stream.runCollect(store.read(stream)), expectedOf))
      }
      return { journals, states }
    }).pipe(
      Effect.provide(WorkflowRuntime.layer.pipe(Layer.provideMerge(MemoryStore.layer))),
      Effect.provide(
        Layer.succeed(SideEffects, { perform: (key) => Effect.succeed({ v: valueOf(key), nonce: "reference" }) })
      )
    )
  )

export interface Stored {
  readonly integrity: string
  readonly events: ReadonlyMap<string, ReadonlyArray<StoredEvent>>
  /** The registry (`instances` table): per instance stream, the revision and position of its last event. */
  readonly registry: ReadonlyArray<RegistryRow>
  /** The position of each stream's last event. */
  readonly lastPositions: ReadonlyMap<string, number>
}

interface RegistryRow {
  readonly stream: string
  readonly revision: number
  readonly position: number
}

const Driver = createRequire(import.meta.url)("better-sqlite3") as new (file: string) => Database

/** Read the store from a copy of its files (the database and its WAL, as the killed process left them). */
export const readStore = (db: string, scratch: string): Stored => {
  Fs.rmSync(scratch, { recursive: true, force: true })
  Fs.mkdirSync(scratch, { recursive: true })
  const copy = Path.join(scratch, "copy.db")
  const empty = { events: new Map(), registry: [], lastPositions: new Map() }
  if (!Fs.existsSync(db)) return { integrity: "ok", ...empty }
  Fs.copyFileSync(db, copy)
  if (Fs.existsSync(`${db}-wal`)) Fs.copyFileSync(`${db}-wal`, `${copy}-wal`)
  const conn = new Driver(copy)
  try {
    const integrity = (conn.prepare("PRAGMA integrity_check").all() as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .join("; ")
    const tables = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'events'").all()
    if (tables.length === 0) return { integrity, ...empty }
    const rows = conn
      .prepare(
        "SELECT stream, revision, position, event_id AS id, type, data, metadata, created FROM events ORDER BY stream, revision"
      )
      .all() as Array<
      Omit<StoredEvent, "data" | "metadata" | "position"> & { data: string; metadata: string; position: number }
    >
    const events = new Map<string, Array<StoredEvent>>()
    const lastPositions = new Map<string, number>()
    for (const row of rows) {
      let list = events.get(row.stream)
      if (list === undefined) events.set(row.stream, (list = []))
      list.push({
        ...row,
        position: BigInt(row.position),
        data: JSON.parse(row.data),
        metadata: JSON.parse(row.metadata)
      })
      lastPositions.set(row.stream, row.position)
    }
    const registry = conn
      .prepare("SELECT stream, revision, position FROM instances ORDER BY stream")
      .all() as Array<RegistryRow>
    return { integrity, events, registry, lastPositions }
  } finally {
    conn.close()
  }
}

export interface LogLine {
  readonly key: string
  readonly nonce: string
  readonly v: number
}

export const readLog = (file: string): { readonly lines: ReadonlyArray<LogLine>; readonly problems: Array<string> } => {
  const text = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : ""
  const problems: Array<string> = []
  const lines: Array<LogLine> = []
  if (text !== "" && !text.endsWith("\n")) problems.push("the side-effect log ends with a torn line")
  for (const line of text.split("\n").slice(0, -1)) {
    const match = /^([^\t]+)\t([^\t]+)\t(\d+)$/.exec(line)
    if (match === null) problems.push(`malformed side-effect log line ${JSON.stringify(line)}`)
    else lines.push({ key: match[1]!, nonce: match[2]!, v: Number(match[3]) })
  }
  return { lines, problems }
}

export interface Round {
  /** Problems found; empty when the round left everything consistent. */
  readonly problems: ReadonlyArray<string>
  /** Events recorded so far, per stream. */
  readonly recorded: ReadonlyMap<string, number>
  /** Recovered state and status per instance id (from a replay of what is stored). */
  readonly instances: ReadonlyMap<string, { readonly state: unknown; readonly status: string }>
  /** Side effects that ran more than once for the same key (retries after crashes). */
  readonly repeatedKeys: number
}

/**
 * Check one run's store and side-effect log:
 * - the file passes `PRAGMA integrity_check`; the registry has exactly one row per non-empty stream, at the
 *   revision and position of its last event (it is written in the append's transaction, so a kill never leaves it
 *   behind or ahead);
 * - each stream's revisions are 0…n contiguous, its event ids distinct, each (step, occurrence) recorded at most
 *   once, `occurrence` = number of earlier events of that step, and the events are a prefix of the crash-free
 *   run's journal (same steps, same values);
 * - the history replays through the definition (strictly), which also gives the pending step;
 * - every recorded step event's key (`<workflow>/<instance>/<step>/<occurrence>`) is in the log with the event's
 *   nonce and value; every key in the log is a recorded step's or a pending one's; one key, one value.
 */
export const checkRound = (
  stored: Stored,
  log: ReturnType<typeof readLog>,
  instances: ReadonlyArray<Input>,
  reference: Reference
): Round => {
  const problems: Array<string> = [...log.problems]
  if (stored.integrity !== "ok") problems.push(`integrity_check: ${stored.integrity}`)
  const expectedStreams = new Set(instances.map((i) => `${WORKFLOW}-${i.id}`))
  for (const stream of stored.events.keys()) {
    if (!expectedStreams.has(stream)) problems.push(`unexpected stream ${stream}`)
  }
  const heads = [...stored.events.entries()]
    .map(([stream, events]) => ({
      stream,
      revision: events.length - 1,
      position: stored.lastPositions.get(stream)!
    }))
    .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))
  if (JSON.stringify(heads) !== JSON.stringify(stored.registry)) {
    problems.push(`registry ${JSON.stringify(stored.registry)} != the streams' last events ${JSON.stringify(heads)}`)
  }

  const recorded = new Map<string, number>()
  const recoveredInstances = new Map<string, { state: unknown; status: string }>()
  /** key → the nonce and value of its recorded event (undefined: the step is pending). */
  const allowed = new Map<string, { nonce: string; v: number } | undefined>()

  for (const input of instances) {
    const stream = `${WORKFLOW}-${input.id}`
    const events = stored.events.get(stream) ?? []
    const expected = reference.journals.get(stream) ?? []
    const where = (e: StoredEvent) => `${stream}@${e.revision}`
    recorded.set(stream, events.length)
    if (events.length > expected.length) {
      problems.push(`${stream}: ${events.length} events, the crash-free run has ${expected.length}`)
    }
    const ids = new Set<string>()
    const occurrences = new Map<string, number>()
    events.forEach((event, index) => {
      if (event.revision !== index) problems.push(`${where(event)}: expected revision ${index} (gap or duplicate)`)
      if (ids.has(event.id)) problems.push(`${where(event)}: event id ${event.id} stored twice`)
      ids.add(event.id)
      const actual = expectedOf(event)
      const occurrence = occurrences.get(actual.step) ?? 0
      occurrences.set(actual.step, occurrence + 1)
      if (index > 0 && actual.occurrence !== occurrence) {
        problems.push(
          `${where(event)}: step ${actual.step} has occurrence ${actual.occurrence}, expected ${occurrence}`
        )
      }
      const want = expected[index]
      if (want !== undefined && JSON.stringify(actual) !== JSON.stringify(want)) {
        problems.push(`${where(event)}: ${JSON.stringify(actual)} but the crash-free run has ${JSON.stringify(want)}`)
      }
      if (index > 0) {
        const data = event.data as { nonce?: unknown; v?: unknown }
        const key = `${WORKFLOW}/${input.id}/${actual.step}/${actual.occurrence}`
        if (allowed.has(key)) problems.push(`${where(event)}: key ${key} recorded twice`)
        allowed.set(key, { nonce: String(data.nonce), v: Number(data.v) })
      }
    })
    if (events.length === 0) continue
    const replayed = replay(crashflow, stream, events)
    if (Result.isFailure(replayed)) {
      problems.push(`${stream}: replay failed: ${replayed.failure.message}`)
      continue
    }
    const { status, state } = replayed.success
    recoveredInstances.set(input.id, { state, status: status._tag })
    if (status._tag === "Running" || status._tag === "Waiting") {
      const key = `${WORKFLOW}/${input.id}/${status.step}/${occurrences.get(status.step) ?? 0}`
      allowed.set(key, undefined)
    }
  }
  // A stream not created yet: its first step may not have run, so no key of it may be in the log.

  const seen = new Map<string, number>()
  const attempts = new Set<string>()
  for (const line of log.lines) {
    seen.set(line.key, (seen.get(line.key) ?? 0) + 1)
    attempts.add(`${line.key}\t${line.nonce}\t${line.v}`)
    if (!allowed.has(line.key)) problems.push(`side effect ${line.key} belongs to no recorded or pending step`)
    if (line.v !== valueOf(line.key)) problems.push(`side effect ${line.key} logged value ${line.v}`)
  }
  for (const [key, event] of allowed) {
    if (event !== undefined && !attempts.has(`${key}\t${event.nonce}\t${event.v}`)) {
      problems.push(`recorded ${key} (nonce ${event.nonce}) has no side effect with that key and nonce in the log`)
    }
  }
  let repeatedKeys = 0
  for (const count of seen.values()) if (count > 1) repeatedKeys++
  return { problems, recorded, instances: recoveredInstances, repeatedKeys }
}
