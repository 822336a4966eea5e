import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { Cause, Effect, Exit, Fiber, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { READ_PAGE_SIZE } from "../../../src/interpreters/store/storeRules.js"
import {
  type EventData,
  EventStore,
  NoStream,
  StoreError,
  WrongExpectedRevision
} from "../../../src/interpreters/store/index.js"
import type { Database, DatabaseConstructor } from "../../../src/interpreters/store/sqlite/driver.js"
import { isCorruption } from "../../../src/interpreters/store/errors.js"
import { eventChecksum } from "../../../src/interpreters/store/sqlite/checksum.js"
import { APPLICATION_ID, LATEST_VERSION, migrations } from "../../../src/interpreters/store/sqlite/migrations.js"
import {
  acquireJournal,
  type JournalOptions,
  logPageWithPrefixes,
  MAX_BATCH_EVENTS,
  openJournal,
  PAGE_BYTES,
  SQL,
  type SqliteJournal,
  serviceOf
} from "../../../src/interpreters/store/sqlite/SqliteJournal.js"
import { SqliteStore } from "../../../src/sqlite.js"
import { contractEventId, storeContract } from "durable-monad/testing"

const require = createRequire(import.meta.url)
const BetterSqlite3 = require("better-sqlite3") as DatabaseConstructor

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-sqlite-"))
let files = 0
const freshFile = (name = "store") => Path.join(dir, `${name}-${++files}.db`)
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

storeContract({ describe, it }, { name: "sqlite", makeLayer: () => SqliteStore.layer({ file: freshFile() }) })

/** Names of the events the tests append, by their UUID, so assertions can speak of events by name. */
const names = new Map<string, string>()
const uid = (name: string): string => {
  const id = contractEventId(name)
  names.set(id, name)
  return id
}

const ev = (name: string, data: EventData["data"] = { n: name }): EventData => ({
  id: uid(name),
  type: "Happened",
  data,
  metadata: {}
})

type Store = EventStore["Service"]

/** Runs `body` against a journal (for its counters and connection) and the EventStore service on top of it. */
/**
 * Seeds stream "full-1" with one event, then caps the file two pages on with SQLite's own limit, so "database or disk
 * is full" happens at a chosen point without filling a disk. Returns five events too big to fit together.
 */
const nearlyFull = (store: Store, journal: SqliteJournal) =>
  Effect.gen(function* () {
    yield* store.append("full-1", NoStream, [ev("seed")])
    const pages = journal.db.pragma("page_count", { simple: true }) as number
    journal.db.pragma(`max_page_count = ${pages + 2}`)
    return Array.from({ length: 5 }, (_, i) => ev(`big-${i}`, "x".repeat(20_000)))
  })

const withStore = <A, E>(
  options: Partial<JournalOptions> & { readonly file: string },
  body: (store: Store, journal: SqliteJournal) => Effect.Effect<A, E>
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(acquireJournal({ synchronous: "FULL", busyTimeoutMs: 5000, ...options }), (journal) =>
        body(serviceOf(journal), journal)
      )
    )
  )

const readAll = (store: Store, stream: string, options?: { fromRevision?: number; maxCount?: number }) =>
  Stream.runCollect(store.read(stream, options))

/** The names of a stream's events (an id the tests did not make stays as it is, and fails the comparison). */
const ids = (store: Store, stream: string) =>
  Effect.map(readAll(store, stream), (events) => events.map((e) => names.get(e.id) ?? e.id))

/** The error of a failed effect, whatever its type, for exact assertions. */
const failure = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
    const error = Cause.findErrorOption(exit.cause)
    if (error._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return error.value
  })

const openFailure = (options: SqliteStore.SqliteStoreOptions) =>
  Effect.runPromise(failure(Effect.scoped(SqliteStore.make(options))))

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const rawConnection = (file: string): Database => new BetterSqlite3(file)

/** Change an event's columns with a raw connection, and give it the checksum that matches what it now holds. */
const rewriteEvent = (file: string, stream: string, revision: number, change: { readonly data?: string }) => {
  const raw = rawConnection(file)
  const row = raw
    .prepare("SELECT event_id, type, data, metadata, created FROM events WHERE stream = ? AND revision = ?")
    .get(stream, revision) as { event_id: string; type: string; data: string; metadata: string; created: number }
  const data = change.data ?? row.data
  raw
    .prepare("UPDATE events SET data = ?, checksum = ? WHERE stream = ? AND revision = ?")
    .run(
      data,
      eventChecksum(stream, revision, row.event_id, row.type, data, row.metadata, row.created),
      stream,
      revision
    )
  raw.close()
}

/**
 * Counts the commits recorded in a WAL file: frames whose "database size after commit" field is non-zero, among
 * the frames that belong to the current WAL generation (same salts as the header). An account of transactions
 * that does not rely on the store's own counters.
 */
const walCommits = (file: string): number => {
  const wal = Fs.existsSync(`${file}-wal`) ? Fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)
  if (wal.length < 32) return 0
  const pageSize = wal.readUInt32BE(8)
  const [salt1, salt2] = [wal.readUInt32BE(16), wal.readUInt32BE(20)]
  let commits = 0
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    if (wal.readUInt32BE(offset + 8) !== salt1 || wal.readUInt32BE(offset + 12) !== salt2) break
    if (wal.readUInt32BE(offset + 4) !== 0) commits++
  }
  return commits
}

// ---------------------------------------------------------------------------------------------------------------
// Another process holding the write lock: a real child process, as a second application would.

const LOCKER = `
const Database = require(process.argv[1])
const db = new Database(process.argv[2])
db.exec("BEGIN EXCLUSIVE")
process.stdout.write("locked\\n")
process.stdin.once("data", () => {
  db.exec("COMMIT")
  db.close()
  process.stdout.write("released\\n")
})
`
const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) child.kill()
  children.clear()
})

const lockInChildProcess = (file: string) =>
  Effect.promise(async () => {
    const child = spawn(process.execPath, ["-e", LOCKER, require.resolve("better-sqlite3"), file], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    children.add(child)
    const lines = Readline.createInterface({ input: child.stdout! })
    const nextLine = () =>
      new Promise<string>((resolve, reject) => {
        lines.once("line", resolve)
        child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)))
      })
    expect(await nextLine()).toBe("locked")
    return {
      release: Effect.promise(async () => {
        child.stdin!.write("release\n")
        expect(await nextLine()).toBe("released")
        child.stdin!.end()
      })
    }
  })

