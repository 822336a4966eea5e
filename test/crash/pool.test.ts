/**
 * Two worker processes on one SQLite file, SIGKILLed at random moments (mostly inside steps, which take 25 ms
 * each) and restarted. Leases must keep the two from ever running one step's Effect at the same time (signal
 * handlers are not under the lease: see below); a killed process's lease runs out and the other takes its
 * instances over with the same idempotency keys; in the end every instance completes with exactly the state of a
 * crash-free run, and its journal replays strictly.
 *
 * `CRASH_SEED` replays a schedule (the seed is printed on failure).
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Result } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bundleChild, prng } from "./children.js"
import { replay } from "../../src/index.js"
import { readStore, referenceRun } from "./check.js"
import type { PoolArgs } from "./pool.js"
import { crashflow, type Input, WORKFLOW } from "./workflow.js"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../..")
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31)
const KILLS = 8

let scratch = ""
let poolFile = ""

beforeAll(async () => {
  scratch = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-monad-pool-"))
  poolFile = Path.join(scratch, "pool.mjs")
  await bundleChild(Path.join(here, "pool.ts"), poolFile)
})

afterAll(() => {
  if (scratch !== "") Fs.rmSync(scratch, { recursive: true, force: true })
})

interface Child {
  /** Resolves once the child has registered the workflow (and so is running instances). */
  readonly ready: Promise<void>
  readonly done: Promise<"done" | "killed" | "failed">
  readonly kill: () => void
  output: string
}

const spawnPool = (args: PoolArgs): Child => {
  const child = spawn(process.execPath, [poolFile, JSON.stringify(args)], {
    env: { ...process.env, NODE_PATH: Path.join(root, "node_modules") },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let onReady = () => {}
  const handle: Child = {
    ready: new Promise<void>((resolve) => {
      onReady = resolve
    }),
    output: "",
    kill: () => child.kill("SIGKILL"),
    done: new Promise((resolve) => {
      let finished = false
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        handle.output += chunk
        if (handle.output.includes("ready\n")) onReady()
        if (handle.output.includes("done\n")) finished = true
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        handle.output += chunk
      })
      const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000)
      child.on("close", (code, signal) => {
        clearTimeout(timeout)
        onReady()
        resolve(code === 0 && finished ? "done" : signal === "SIGKILL" ? "killed" : "failed")
      })
    })
  }
  return handle
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("two workers on one SQLite file, SIGKILLed mid-step", () => {
  it("never run one step at once, take over each other's instances, and finish every instance exactly", async () => {
    const random = prng(SEED)
    const label = `seed ${SEED}`
    const instances: ReadonlyArray<Input> = Array.from({ length: 6 }, (_, i) => ({
      id: `p${i}`,
      rounds: 3 + (i % 3)
    }))
    const db = Path.join(scratch, "pool.db")
    const log = Path.join(scratch, "pool.log")
    const args: PoolArgs = { db, log, instances }
    const children: Array<Child> = [spawnPool(args), spawnPool(args)]
    for (let k = 0; k < KILLS; k++) {
      const victim = Math.floor(random() * 2)
      // Kill a process that is at work: after it registered the workflow, mostly inside a step (25 ms each).
      await children[victim]!.ready
      await sleep(30 + random() * 150)
      children[victim]!.kill()
      await children[victim]!.done
      children[victim] = spawnPool(args)
    }
    const outcomes = await Promise.all(children.map((c) => c.done))
    expect(outcomes, `${label}: ${children.map((c) => c.output).join("\n---\n")}`).toEqual(["done", "done"])

    // Every journal replays strictly to the state of a crash-free run.
    const reference = await referenceRun(instances)
    const stored = readStore(db, Path.join(scratch, "check"))
    expect(stored.integrity).toBe("ok")
    for (const input of instances) {
      const stream = `${WORKFLOW}-${input.id}`
      const result = replay(crashflow, stream, stored.events.get(stream) ?? [])
      expect(Result.isSuccess(result), `${label}: ${stream} replays`).toBe(true)
      if (Result.isSuccess(result)) {
        expect(result.success.status, label).toEqual({ _tag: "Completed" })
        expect(result.success.state, `${label}: ${stream}`).toEqual(reference.states.get(input.id))
      }
    }

    // No two processes ran one step's Effect at overlapping times.
    const byKey = new Map<string, Array<{ pid: string; begin: number; end: number }>>()
    for (const line of Fs.readFileSync(log, "utf8").split("\n").slice(0, -1)) {
      const [key, pid, begin, end] = line.split("\t")
      const list = byKey.get(key!) ?? []
      list.push({ pid: pid!, begin: Number(begin), end: Number(end) })
      byKey.set(key!, list)
    }
    const pids = new Set([...byKey.values()].flatMap((runs) => runs.map((r) => r.pid)))
    const repeated = [...byKey.values()].filter((runs) => new Set(runs.map((r) => r.pid)).size > 1).length
    if (process.env.CRASH_DEBUG) {
      console.log(label, `${pids.size} processes did work; ${repeated} keys were run by two processes`)
    }
    // The kills landed while there was work: restarted processes took part (not just the first two).
    expect(pids.size, label).toBeGreaterThan(2)
    // Steps only: a signal is handled by the process it is sent to, without the lease (it must not wait for
    // another process); two processes handling one instance's signal at once are serialised by the exact-revision
    // append — the loser's event is not recorded, and with the same idempotency key it returns the recorded reply.
    const overlaps: Array<string> = []
    for (const [key, runs] of byKey) {
      if (key.includes("/approve/")) continue
      for (const a of runs)
        for (const b of runs)
          if (a !== b && a.pid !== b.pid && a.begin < b.end && b.begin < a.end)
            overlaps.push(`${key}: ${a.pid}/${b.pid}`)
    }
    expect(overlaps, label).toEqual([])
    // Every step (and the signal handler) performed its side effect, under its one key per execution.
    const executions = [...reference.journals.values()].reduce((n, journal) => n + journal.length - 1, 0)
    expect(byKey.size, label).toBe(executions)
  }, 180_000)
})
