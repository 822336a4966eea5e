/**
 * The CLI on stores that hold what an attacker or a damaged disk can put there: ids with terminal escapes, a row
 * nested 50,000 deep, a time out of Date range. It prints what it can, names the bad event, exits 1 — never an
 * internal error, never an escape sequence on the operator's terminal.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { EventStore, NoStream } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { eventChecksum } from "../../src/interpreters/store/sqlite/checksum.js"
import type { DatabaseConstructor } from "../../src/interpreters/store/sqlite/driver.js"
import { cli } from "./run.js"

const BetterSqlite3 = createRequire(import.meta.url)("better-sqlite3") as DatabaseConstructor
const EXAMPLE = "examples/pull-request.ts#pullRequest"
const NOW = "2026-01-01T00:00:00.000Z"
const EVIL = "evil\u001b[2J\u009b31mx"

const started = (n: number) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  type: "WorkflowStarted",
  data: { input: { _tag: "Empty" } },
  metadata: { step: "start", workflow: "pullRequest", fingerprint: "0000000000000000", at: NOW }
})

let dir: string
let db: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "durable-monad-hostile-"))
  db = join(dir, "hostile.db")
  await Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append(`pullRequest-${EVIL}`, NoStream, [started(1)])
      yield* store.append("pullRequest-deep", NoStream, [started(2)])
      yield* store.append("pullRequest-time", NoStream, [
        started(3),
        {
          id: "00000000-0000-4000-8000-000000000004",
          type: "PRCreated",
          data: { _tag: "PRCreated", commit: "a1b2c3" },
          metadata: { step: "create-pr", occurrence: 0, at: "+300000-01-01T00:00:00.000Z" }
        }
      ])
    }).pipe(Effect.provide(SqliteStore.layer({ file: db })))
  )
  // Rows no append of ours writes, with checksums that match them: what a buggy tool or an older writer could leave.
  const raw = new BetterSqlite3(db)
  const depth = 50_000
  const deep = {
    stream: "pullRequest-deep",
    id: "00000000-0000-4000-8000-000000000005",
    data: "[".repeat(depth) + "]".repeat(depth),
    metadata: JSON.stringify({ step: "create-pr", occurrence: 0, at: NOW }),
    created: Date.parse(NOW)
  }
  raw
    .prepare(
      "INSERT INTO events (stream, revision, event_id, type, data, metadata, created, checksum) VALUES (?, 1, ?, 'PRCreated', ?, ?, ?, ?)"
    )
    .run(
      deep.stream,
      deep.id,
      deep.data,
      deep.metadata,
      deep.created,
      eventChecksum(deep.stream, 1, deep.id, "PRCreated", deep.data, deep.metadata, deep.created)
    )
  raw.prepare("UPDATE instances SET revision = 1 WHERE stream = ?").run(deep.stream)
  // Past the largest Date (8.64e15 ms): the fallback to the store's own time is out of range too.
  const time = raw
    .prepare("SELECT event_id, type, data, metadata FROM events WHERE stream = 'pullRequest-time' AND revision = 1")
    .get() as { event_id: string; type: string; data: string; metadata: string }
  raw
    .prepare("UPDATE events SET created = ?, checksum = ? WHERE stream = 'pullRequest-time' AND revision = 1")
    .run(9e15, eventChecksum("pullRequest-time", 1, time.event_id, time.type, time.data, time.metadata, 9e15))
  raw.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("inspect on a hostile store", () => {
  test("escapes control characters in instance ids instead of sending them to the terminal", async () => {
    const run = await cli("inspect", EXAMPLE, "--db", db)
    for (const output of [run.stdout, run.stderr]) {
      expect(output.includes("\u001b") || output.includes("\u009b")).toBe(false)
    }
    expect(run.stdout).toContain("evil\\u001b[2J\\u009b31mx")
  })

  test("an event nested 50,000 deep: prints the events, names the event that does not decode, exits 1", async () => {
    const run = await cli("inspect", EXAMPLE, "--db", db, "--instance", "deep")
    expect(run.code).toBe(1)
    expect(run.stderr).not.toContain("internal error")
    expect(run.stdout).toMatch(/^ +1 +2026-01-01T00:00:00\.000Z +create-pr +PRCreated +\[\[\[.*…/m)
    expect(run.stderr).toBe(
      "error: the history of pullRequest-deep does not replay through the definition (EventDecodeError)\n" +
        "  stream:   pullRequest-deep\n  revision: 1\n  problem:  event of step create-pr does not decode: Expected object\n"
    )
  })

  test("a time out of Date range: prints the trail, names the event, exits 1", async () => {
    const run = await cli("inspect", EXAMPLE, "--db", db, "--instance", "time")
    expect(run.stderr).not.toContain("internal error")
    expect(run.stdout).toMatch(/^ +1 +\(time out of range\) +create-pr +PRCreated /m)
    expect(run.stderr).toBe("error: pullRequest-time: the recorded time of the event at revision 1 is out of range\n")
    expect(run.code).toBe(1)
  })
})
