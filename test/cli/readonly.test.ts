/**
 * Read commands never write: `inspect` and `render` open the store read-only. They refuse a file that is not a store
 * (an empty one included) instead of turning it into one, leave a store's bytes and journal mode as they were, create
 * no -wal/-shm files, and read a store in a read-only directory.
 */
import { execFile } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { WorkflowRuntime } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { CreatePR, Empty, Pipeline, pullRequest } from "../../examples/pull-request.js"
import type { DatabaseConstructor } from "../../src/interpreters/store/sqlite/driver.js"
import { cli, ROOT } from "./run.js"

const BetterSqlite3 = createRequire(import.meta.url)("better-sqlite3") as DatabaseConstructor
const EXAMPLE = "examples/pull-request.ts#pullRequest"

let dir: string
let store: string

const sidecars = (file: string) => [existsSync(`${file}-wal`), existsSync(`${file}-shm`)]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "durable-monad-readonly-"))
  store = join(dir, "store.db")
  await Effect.runPromise(
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const pr = yield* runtime.start(pullRequest, { id: "42", input: new Empty() })
      yield* pr.signal(CreatePR, { commit: "a1b2c3" })
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          WorkflowRuntime.layer.pipe(Layer.provide(SqliteStore.layer({ file: store }))),
          Layer.succeed(Pipeline, { run: () => Effect.succeed("passed") })
        )
      )
    )
  )
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("read commands", () => {
  test("inspect and render leave a store exactly as it was: same bytes, same journal mode, no -wal/-shm", async () => {
    const before = readFileSync(store)
    const listed = await cli("inspect", EXAMPLE, "--db", store)
    expect([listed.code, listed.stderr]).toEqual([0, ""])
    expect(listed.stdout).toMatch(/^ +42 +waiting for ReviewPR +review-pr /m)
    const drawn = await cli("render", EXAMPLE, "-f", "mermaid", "--db", store, "--instance", "42")
    expect([drawn.code, drawn.stderr]).toEqual([0, ""])
    expect(readFileSync(store).equals(before)).toBe(true)
    expect(sidecars(store)).toEqual([false, false])
    const raw = new BetterSqlite3(store, { readonly: true })
    expect(raw.pragma("journal_mode", { simple: true })).toBe("delete")
    raw.close()
  })

  test("an empty file is refused, not turned into a store", async () => {
    const empty = join(dir, "empty.db")
    writeFileSync(empty, "")
    const run = await cli("inspect", EXAMPLE, "--db", empty)
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(`error: open: ${empty} is empty, not a durable-monad store\n`)
    expect(statSync(empty).size).toBe(0)
    expect(sidecars(empty)).toEqual([false, false])
  })

  test("a SQLite database of another application is refused and left alone", async () => {
    const foreign = join(dir, "foreign.db")
    const raw = new BetterSqlite3(foreign)
    raw.exec("CREATE TABLE notes (text TEXT)")
    raw.close()
    const before = readFileSync(foreign)
    const run = await cli("inspect", EXAMPLE, "--db", foreign)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error: open: .*foreign\.db is a SQLite database, but not a durable-monad event store /)
    expect(readFileSync(foreign).equals(before)).toBe(true)
    expect(sidecars(foreign)).toEqual([false, false])
  })

  test("a store opened read-only refuses appends with a StoreError and writes nothing", async () => {
    const before = readFileSync(store)
    const error = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(SqliteStore.make({ file: store, readonly: true }), (s) =>
          Effect.flip(
            s.append("pullRequest-43", -1, [
              { id: "00000000-0000-4000-8000-000000000001", type: "T", data: {}, metadata: {} }
            ])
          )
        )
      )
    )
    expect(error.message).toBe(`append pullRequest-43: the store for ${store} is open read-only`)
    expect(readFileSync(store).equals(before)).toBe(true)
  })

  test("verify: ok on a sound store; lists each problem and exits 1 on a damaged one; writes nothing", async () => {
    const before = readFileSync(store)
    const ok = await cli("verify", "--store", store)
    expect([ok.code, ok.stderr, ok.stdout]).toEqual([
      0,
      "",
      `${store}: ok (3 events in 1 streams, 1 instances in the registry)\n`
    ])
    expect(readFileSync(store).equals(before)).toBe(true)
    const damaged = join(dir, "damaged.db")
    writeFileSync(damaged, before)
    const raw = new BetterSqlite3(damaged)
    raw.prepare("UPDATE events SET type = 'Bogus' WHERE revision = 1").run()
    raw.close()
    const bad = await cli("verify", "--store", `sqlite:${damaged}`)
    expect([bad.code, bad.stdout, bad.stderr]).toEqual([
      1,
      `${damaged}: 3 events in 1 streams, 1 instances in the registry\n  pullRequest-42@1: does not match its checksum\n`,
      `error: ${damaged}: 1 problem found\n`
    ])
  })

  // Root ignores file permissions: the read-only directory is tried as the unprivileged user `nobody`.
  const asNobody = process.getuid?.() === 0 && existsSync("/usr/sbin/nologin")
  test.skipIf(!asNobody)("a store in a read-only directory is read (as user nobody)", async () => {
    const locked = join(dir, "locked")
    mkdirSync(locked)
    const file = join(locked, "store.db")
    writeFileSync(file, readFileSync(store))
    chmodSync(file, 0o444)
    chmodSync(locked, 0o555)
    chmodSync(dir, 0o755)
    const command = [process.execPath, "--conditions=source", "--import", "tsx", join(ROOT, "src/cli/main.ts")]
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(
        "su",
        ["nobody", "-s", "/bin/sh", "-c", `${command.join(" ")} inspect ${EXAMPLE} --db ${file}`],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", HOME: "/tmp" } },
        (error, stdout, stderr) => done({ code: error === null ? 0 : Number(error.code), stdout, stderr })
      )
    )
    expect(run.stderr).toBe("")
    expect(run.stdout).toMatch(/^ +42 +waiting for ReviewPR +review-pr /m)
    expect(sidecars(file)).toEqual([false, false])
  })
})
