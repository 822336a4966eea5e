/**
 * `SqliteStore.verify` on sound and damaged files, and single-bit flips of a whole store file: a flip is either
 * reported (by verify, or by the store when loading) or changes nothing that the store gives back — never a silent
 * change of what is loaded.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NoStream, nameUuid } from "../../../src/index.js"
import type { DatabaseConstructor } from "../../../src/interpreters/store/sqlite/driver.js"
import { SqliteStore } from "../../../src/sqlite.js"

const BetterSqlite3 = createRequire(import.meta.url)("better-sqlite3") as DatabaseConstructor
const NS = "3b1c0b8e-6a57-4d0e-9f2a-5d3e8c7b6a10"

let dir: string
let sound: string

const copy = (name: string) => {
  const file = Path.join(dir, name)
  Fs.copyFileSync(sound, file)
  return file
}

const verify = (file: string) => Effect.runPromise(SqliteStore.verify(file))

const sql = (file: string, statement: string) => {
  const raw = new BetterSqlite3(file)
  raw.prepare(statement).run()
  raw.close()
}

/** Everything the store gives back: every event of the log and every registry row (or why it could not). */
const loaded = (file: string) =>
  Effect.runPromiseExit(
    Effect.scoped(
      Effect.flatMap(SqliteStore.make({ file, readonly: true }), (store) =>
        Effect.all({
          log: Stream.runCollect(store.readAll()),
          streams: Effect.forEach(["order-1", "order-2", "order-3"], (s) => Stream.runCollect(store.read(s))),
          registry: Stream.runCollect(store.instances())
        })
      )
    )
  )

beforeAll(async () => {
  dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-monad-verify-"))
  sound = Path.join(dir, "sound.db")
  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* SqliteStore.make({ file: sound })
        for (const n of [1, 2, 3]) {
          const stream = `order-${n}`
          const events = Array.from({ length: 4 }, (_, r) => ({
            id: nameUuid(NS, `${stream}/${r}`),
            type: r === 0 ? "Started" : "Stepped",
            data: { n, r, note: "x".repeat(20) },
            metadata: { step: `s${r}`, status: r === 3 ? "Waiting" : "Running", wakeAt: r === 3 ? 1000 * n : null }
          }))
          yield* store.append(stream, NoStream, events)
        }
      })
    )
  )
})

afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

describe("SqliteStore.verify", () => {
  it("a sound store: no problems, with the counts", async () => {
    expect(await verify(sound)).toEqual({ events: 12, streams: 3, instances: 3, problems: [] })
  })

  it.each([
    [
      "a changed event type",
      "UPDATE events SET type = 'Bogus' WHERE stream = 'order-2' AND revision = 1",
      [{ stream: "order-2", revision: 1, problem: "does not match its checksum" }]
    ],
    [
      "a deleted last event",
      "DELETE FROM events WHERE stream = 'order-1' AND revision = 3",
      [
        {
          stream: "order-1",
          revision: 2,
          problem:
            "its registry row does not match its events (stored ≠ from the events: status: Waiting ≠ Running, revision: 3 ≠ 2, position: 4 ≠ 3, wakeAt: 1000 ≠ undefined)"
        }
      ]
    ],
    [
      "a deleted middle event",
      "DELETE FROM events WHERE stream = 'order-3' AND revision = 1",
      [{ stream: "order-3", revision: 2, problem: "revisions 1…1 are missing" }]
    ],
    [
      "a deleted registry row",
      "DELETE FROM instances WHERE stream = 'order-2'",
      [{ stream: "order-2", problem: "has events but no row in the instance registry" }]
    ],
    [
      "a registry row without events",
      "INSERT INTO instances SELECT 'order-9', workflow, '9', status, revision, position, created, updated, wake_at FROM instances WHERE stream = 'order-1'",
      [{ stream: "order-9", problem: "is in the instance registry but has no events" }]
    ],
    [
      "a row at revision -1",
      "INSERT INTO events (stream, revision, event_id, type, data, metadata, created, checksum) SELECT stream, -1, event_id, type, data, metadata, created, checksum FROM events WHERE stream = 'order-1' AND revision = 0",
      [
        { stream: "order-1", revision: -1, problem: "revision -1 is out of place (expected 0)" },
        { stream: "order-1", revision: -1, problem: "does not match its checksum" }
      ]
    ],
    [
      "a changed wake-up in the registry",
      "UPDATE instances SET wake_at = 5 WHERE stream = 'order-3'",
      [
        {
          stream: "order-3",
          revision: 3,
          problem: "its registry row does not match its events (stored ≠ from the events: wakeAt: 5 ≠ 3000)"
        }
      ]
    ]
  ])("reports %s, with the stream and revision", async (name, statement, problems) => {
    const file = copy(`${name.replaceAll(" ", "-")}.db`)
    sql(file, statement)
    expect((await verify(file)).problems).toEqual(problems)
  })

  it("refuses a file that is not a current store", async () => {
    const empty = Path.join(dir, "empty.db")
    Fs.writeFileSync(empty, "")
    const exit = await Effect.runPromiseExit(SqliteStore.verify(empty))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(Fs.statSync(empty).size).toBe(0)
  })
})

/** mulberry32, for reproducible flips. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("single-bit flips of a store file (seeded)", () => {
  it("are reported or change nothing that is loaded", async () => {
    const original = await loaded(sound)
    if (!Exit.isSuccess(original)) throw new Error("the sound store does not load")
    const bytes = Fs.readFileSync(sound)
    const random = prng(300)
    const outcomes = { reported: 0, unchanged: 0 }
    const silent: Array<string> = []
    for (let i = 0; i < 300; i++) {
      const offset = Math.floor(random() * bytes.length)
      const bit = Math.floor(random() * 8)
      const flipped = Buffer.from(bytes)
      flipped[offset]! ^= 1 << bit
      const file = Path.join(dir, "flip.db")
      Fs.writeFileSync(file, flipped)
      const checked = await Effect.runPromiseExit(SqliteStore.verify(file))
      const reported = Exit.isFailure(checked) || checked.value.problems.length > 0
      const load = await loaded(file)
      if (reported || Exit.isFailure(load)) {
        outcomes.reported++
        continue
      }
      const same = JSON.stringify(load.value, big) === JSON.stringify(original.value, big)
      if (same) outcomes.unchanged++
      else silent.push(`byte ${offset} bit ${bit}`)
    }
    expect(silent).toEqual([])
    expect(outcomes.reported + outcomes.unchanged).toBe(300)
    expect(outcomes.reported).toBeGreaterThan(0)
  }, 120_000)
})

const big = (_: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)