/** Waits (without a deadline of its own: the test timeout bounds it) until `condition` holds. */
const waitUntil = (condition: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.flatMap(Effect.sleep(2), () => waitUntil(condition))))

describe("SqliteStore", () => {
  describe("file format", () => {
    it("uses a WAL-mode file with the schema version, leaves one self-contained file when closed, and keeps events across reopening", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          expect(journal.db.pragma("synchronous", { simple: true })).toBe(2) // FULL
          expect(journal.db.pragma("journal_mode", { simple: true })).toBe("wal")
          yield* store.append("order-1", NoStream, [ev("a"), ev("b")])
        })
      )
      // The last connection out switches back to a rollback journal, so the closed file reads without -wal/-shm
      // (and from a read-only directory).
      expect([Fs.existsSync(`${file}-wal`), Fs.existsSync(`${file}-shm`)]).toEqual([false, false])
      const raw = rawConnection(file)
      expect(raw.pragma("journal_mode", { simple: true })).toBe("delete")
      expect(raw.pragma("user_version", { simple: true })).toBe(LATEST_VERSION)
      expect(raw.pragma("application_id", { simple: true })).toBe(APPLICATION_ID)
      expect(raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all()).toEqual([
        { name: "events" },
        { name: "instances" },
        { name: "leases" }
      ])
      expect(
        raw.prepare("SELECT position, stream, revision, event_id, type, data, metadata FROM events").all()
      ).toEqual([
        {
          position: 1,
          stream: "order-1",
          revision: 0,
          event_id: uid("a"),
          type: "Happened",
          data: '{"n":"a"}',
          metadata: "{}"
        },
        {
          position: 2,
          stream: "order-1",
          revision: 1,
          event_id: uid("b"),
          type: "Happened",
          data: '{"n":"b"}',
          metadata: "{}"
        }
      ])
      raw.close()
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* ids(store, "order-1")).toEqual(["a", "b"])
          expect(yield* store.append("order-1", 1, [ev("c")])).toEqual({ nextExpectedRevision: 2, position: 3n })
          expect(yield* ids(store, "order-1")).toEqual(["a", "b", "c"])
        })
      )
    })

    it("applies the configured synchronous level", async () => {
      for (const [synchronous, level] of [
        ["NORMAL", 1],
        ["FULL", 2]
      ] as const) {
        await withStore({ file: freshFile(), synchronous }, (_, journal) =>
          Effect.sync(() => expect(journal.db.pragma("synchronous", { simple: true })).toBe(level))
        )
      }
    })

    it("creates missing parent directories", async () => {
      const file = Path.join(dir, "nested", "deeper", "workflows.db")
      await Effect.runPromise(
        Effect.gen(function* () {
          const store = yield* SqliteStore.make({ file })
          yield* store.append("x-1", NoStream, [ev("a")])
        }).pipe(Effect.scoped)
      )
      expect(Fs.statSync(file).isFile()).toBe(true)
    })

    it("refuses a file written by a newer schema version, naming the file, and leaves it alone", async () => {
      const file = freshFile()
      await withStore({ file }, (store) => store.append("x-1", NoStream, [ev("a")]))
      const raw = rawConnection(file)
      raw.pragma(`user_version = ${LATEST_VERSION + 1}`)
      raw.close()
      const error = await openFailure({ file })
      expect(error).toBeInstanceOf(StoreError)
      expect(error).toMatchObject({ _tag: "StoreError", operation: "open" })
      expect((error as StoreError).reason).toBe(
        `${file} has store schema version ${LATEST_VERSION + 1}, written by a newer durable-monad; ` +
          `this version knows schema versions up to ${LATEST_VERSION}. Upgrade durable-monad to open it.`
      )
      const check = rawConnection(file)
      expect(check.pragma("user_version", { simple: true })).toBe(LATEST_VERSION + 1)
      expect(check.prepare("SELECT event_id FROM events").all()).toEqual([{ event_id: uid("a") }])
      check.close()
    })

    it("refuses another application's SQLite database without converting it to WAL", async () => {
      const file = freshFile("foreign")
      const raw = rawConnection(file)
      raw.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')")
      raw.close()
      const error = await openFailure({ file })
      expect(error).toMatchObject({
        _tag: "StoreError",
        operation: "open",
        reason: `${file} is a SQLite database, but not a durable-monad event store (application_id 0, user_version 0); refusing to modify it`
      })
      const check = rawConnection(file)
      expect(check.pragma("journal_mode", { simple: true })).toBe("delete")
      expect(check.prepare("SELECT name FROM users").all()).toEqual([{ name: "ada" }])
      check.close()
    })

    it("refuses a file of random bytes and a text file, naming the file, without changing them", async () => {
      const random = freshFile("random")
      const bytes = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256))
      Fs.writeFileSync(random, bytes)
      const text = freshFile("text")
      Fs.writeFileSync(text, "these are not the bytes you are looking for\n".repeat(200))
      for (const file of [random, text]) {
        const before = Fs.readFileSync(file)
        const error = await openFailure({ file })
        expect(error).toBeInstanceOf(StoreError)
        expect(error).toMatchObject({ operation: "open" })
        expect((error as StoreError).reason).toBe(
          `${file} is not a SQLite database, or it is encrypted: file is not a database (SQLITE_NOTADB)`
        )
        expect(Fs.readFileSync(file).equals(before)).toBe(true)
      }
    })

    it("refuses a directory", async () => {
      const path = Path.join(dir, "a-directory")
      Fs.mkdirSync(path)
      expect(await openFailure({ file: path })).toMatchObject({
        _tag: "StoreError",
        operation: "open",
        reason: `${path} is a directory, not a database file`
      })
    })

    it("rejects invalid options with a StoreError", async () => {
      const file = freshFile()
      expect(await openFailure({ file, synchronous: "OFF" as never })).toMatchObject({
        operation: "open",
        reason: 'synchronous must be one of FULL, NORMAL, got "OFF"'
      })
      expect(await openFailure({ file, busyTimeoutMs: -1 })).toMatchObject({
        operation: "open",
        reason: "busyTimeoutMs must be an integer >= 0, got -1"
      })
      expect(await openFailure({ file, pollIntervalMs: 0 })).toMatchObject({
        operation: "open",
        reason: "pollIntervalMs must be an integer > 0, got 0"
      })
      expect(await openFailure({ file: ":memory:" })).toMatchObject({
        operation: "open",
        reason: 'file must be the path of a database file, got ":memory:"'
      })
      expect(Fs.existsSync(file)).toBe(false)
    })

    it("reports a damaged file as corrupt, naming it", async () => {
      const file = freshFile("damaged")
      await withStore({ file }, (store) => store.append("x-1", NoStream, [ev("a"), ev("b")]))
      // Closing checkpointed the WAL into the file; page 2 is the root of the events table.
      const fd = Fs.openSync(file, "r+")
      Fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096)
      Fs.closeSync(fd)
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          const error = yield* failure(readAll(store, "x-1"))
          expect(error).toBeInstanceOf(StoreError)
          expect(error).toMatchObject({ operation: "read", stream: "x-1" })
          expect((error as StoreError).reason).toMatch(
            new RegExp(`^${escape(file)} is corrupt: .*\\(SQLITE_CORRUPT\\)$`)
          )
        })
      )
    })

    it("reports an event whose stored JSON is invalid, naming the stream and revision", async () => {
      const file = freshFile()
      await withStore({ file }, (store) => store.append("x-1", NoStream, [ev("a"), ev("b")]))
      // Written as a buggy tool would: with a checksum that matches its invalid JSON.
      rewriteEvent(file, "x-1", 1, { data: "{oops" })
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* failure(readAll(store, "x-1"))).toMatchObject({
            _tag: "StoreError",
            operation: "read",
            stream: "x-1",
            reason: `${file}: the data of the event at revision 1 is not valid JSON`
          })
          expect((yield* readAll(store, "x-1", { maxCount: 1 })).map((e) => e.id)).toEqual([uid("a")])
        })
      )
    })
  })

  describe("damage is reported with the stream and revision, never loaded", () => {
    const damaged = (file: string, stream: string, revision: number, reason: string) => ({
      _tag: "StoreError",
      operation: "read",
      stream,
      reason: `${file} is damaged: ${stream}@${revision}: ${reason}`
    })
    const tampered = async (change: (raw: Database) => void) => {
      const file = freshFile()
      await withStore({ file }, (store) => store.append("x-1", NoStream, [ev("a"), ev("b"), ev("c")]))
      const raw = rawConnection(file)
      change(raw)
      raw.close()
      return file
    }
    const CHECKSUM =
      "the event does not match its checksum (it was changed outside durable-monad, or the file is damaged)"

    it.each([
      ["type", "UPDATE events SET type = 'Bogus' WHERE revision = 1"],
      ["data", `UPDATE events SET data = '{"n":"B"}' WHERE revision = 1`],
      ["metadata", `UPDATE events SET metadata = '{"step":"t"}' WHERE revision = 1`],
      ["event id", `UPDATE events SET event_id = '${uid("z")}' WHERE revision = 1`],
      ["time", "UPDATE events SET created = created + 1 WHERE revision = 1"]
    ])("an event whose %s was changed fails its checksum", async (_, sql) => {
      const file = await tampered((raw) => raw.prepare(sql).run())
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          const error = yield* failure(readAll(store, "x-1"))
          expect(error).toMatchObject(damaged(file, "x-1", 1, CHECKSUM))
          expect(isCorruption(error)).toBe(true)
          expect(yield* failure(Stream.runCollect(store.readAll()))).toMatchObject(damaged(file, "x-1", 1, CHECKSUM))
        })
      )
    })

    it("a deleted last event: the stream disagrees with its registry row", async () => {
      const file = await tampered((raw) => raw.prepare("DELETE FROM events WHERE revision = 2").run())
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* failure(readAll(store, "x-1"))).toMatchObject(
            damaged(file, "x-1", 2, "the instance registry says the last event is at revision 2, the stream ends at 1")
          )
        })
      )
    })

    it("a deleted registry row", async () => {
      const file = await tampered((raw) => raw.prepare("DELETE FROM instances WHERE stream = 'x-1'").run())
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* failure(readAll(store, "x-1"))).toMatchObject(
            damaged(file, "x-1", 2, "the stream has events but no row in the instance registry")
          )
        })
      )
    })

    it("a row inserted at revision -1 is read and refused, not hidden before revision 0", async () => {
      const file = await tampered((raw) =>
        raw
          .prepare(
            "INSERT INTO events (stream, revision, event_id, type, data, metadata, created, checksum) SELECT stream, -1, event_id, type, data, metadata, created, checksum FROM events WHERE revision = 0"
          )
          .run()
      )
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* failure(readAll(store, "x-1"))).toMatchObject(
            damaged(file, "x-1", -1, "an event at a negative revision")
          )
        })
      )
    })
  })

  describe("bad input", () => {
    it("fails with a StoreError naming the problem, writes nothing, and keeps working", async () => {
      const circular: Record<string, unknown> = {}
      circular.self = circular
      await withStore({ file: freshFile() }, (store) =>
        Effect.gen(function* () {
          const append = (stream: string, expected: number, events: ReadonlyArray<unknown>) =>
            failure(store.append(stream, expected, events as ReadonlyArray<EventData>))
          expect(yield* append("in-1", NoStream, [ev("a"), ev("b", 10n as never)])).toMatchObject({
            _tag: "StoreError",
            operation: "append",
            stream: "in-1",
            reason: `event 1 (id ${uid("b")}): the data cannot be encoded as JSON: Do not know how to serialize a BigInt`
          })
          expect(yield* append("in-1", NoStream, [{ ...ev("a"), metadata: circular }])).toMatchObject({
            reason: expect.stringMatching(
              new RegExp(`^event 0 \\(id ${uid("a")}\\): the metadata cannot be encoded as JSON: `)
            )
          })
          expect(yield* append("in-1", NoStream, [{ ...ev("a"), data: undefined }])).toMatchObject({
            reason: `event 0 (id ${uid("a")}): the data is not a JSON value (got undefined)`
          })
          expect(yield* append("in-1", NoStream, [{ ...ev("a"), id: 7 }])).toMatchObject({
            reason: "event 0: the id must be a UUID in lowercase canonical form, got 7"
          })
          expect(yield* append("in-\uD800", NoStream, [ev("a")])).toMatchObject({
            stream: "in-\uD800",
            reason: "the stream name must be a well-formed Unicode string"
          })
          expect(yield* append("in-1", 1.5, [ev("a")])).toMatchObject({
            reason: "the expected revision must be an integer >= -1 (NoStream), got 1.5"
          })
          expect(yield* failure(readAll(store, "in-1", { fromRevision: -1 }))).toMatchObject({
            _tag: "StoreError",
            operation: "read",
            stream: "in-1",
            reason: 'fromRevision must be an integer >= 0 or "end", got -1'
          })
          expect(yield* ids(store, "in-1")).toEqual([])
          expect(yield* Stream.runCollect(store.instances())).toEqual([])
          yield* store.append("in-1", NoStream, [ev("a"), ev("emoji 🚀")])
          expect(yield* ids(store, "in-1")).toEqual(["a", "emoji 🚀"])
        })
      )
    })
  })

  describe("group commit", () => {
    it("commits many concurrent appends to different streams in one transaction", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          const commitsBefore = walCommits(file)
          const results = yield* Effect.forEach(
            Array.from({ length: 100 }, (_, i) => i),
            (i) => store.append(`wf-${i}`, NoStream, [ev(`wf-${i}/0`), ev(`wf-${i}/1`)]),
            { concurrency: "unbounded" }
          )
          expect(results).toEqual(
            Array.from({ length: 100 }, (_, i) => ({ nextExpectedRevision: 1, position: BigInt(2 * i + 2) }))
          )
          expect(journal.stats).toMatchObject({ transactions: 1, appends: 100 })
          expect(walCommits(file) - commitsBefore).toBe(1)
          for (const i of [0, 57, 99]) expect(yield* ids(store, `wf-${i}`)).toEqual([`wf-${i}/0`, `wf-${i}/1`])
        })
      )
    })

    it("a conflicting append in a batch fails alone; the others commit", async () => {
      await withStore({ file: freshFile() }, (store, journal) =>
        Effect.gen(function* () {
          yield* store.append("b-2", NoStream, [ev("seed")])
          const before = journal.stats.transactions
          const [one, two, three] = yield* Effect.all(
            [
              Effect.exit(store.append("b-1", NoStream, [ev("one")])),
              Effect.exit(store.append("b-2", 5, [ev("two")])),
              Effect.exit(store.append("b-3", NoStream, [ev("three")]))
            ],
            { concurrency: "unbounded" }
          )
          expect(journal.stats.transactions - before).toBe(1)
          expect(one).toEqual(Exit.succeed({ nextExpectedRevision: 0, position: 2n }))
          expect(two).toEqual(Exit.fail(new WrongExpectedRevision({ stream: "b-2", expected: 5, actual: 0 })))
          expect(three).toEqual(Exit.succeed({ nextExpectedRevision: 0, position: 3n }))
          expect(yield* ids(store, "b-1")).toEqual(["one"])
          expect(yield* ids(store, "b-2")).toEqual(["seed"])
          expect(yield* ids(store, "b-3")).toEqual(["three"])
        })
      )
    })

    it("appends to the same stream in one batch see each other, in arrival order", async () => {
      await withStore({ file: freshFile() }, (store, journal) =>
        Effect.gen(function* () {
          const chained = yield* Effect.all(
            [
              store.append("s-1", NoStream, [ev("a")]),
              store.append("s-1", 0, [ev("b"), ev("c")]),
              store.append("s-1", 2, [ev("d")])
            ],
            { concurrency: "unbounded" }
          )
          expect(chained).toEqual([
            { nextExpectedRevision: 0, position: 1n },
            { nextExpectedRevision: 2, position: 3n },
            { nextExpectedRevision: 3, position: 4n }
          ])
          expect(journal.stats.transactions).toBe(1)
          const [first, second] = yield* Effect.all(
            [
              Effect.exit(store.append("s-2", NoStream, [ev("x")])),
              Effect.exit(store.append("s-2", NoStream, [ev("y")]))
            ],
            { concurrency: "unbounded" }
          )
          expect(journal.stats.transactions).toBe(2)
          expect(first).toEqual(Exit.succeed({ nextExpectedRevision: 0, position: 5n }))
          expect(second).toEqual(Exit.fail(new WrongExpectedRevision({ stream: "s-2", expected: -1, actual: 0 })))
          expect(yield* ids(store, "s-1")).toEqual(["a", "b", "c", "d"])
          expect(yield* ids(store, "s-2")).toEqual(["x"])
        })
      )
    })

    it("a lone sequential writer gets one transaction per append, with nothing to wait for", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          const commitsBefore = walCommits(file)
          for (let i = 0; i < 20; i++) yield* store.append("solo-1", i - 1, [ev(`e${i}`)])
          expect(journal.stats).toMatchObject({ transactions: 20, appends: 20 })
          expect(walCommits(file) - commitsBefore).toBe(20)
        })
      )
    })

    it("lease operations queued with appends share their transaction and WAL commit, and each gets its own answer", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          yield* store.append("order-1", NoStream, [ev("seed")])
          const commitsBefore = walCommits(file)
          const [appended, won, lost, other] = yield* Effect.all(
            [
              store.append("order-1", 0, [ev("next")]),
              store.acquireLease("order-1", "worker-a", 1000),
              store.acquireLease("order-1", "worker-b", 1000),
              store.acquireLease("order-2", "worker-b", 1000)
            ],
            { concurrency: "unbounded" }
          )
          expect(appended).toEqual({ nextExpectedRevision: 1, position: 2n })
          // Under the TestClock the time is 0: a lease expires at its ttl.
          const lease = { key: "order-1", owner: "worker-a", expiresAt: 1000, version: 1 }
          expect(won).toEqual(Option.some(lease))
          expect(lost).toEqual(Option.none())
          expect(other).toEqual(Option.some({ key: "order-2", owner: "worker-b", expiresAt: 1000, version: 1 }))
          expect(journal.stats).toMatchObject({ transactions: 2, appends: 2, leases: 3 })
          expect(walCommits(file) - commitsBefore).toBe(1)

          // Renew, release and a new owner's acquire in one batch: applied in arrival order, each its own result.
          const [renewed, released, taken, stale] = yield* Effect.all(
            [
              store.renewLease(lease, 5000),
              store.releaseLease({ ...lease, version: 2 }),
              store.acquireLease("order-1", "worker-b", 1000),
              store.renewLease(lease, 5000)
            ],
            { concurrency: "unbounded" }
          )
          expect(renewed).toEqual(Option.some({ ...lease, expiresAt: 5000, version: 2 }))
          expect(released).toBeUndefined()
          expect(taken).toEqual(Option.some({ key: "order-1", owner: "worker-b", expiresAt: 1000, version: 3 }))
          expect(stale).toEqual(Option.none())
          expect(journal.stats).toMatchObject({ transactions: 3, leases: 7 })
          expect(walCommits(file) - commitsBefore).toBe(2)
        }).pipe(Effect.provide(TestClock.layer()))
      )
      // Committed like the events: another connection sees the holder.
      const raw = rawConnection(file)
      expect(raw.prepare("SELECT key, owner, expires_at, version FROM leases ORDER BY key").all()).toEqual([
        { key: "order-1", owner: "worker-b", expires_at: 1000, version: 3 },
        { key: "order-2", owner: "worker-b", expires_at: 1000, version: 1 }
      ])
      raw.close()
    })

    it("a lease operation whose batch fails to write is retried alone, and answers as if alone", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          const big = yield* nearlyFull(store, journal)
          const [tooBig, lease] = yield* Effect.all(
            [Effect.exit(store.append("full-1", 0, big)), store.acquireLease("full-1", "worker-a", 1000)],
            { concurrency: "unbounded" }
          )
          expect(yield* failure(tooBig)).toMatchObject({ operation: "append", stream: "full-1" })
          expect(lease).toEqual(Option.some({ key: "full-1", owner: "worker-a", expiresAt: 1000, version: 1 }))
          expect(yield* store.acquireLease("full-1", "worker-b", 1000)).toEqual(Option.none())
        }).pipe(Effect.provide(TestClock.layer()))
      )
    })

    it("two stores on one file (as two processes would have) still let exactly one conflicting append win", async () => {
      const file = freshFile()
      await withStore({ file }, (storeA) =>
        Effect.promise(() =>
          withStore({ file }, (storeB) =>
            Effect.gen(function* () {
              yield* storeA.append("shared-1", NoStream, [ev("seed")])
              const exits = yield* Effect.all(
                [
                  Effect.exit(storeA.append("shared-1", 0, [ev("from-a")])),
                  Effect.exit(storeB.append("shared-1", 0, [ev("from-b")]))
                ],
                { concurrency: "unbounded" }
              )
              expect(exits.filter(Exit.isSuccess)).toHaveLength(1)
              const winner = Exit.isSuccess(exits[0]) ? "from-a" : "from-b"
              expect(exits.filter(Exit.isFailure)[0]).toEqual(
                Exit.fail(new WrongExpectedRevision({ stream: "shared-1", expected: 0, actual: 1 }))
              )
              expect(yield* ids(storeA, "shared-1")).toEqual(["seed", winner])
              expect(yield* ids(storeB, "shared-1")).toEqual(["seed", winner])
            })
          )
        )
      )
    })
  })

  describe("paged reads", () => {
    it("reads a 200,000-event stream page by page: taking 10 events costs one page query", async () => {
      const total = 200_000
      const chunk = 1000
      await withStore({ file: freshFile() }, (store, journal) =>
        Effect.gen(function* () {
          // 200 appends queued together, each expecting the revision the previous one leaves.
          yield* Effect.forEach(
            Array.from({ length: total / chunk }, (_, c) => c),
            (c) =>
              store.append(
                "huge-1",
                c * chunk - 1,
                Array.from({ length: chunk }, (_, i) => ev(`e${c * chunk + i}`, c * chunk + i))
              ),
            { concurrency: "unbounded" }
          )
          // A transaction takes whole appends up to MAX_BATCH_EVENTS (8 of these), so 200 appends took 25.
          const appendsPerTransaction = Math.floor(MAX_BATCH_EVENTS / chunk)
          expect(journal.stats.transactions).toBe(Math.ceil(total / chunk / appendsPerTransaction))

          let queries = journal.stats.pageQueries
          const first = yield* Stream.runCollect(Stream.take(store.read("huge-1"), 10))
          expect(first.map((e) => [e.revision, e.data])).toEqual(Array.from({ length: 10 }, (_, i) => [i, i]))
          expect(journal.stats.pageQueries - queries).toBe(1)

          queries = journal.stats.pageQueries
          const window = yield* readAll(store, "huge-1", { fromRevision: 150_000, maxCount: 3 })
          expect(window.map((e) => e.id)).toEqual([uid("e150000"), uid("e150001"), uid("e150002")])
          expect(journal.stats.pageQueries - queries).toBe(1)

          // Folding without collecting: only the running count is kept.
          queries = journal.stats.pageQueries
          const counted = yield* Stream.runFold(
            store.read("huge-1"),
            () => ({ count: 0, ordered: true }),
            (acc, e) => ({
              count: acc.count + 1,
              ordered: acc.ordered && e.revision === acc.count && e.data === acc.count
            })
          )
          expect(counted).toEqual({ count: total, ordered: true })
          expect(journal.stats.pageQueries - queries).toBe(Math.ceil(total / READ_PAGE_SIZE))
        })
      )
    }, 20_000)

    it("ends a page early once it holds PAGE_BYTES of JSON, so large events are not read a thousand at a time", async () => {
      const big = "x".repeat(PAGE_BYTES / 4)
      await withStore({ file: freshFile() }, (store, journal) =>
        Effect.gen(function* () {
          const events = Array.from({ length: 10 }, (_, i) => ev(`big-${i}`, big))
          yield* store.append("big-1", NoStream, events)
          const queries = journal.stats.pageQueries
          const read = yield* readAll(store, "big-1")
          expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id))
          expect(read.every((e) => e.data === big)).toBe(true)
          // Each event's JSON is just over a quarter of the budget: pages of 4, 4, 2 events.
          expect(journal.stats.pageQueries - queries).toBe(3)
          // the same for the log, with and without a filter, and for a subscription
          for (const options of [{}, { filter: { streamPrefixes: ["big-"] } }]) {
            const before = journal.stats.pageQueries
            expect((yield* Stream.runCollect(store.readAll(options))).map((e) => e.id)).toEqual(events.map((e) => e.id))
            expect(journal.stats.pageQueries - before).toBe(3)
          }
          const followed = yield* Stream.runCollect(Stream.take(store.subscribe(), 10))
          expect(followed.map((e) => e.id)).toEqual(events.map((e) => e.id))
        })
      )
    })

    it("lists a workflow's instances across pages as a range of the registry's primary key", async () => {
      await withStore({ file: freshFile() }, (store, journal) =>
        Effect.gen(function* () {
          const names = Array.from({ length: 2500 }, (_, i) => `wf-${String(i).padStart(4, "0")}`)
          yield* Effect.forEach(
            [...names, "we-1", "wf_other", "wf.x-1", "wg-1"],
            (name) => store.append(name, NoStream, [ev(name)]),
            { concurrency: "unbounded" }
          )
          const list = (query: Parameters<Store["instances"]>[0]) =>
            Effect.map(Stream.runCollect(store.instances(query)), (rows) => rows.map((r) => r.stream))
          let queries = journal.stats.pageQueries
          expect(yield* list({ workflow: "wf" })).toEqual(names)
          expect(journal.stats.pageQueries - queries).toBe(3)
          queries = journal.stats.pageQueries
          expect(yield* list({ workflow: "wf", afterStream: "wf-0999", limit: 1000 })).toEqual(names.slice(1000, 2000))
          expect(journal.stats.pageQueries - queries).toBe(1)
          expect(yield* list({ workflow: "we" })).toEqual(["we-1"])
          expect(yield* list({ workflow: "wf.x" })).toEqual(["wf.x-1"])
          expect(yield* list({ afterStream: "wf-2499" })).toEqual(["wf.x-1", "wg-1"])
        })
      )
    })

    it("reads of streams, the log and the registry are index seeks, never table scans", async () => {
      await withStore({ file: freshFile() }, (_, journal) =>
        Effect.sync(() => {
          const plan = (sql: string) =>
            journal.db
              .prepare<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
              .all(
                ...sql
                  .split("?")
                  .slice(1)
                  .map(() => null)
              )
              .map((row) => row.detail)
          const expected: Record<string, RegExp> = {
            readPage: /^SEARCH events USING INDEX sqlite_autoindex_events_1 \(stream=\? AND revision>\?\)$/,
            readBackwardsPage: /^SEARCH events USING INDEX sqlite_autoindex_events_1 \(stream=\? AND revision<\?\)$/,
            lastRevision: /^SEARCH events USING COVERING INDEX sqlite_autoindex_events_1 \(stream=\?\)$/,
            eventIdAt: /^SEARCH events USING INDEX sqlite_autoindex_events_1 \(stream=\? AND revision=\?\)$/,
            logEnd: /^SEARCH events$/,
            logPage: /^SEARCH events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/,
            registryRow: /^SEARCH instances USING PRIMARY KEY \(stream=\?\)$/,
            instancesPage: /^SEARCH instances USING PRIMARY KEY \(stream>\?\)$/,
            instancesRangePage: /^SEARCH instances USING PRIMARY KEY \(stream>\? AND stream<\?\)$/,
            instancesByStatusPage: /^SEARCH instances USING INDEX instances_by_status \(status=\? AND stream>\?\)$/,
            instancesByStatusRangePage:
              /^SEARCH instances USING INDEX instances_by_status \(status=\? AND stream>\? AND stream<\?\)$/,
            wakeUpsFirstPage: /^SEARCH instances USING INDEX instances_by_wake \(wake_at>\? AND wake_at<\?\)$/,
            wakeUpsNextPage:
              /^SEARCH instances USING INDEX instances_by_wake \(\(wake_at,stream\)>\(\?,\?\) AND wake_at<\?\)$/
          }
          for (const [name, pattern] of Object.entries(expected)) {
            expect({ name, plan: plan(SQL[name as keyof typeof SQL]) }).toEqual({
              name,
              plan: [expect.stringMatching(pattern)]
            })
          }
          // a filtered log read seeks by position too (the prefix test is applied to the rows in range)
          expect(plan(logPageWithPrefixes(2))).toEqual([
            "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"
          ])
        })
      )
    })
  })

  describe("faults", () => {
    it("a full database fails the append that does not fit, alone and without a trace; later appends work", async () => {
      const file = freshFile()
      await withStore({ file }, (store, journal) =>
        Effect.gen(function* () {
          const big = yield* nearlyFull(store, journal)
          // Both queued for one transaction: the big one hits the limit, the small one must still commit.
          const [small, tooBig] = yield* Effect.all(
            [Effect.exit(store.append("full-2", NoStream, [ev("small")])), Effect.exit(store.append("full-1", 0, big))],
            { concurrency: "unbounded" }
          )
          expect(small).toEqual(Exit.succeed({ nextExpectedRevision: 0, position: 2n }))
          const error = yield* failure(tooBig)
          expect(error).toBeInstanceOf(StoreError)
          expect(error).toMatchObject({
            operation: "append",
            stream: "full-1",
            reason: `${file}: the database or the disk is full: database or disk is full (SQLITE_FULL)`
          })
          // Still full: fails again, the same way, and the store still reads.
          expect(yield* failure(store.append("full-1", 0, big))).toMatchObject({ reason: (error as StoreError).reason })
          expect(yield* ids(store, "full-1")).toEqual(["seed"])
          expect(yield* ids(store, "full-2")).toEqual(["small"])
          expect(journal.db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 2 })
          // the registry was rolled back with the events
          expect(Option.map(yield* store.instance("full-1"), (r) => r.revision)).toEqual(Option.some(0))

          journal.db.pragma("max_page_count = 1073741823")
          expect(yield* store.append("full-1", 0, big)).toEqual({ nextExpectedRevision: 5, position: 7n })
          expect(yield* ids(store, "full-1")).toEqual(["seed", ...big.map((_, i) => `big-${i}`)])
        })
      )
    })

    it("waits while another process holds the write lock (reads go on), then commits", async () => {
      const file = freshFile()
      await withStore({ file, busyTimeoutMs: 10_000 }, (store, journal) =>
        Effect.gen(function* () {
          yield* store.append("lock-1", NoStream, [ev("seed")])
          const lock = yield* lockInChildProcess(file)
          const pending = yield* Effect.forkChild(store.append("lock-1", 0, [ev("after")]))
          yield* waitUntil(() => journal.stats.busyWaits > 0)
          expect(yield* ids(store, "lock-1")).toEqual(["seed"])
          yield* lock.release
          expect(yield* Fiber.join(pending)).toEqual({ nextExpectedRevision: 1, position: 2n })
          expect(yield* ids(store, "lock-1")).toEqual(["seed", "after"])
        })
      )
    })

    it("gives up after busyTimeoutMs with a StoreError saying the file is locked; nothing is written", async () => {
      const file = freshFile()
      await withStore({ file, busyTimeoutMs: 100 }, (store) =>
        Effect.gen(function* () {
          yield* store.append("lock-2", NoStream, [ev("seed")])
          const lock = yield* lockInChildProcess(file)
          const error = yield* failure(store.append("lock-2", 0, [ev("late")]))
          expect(error).toBeInstanceOf(StoreError)
          expect(error).toMatchObject({ operation: "append", stream: "lock-2" })
          expect((error as StoreError).reason).toMatch(
            new RegExp(
              `^${escape(file)} is locked by another connection; gave up after waiting \\d+ ms \\(busyTimeoutMs\\)$`
            )
          )
          yield* lock.release
          expect(yield* ids(store, "lock-2")).toEqual(["seed"])
          expect(yield* store.append("lock-2", 0, [ev("now")])).toEqual({ nextExpectedRevision: 1, position: 2n })
        })
      )
    })

    it("a lease operation waits for another process's write lock like an append, and gives up after busyTimeoutMs", async () => {
      const file = freshFile()
      await withStore({ file, busyTimeoutMs: 150 }, (store, journal) =>
        Effect.gen(function* () {
          yield* store.append("lock-4", NoStream, [ev("seed")])
          const lock = yield* lockInChildProcess(file)
          const error = yield* failure(store.acquireLease("lock-4", "worker-a", 60_000))
          expect(error).toMatchObject({ _tag: "StoreError", operation: "lease", stream: "lock-4" })
          expect((error as StoreError).reason).toMatch(
            new RegExp(
              `^${escape(file)} is locked by another connection; gave up after waiting \\d+ ms \\(busyTimeoutMs\\)$`
            )
          )
          const busyWaits = journal.stats.busyWaits
          const pending = yield* Effect.forkChild(store.acquireLease("lock-4", "worker-a", 60_000))
          yield* waitUntil(() => journal.stats.busyWaits > busyWaits)
          yield* lock.release
          expect(Option.map(yield* Fiber.join(pending), (lease) => lease.owner)).toEqual(Option.some("worker-a"))
        })
      )
    })

    it("an append interrupted while waiting for the lock is never written", async () => {
      const file = freshFile()
      await withStore({ file, busyTimeoutMs: 10_000 }, (store, journal) =>
        Effect.gen(function* () {
          yield* store.append("lock-3", NoStream, [ev("seed")])
          const lock = yield* lockInChildProcess(file)
          const pending = yield* Effect.forkChild(store.append("lock-3", 0, [ev("abandoned")]))
          yield* waitUntil(() => journal.stats.busyWaits > 0)
          yield* Fiber.interrupt(pending)
          yield* lock.release
          expect(yield* store.append("lock-3", 0, [ev("kept")])).toEqual({ nextExpectedRevision: 1, position: 2n })
          expect(yield* ids(store, "lock-3")).toEqual(["seed", "kept"])
        })
      )
    })
  })

  describe("schema version 1 files", () => {
    /** A file as durable-monad wrote it before the registry: migration 1's schema, user_version 1. */
    const versionOneFile = (events: ReadonlyArray<readonly [string, number, string, unknown, number]>) => {
      const file = freshFile("v1")
      const raw = rawConnection(file)
      raw.pragma("journal_mode = WAL")
      raw.exec(migrations[0]!.sql)
      raw.pragma(`application_id = ${APPLICATION_ID}`)
      raw.pragma("user_version = 1")
      const insert = raw.prepare(
        "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, 'T', '{}', ?, ?)"
      )
      const streams = new Set<string>()
      for (const [stream, revision, name, metadata, created] of events) {
        insert.run(
          stream,
          revision,
          uid(name),
          typeof metadata === "string" ? metadata : JSON.stringify(metadata),
          created
        )
        streams.add(stream)
      }
      for (const stream of streams) raw.prepare("INSERT INTO streams (name) VALUES (?)").run(stream)
      raw.close()
      return file
    }

    it("migrates a version-1 file in one transaction: the registry is rebuilt from the events, streams is dropped, checksums are computed", async () => {
      const file = versionOneFile([
        ["order-1", 0, "o1", { step: "start", status: "Running" }, 1000],
        ["pr-7", 0, "p1", { step: "start", status: "Running" }, 1500],
        ["order-1", 1, "o2", { step: "wait", status: "Waiting", wakeAt: 9000 }, 2000],
        ["nodash", 0, "n1", { status: "Running" }, 2500],
        ["order-1", 2, "o3", { step: "timer", status: "Waiting", wakeAt: 12_000 }, 3000],
        ["pr-7", 1, "p2", {}, 3500]
      ])
      await withStore({ file }, (store) =>
        Effect.gen(function* () {
          expect(yield* Stream.runCollect(store.instances())).toEqual([
            {
              stream: "order-1",
              workflow: "order",
              instanceId: "1",
              status: "Waiting",
              revision: 2,
              position: 5n,
              created: 1000,
              updated: 3000,
              wakeAt: 12_000
            },
            {
              stream: "pr-7",
              workflow: "pr",
              instanceId: "7",
              status: "Unknown",
              revision: 1,
              position: 6n,
              created: 1500,
              updated: 3500,
              wakeAt: undefined
            }
          ])
          expect((yield* Stream.runCollect(store.wakeUps())).map((r) => r.stream)).toEqual(["order-1"])
          // and it goes on from there
          const next = yield* store.append("order-1", 2, [ev("o4")])
          expect(next).toEqual({ nextExpectedRevision: 3, position: 7n })
          expect(Option.map(yield* store.instance("order-1"), (r) => [r.status, r.revision, r.wakeAt])).toEqual(
            Option.some(["Unknown", 3, undefined])
          )
        })
      )
      const raw = rawConnection(file)
      expect(raw.pragma("user_version", { simple: true })).toBe(LATEST_VERSION)
      const rows = raw
        .prepare("SELECT stream, revision, event_id, type, data, metadata, created, checksum FROM events")
        .all() as Array<{
        stream: string
        revision: number
        event_id: string
        type: string
        data: string
        metadata: string
        created: number
        checksum: string
      }>
      expect(rows).toHaveLength(7)
      for (const r of rows) {
        expect(r.checksum).toBe(eventChecksum(r.stream, r.revision, r.event_id, r.type, r.data, r.metadata, r.created))
      }
      expect(raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all()).toEqual([
        { name: "events" },
        { name: "instances" },
        { name: "leases" }
      ])
      raw.close()
    })

    it("a file whose registry cannot be rebuilt (invalid metadata) is refused and left at version 1", async () => {
      const file = versionOneFile([
        ["order-1", 0, "o1", { status: "Running" }, 1000],
        ["order-1", 1, "o2", "{oops", 2000]
      ])
      expect(await openFailure({ file })).toMatchObject({
        _tag: "StoreError",
        operation: "open",
        stream: "order-1",
        reason: `${file}: cannot build the instance registry: the metadata of the event at revision 1 is not valid JSON`
      })
      const raw = rawConnection(file)
      expect(raw.pragma("user_version", { simple: true })).toBe(1)
      expect(raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all()).toEqual([
        { name: "events" },
        { name: "streams" }
      ])
      raw.close()
    })
  })

  describe("several processes on one file", () => {
    it("a subscription sees another connection's appends by polling, in order, without gaps or duplicates", async () => {
      const file = freshFile()
      await withStore({ file, pollIntervalMs: 5 }, (storeA, journalA) =>
        Effect.promise(() =>
          withStore({ file }, (storeB) =>
            Effect.gen(function* () {
              yield* storeA.append("mix-a", NoStream, [ev("a0")])
              const subscriber = yield* Effect.forkChild(Stream.runCollect(Stream.take(storeA.subscribe(), 61)))
              // B's appends interleave with A's own; A's wake its subscription at once, B's are polled for.
              for (let i = 0; i < 30; i++) {
                yield* storeB.append("mix-b", i - 1, [ev(`b${i}`)])
                yield* storeA.append("mix-a", i, [ev(`a${i + 1}`)])
                if (i % 10 === 0) yield* Effect.sleep(8)
              }
              const events = yield* Fiber.join(subscriber)
              expect(events).toEqual(yield* Stream.runCollect(storeB.readAll()))
              expect(events.map((e) => e.position)).toEqual(Array.from({ length: 61 }, (_, i) => BigInt(i + 1)))
              expect(journalA.stats.pageQueries).toBeGreaterThan(0)
            })
          )
        )
      )
    })

    it("a lease is exclusive across connections, and expiry is judged by the caller's Clock", async () => {
      const file = freshFile()
      await withStore({ file }, (storeA) =>
        Effect.promise(() =>
          withStore({ file }, (storeB) =>
            Effect.gen(function* () {
              const results = yield* Effect.all(
                Array.from({ length: 6 }, (_, i) =>
                  (i % 2 === 0 ? storeA : storeB).acquireLease("order-1", `worker-${i}`, 60_000)
                ),
                { concurrency: "unbounded" }
              )
              const winners = results.filter(Option.isSome)
              expect(winners).toHaveLength(1)
              const held = winners[0]!.value
              const other = held.owner === "worker-1" ? "worker-2" : "worker-1"
              expect(yield* storeB.acquireLease("order-1", other, 60_000)).toEqual(Option.none())
              yield* (
                held.owner.endsWith("0") || held.owner.endsWith("2") || held.owner.endsWith("4") ? storeA : storeB
              ).releaseLease(held)
              const next = Option.getOrThrow(yield* storeB.acquireLease("order-1", other, 60_000))
              expect(next.version).toBeGreaterThan(held.version)
            })
          )
        )
      )
    })

    it("two stores on one file, each batching appends with an acquire of one lease: exactly one holds it", async () => {
      const file = freshFile()
      await withStore({ file }, (storeA) =>
        Effect.promise(() =>
          withStore({ file }, (storeB) =>
            Effect.gen(function* () {
              for (let round = 0; round < 5; round++) {
                const key = `job-${round}`
                const batch = (store: Store, owner: string) =>
                  Effect.all(
                    [
                      store.append(`${owner}-${round}`, NoStream, [ev(`${owner}/${round}`)]),
                      store.acquireLease(key, owner, 60_000),
                      store.acquireLease(key, owner, 60_000)
                    ],
                    { concurrency: "unbounded" }
                  )
                const [a, b] = yield* Effect.all([batch(storeA, "worker-a"), batch(storeB, "worker-b")], {
                  concurrency: "unbounded"
                })
                const [, a1, a2] = a
                const [, b1, b2] = b
                const holders = [a1, a2, b1, b2].filter(Option.isSome).map((lease) => lease.value.owner)
                // The holder's second acquire in its batch re-takes its own lease; the other gets none.
                expect(holders).toHaveLength(2)
                expect(new Set(holders).size).toBe(1)
                expect(yield* ids(storeB, `worker-a-${round}`)).toEqual([`worker-a/${round}`])
                expect(yield* ids(storeA, `worker-b-${round}`)).toEqual([`worker-b/${round}`])
              }
            })
          )
        )
      )
    })

    it("a subscription fails with a StoreError once its store is closed", async () => {
      const file = freshFile()
      await Effect.runPromise(
        Effect.gen(function* () {
          const journal = yield* openJournal({ file, synchronous: "FULL", busyTimeoutMs: 5000 })
          const store = serviceOf(journal)
          yield* store.append("c-1", NoStream, [ev("a")])
          const seen: Array<string> = []
          const subscriber = yield* Effect.forkChild(
            Stream.runForEach(store.subscribe(), (e) => Effect.sync(() => seen.push(e.id)))
          )
          yield* waitUntil(() => seen.length === 1)
          yield* Effect.promise(() => journal.close())
          expect(yield* failure(Fiber.join(subscriber))).toMatchObject({
            _tag: "StoreError",
            operation: "subscribe",
            reason: `the store for ${file} is closed`
          })
        })
      )
    })
  })

  describe("closing", () => {
    it("the layer closes the database when its scope closes", async () => {
      const file = freshFile()
      await Effect.runPromise(
        Effect.provide(
          Effect.flatMap(EventStore, (store) => store.append("l-1", NoStream, [ev("a")])),
          SqliteStore.layer({ file })
        )
      )
      // SQLite checkpoints and deletes the WAL when the last connection closes.
      expect(Fs.existsSync(`${file}-wal`)).toBe(false)
      expect(Fs.existsSync(file)).toBe(true)
    })

    it("commits queued appends before closing (even while waiting for a lock), refuses new work, closes once", async () => {
      const file = freshFile()
      await Effect.runPromise(
        Effect.gen(function* () {
          const journal = yield* openJournal({ file, synchronous: "FULL", busyTimeoutMs: 10_000 })
          const store = serviceOf(journal)
          yield* store.append("c-1", NoStream, [ev("seed")])
          const lock = yield* lockInChildProcess(file)
          const queued = yield* Effect.forkChild(store.append("c-1", 0, [ev("queued")]))
          yield* waitUntil(() => journal.stats.busyWaits > 0)
          const closing = yield* Effect.forkChild(
            Effect.promise(() => journal.close()),
            { startImmediately: true }
          )
          const closed = { operation: "append", stream: "c-2", reason: `the store for ${file} is closed` }
          expect(yield* failure(store.append("c-2", NoStream, [ev("too late")]))).toMatchObject(closed)
          yield* lock.release
          yield* Fiber.join(closing)
          expect(yield* Fiber.join(queued)).toEqual({ nextExpectedRevision: 1, position: 2n })
          expect(Fs.existsSync(`${file}-wal`)).toBe(false)
          yield* Effect.promise(() => journal.close())
          expect(yield* failure(readAll(store, "c-1"))).toMatchObject({ ...closed, operation: "read", stream: "c-1" })
        })
      )
      await withStore({ file }, (store) =>
        Effect.map(ids(store, "c-1"), (found) => expect(found).toEqual(["seed", "queued"]))
      )
    })
  })
})
