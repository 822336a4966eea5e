/**
 * Baseline: plain better-sqlite3, one row per transaction (BEGIN IMMEDIATE; INSERT; COMMIT), WAL and
 * synchronous=FULL, into a table shaped like the store's `events` table, rows the size of W1's events. It is the
 * ceiling for one writer that waits for each commit: one fsync per transaction.
 */
import { createRequire } from "node:module"
import * as Path from "node:path"
import type { Database } from "../src/interpreters/store/sqlite/driver.js"
import { type Figure, median, scratchDir, type Workload } from "./support.js"

const ROWS = 5000

const Driver = createRequire(import.meta.url)("better-sqlite3") as new (file: string) => Database

const run = async (): Promise<ReadonlyArray<Figure>> => {
  const { dir, cleanup } = scratchDir()
  const db = new Driver(Path.join(dir, "raw.db"))
  try {
    db.pragma("journal_mode = WAL")
    db.pragma("synchronous = FULL")
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL,
      type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL,
      UNIQUE (stream, revision)) STRICT`)
    const begin = db.prepare("BEGIN IMMEDIATE")
    const commit = db.prepare("COMMIT")
    const insert = db.prepare(
      "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    const latencies: Array<number> = []
    const started = performance.now()
    for (let i = 0; i < ROWS; i++) {
      const t0 = performance.now()
      const stream = `counter-${Math.floor(i / 100)}`
      begin.run()
      insert.run(
        stream,
        i % 100,
        `0f3c9a1e-4b2d-8e7f-9a6b-${String(i).padStart(12, "0")}`,
        "Ticked",
        `{"_tag":"Ticked","n":${i % 100}}`,
        `{"step":"tick","occurrence":${i % 100},"at":"2026-01-01T00:00:00.000Z"}`,
        Date.now()
      )
      commit.run()
      latencies.push(performance.now() - t0)
    }
    const seconds = (performance.now() - started) / 1000
    return [
      { workload: "baseline", metric: "rows/s", value: ROWS / seconds, kind: "rate" },
      { workload: "baseline", metric: "median ms/row", value: median(latencies), kind: "time" }
    ]
  } finally {
    db.close()
    cleanup()
  }
}

export const baseline: Workload = {
  name: "baseline",
  description: `raw better-sqlite3: ${ROWS} one-row transactions, WAL, synchronous=FULL`,
  run
}
