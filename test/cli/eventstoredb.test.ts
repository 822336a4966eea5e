/**
 * The CLI on EventStoreDB (the wire-compatible test server): the demo runs there in a namespace of its own, and
 * inspect and render read the same instances back with `--store esdb://… --namespace …`.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startTestServer, type TestServer } from "../support/eventstoredb/TestServer.js"
import { cli } from "./run.js"
import { expectWithdrawalPart } from "./withdrawalPart.js"

const EXAMPLE = "examples/pull-request.ts#pullRequest"

let server: TestServer
let dir: string

beforeAll(async () => {
  server = await startTestServer()
  dir = mkdtempSync(join(tmpdir(), "durable-monad-cli-esdb-"))
})

afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("the CLI on EventStoreDB", { timeout: 90_000 }, () => {
  test("demo --store esdb://…, then inspect and render from the same store and namespace", async () => {
    const out = join(dir, "diagrams")
    const demo = await cli("demo", "--store", server.url, "--namespace", "clidemo", "--out", out)
    expect([demo.code, demo.stderr]).toEqual([0, ""])
    const lines = demo.stdout.split("\n")
    expect(lines).toContain(`Store: ${server.url} (namespace clidemo) — a namespace of this run's own.`)
    expect(lines).toContain("Recovered states equal the states before the restart: 6 of 6.")
    expect(lines).toContain("CI pipeline calls during recovery: 0.")
    expect(lines.filter((l) => l.includes(`--store '${server.url}' --namespace clidemo`))).toHaveLength(4)
    expect(readdirSync(out)).toContain("in-review.svg")
    // Durable time over the network: the same withdrawals, journals and states as on SQLite.
    expectWithdrawalPart(demo.stdout, `${server.url} (namespace clidemo)`)
    expect(readdirSync(out)).toContain("withdrawal-after-restart-asleep.svg")

    const listed = await cli("inspect", EXAMPLE, "--store", server.url, "--namespace", "clidemo")
    expect([listed.code, listed.stderr]).toEqual([0, ""])
    for (const id of ["approved", "ci-down", "failing-ci", "in-review", "long-commit", "rejected"]) {
      expect(listed.stdout).toMatch(new RegExp(`^ +${id} +`, "m"))
    }
    const trail = await cli(
      "inspect",
      EXAMPLE,
      "--store",
      server.url,
      "--namespace",
      "clidemo",
      "--instance",
      "approved"
    )
    expect([trail.code, trail.stderr]).toEqual([0, ""])
    expect(trail.stdout).toMatch(/^Status: completed$/m)

    // Another namespace on the same server holds none of them.
    const other = await cli("inspect", EXAMPLE, "--store", server.url, "--namespace", "elsewhere")
    expect([other.code, other.stdout.trim()]).toEqual([
      0,
      `No instances of workflow pullRequest in ${server.url} (namespace elsewhere).`
    ])

    const drawn = await cli(
      "render",
      EXAMPLE,
      "-f",
      "mermaid",
      "--store",
      server.url,
      "--namespace",
      "clidemo",
      "--instance",
      "in-review"
    )
    expect([drawn.code, drawn.stderr]).toEqual([0, ""])
    expect(drawn.stdout.split("\n")[0]).toBe("%% pullRequest")
  })

  test("a store that is not reachable fails with a typed error, not a hang", async () => {
    const run = await cli("inspect", EXAMPLE, "--store", "esdb://127.0.0.1:1?tls=false")
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error: open: EventStoreDB at 127\.0\.0\.1:1 is unavailable: /)
  })
})
