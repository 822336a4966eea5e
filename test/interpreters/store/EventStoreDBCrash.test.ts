/**
 * A subset of the SIGKILL crash suite (test/crash) on EventStoreDB: a child process drives `crashflow` instances on
 * the test server (running in this process, so it outlives the child) and is SIGKILLed after a random delay. After
 * each round the server's streams and the side-effect log pass the same checks as on SQLite (test/crash/check.ts):
 * contiguous revisions, distinct ids, each step once, a prefix of the crash-free journal, strict replay, the
 * registry at each stream's last revision, every recorded step backed by its logged side effect. Runs that complete
 * are checked against the crash-free run (states and replay) and replaced by a new run. `CRASH_SEED` replays a
 * schedule, `CRASH_DEBUG=1` prints every round.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Stream } from "effect"
import type { StoredEvent } from "durable-monad"
import { EventStoreDB } from "durable-monad/eventstoredb"
import { unpackPosition } from "../../../src/interpreters/store/eventstoredb/position.js"
import { afterAll, describe, expect, it } from "vitest"
import { checkRound, readLog, referenceRun, type Stored } from "../../crash/check.js"
import { WORKFLOW } from "../../crash/workflow.js"
import type { CrashWorkerArgs } from "../../support/eventstoredb/crashWorker.js"
import { startTestServer } from "../../support/eventstoredb/TestServer.js"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../../..")
const worker = Path.join(root, "test/support/eventstoredb/crashWorker.ts")
/** SIGKILLs in all; runs that complete in between are checked against the crash-free run and replaced. */
const KILLS = 8
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31)
const scratch = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-esdb-crash-"))
afterAll(() => Fs.rmSync(scratch, { recursive: true, force: true }))

const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Run the worker; SIGKILL it `killAfterMs` after it reported ready (never, when undefined). */
const runWorker = (args: CrashWorkerArgs, killAfterMs: number | undefined) =>
  new Promise<{ exit: "done" | "killed" | "failed"; states?: ReadonlyArray<unknown>; output: string }>((resolve) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", worker, JSON.stringify(args)],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    let states: ReadonlyArray<unknown> | undefined
    const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      for (const line of chunk.split("\n")) {
        if (line === "ready" && killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs)
        if (line.startsWith("done ")) states = JSON.parse(line.slice(5))
      }
    })
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
    })
    child.on("close", (code, signal) => {
      clearTimeout(timeout)
      const exit = code === 0 && states !== undefined ? "done" : signal === "SIGKILL" ? "killed" : "failed"
      resolve({ exit, output, ...(states === undefined ? {} : { states }) })
    })
  })

/** What the server holds for these instances, read through the adapter. */
const readStored = (url: string, streams: ReadonlyArray<string>): Promise<Stored> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(url)
        const events = new Map<string, ReadonlyArray<StoredEvent>>()
        for (const stream of streams) {
          const read = [...(yield* Stream.runCollect(store.read(stream)))]
          if (read.length > 0) events.set(stream, read)
        }
        // The adapter's registry, projected from $all by this fresh store.
        // check.ts compares positions as numbers: the prepare half of the adapter's packed position is the event's
        // own offset in the server's log, unique and well below 2^53.
        const prepare = (position: bigint) => Number(unpackPosition(position).prepare)
        const registry = [...(yield* Stream.runCollect(store.instances({ workflow: WORKFLOW })))]
          .filter((row) => streams.includes(row.stream))
          .map((row) => ({ stream: row.stream, revision: row.revision, position: prepare(row.position) }))
        const lastPositions = new Map([...events].map(([stream, read]) => [stream, prepare(read.at(-1)!.position)]))
        return { integrity: "ok", events, registry, lastPositions }
      })
    )
  )

const newRun = async (index: number, url: string) => {
  // Loops of 3…8 rounds and both branch arms: 19 to 30 step events per instance.
  const instances = [3, 4, 5, 6, 8].map((rounds, i) => ({ id: `r${index}i${i}`, rounds }))
  const log = Path.join(scratch, `effects-${index}.log`)
  const args: CrashWorkerArgs = { url, log, instances }
  return {
    args,
    instances,
    log,
    streams: instances.map((i) => `${WORKFLOW}-${i.id}`),
    reference: await referenceRun(instances)
  }
}

describe("crash recovery on EventStoreDB (test server; child processes killed with SIGKILL)", () => {
  it(`keeps the journal exact and the side effects keyed across ${KILLS} kills`, { timeout: 240_000 }, async () => {
    const random = prng(SEED)
    const server = await startTestServer()
    try {
      let runs = 1
      let run = await newRun(runs, server.url)
      let kills = 0
      for (let round = 1; ; round++) {
        expect(round, `seed ${SEED}: too many rounds`).toBeLessThan(60)
        // Once enough kills happened, let the current run finish.
        const delay = kills >= KILLS ? undefined : Math.floor(40 + random() * 300)
        const outcome = await runWorker(run.args, delay)
        const label = `seed ${SEED}, run ${runs}, round ${round} (kill after ${delay ?? "never"} ms): ${outcome.exit}`
        expect(outcome.exit, `${label}\n${outcome.output}`).not.toBe("failed")
        const result = checkRound(
          await readStored(server.url, run.streams),
          readLog(run.log),
          run.instances,
          run.reference
        )
        if (process.env.CRASH_DEBUG) console.log(label, [...result.recorded.values()])
        expect(result.problems, label).toEqual([])
        if (outcome.exit === "killed") kills++
        if (outcome.exit === "done") {
          const expected = run.instances.map((i) => run.reference.states.get(i.id))
          expect(outcome.states, label).toEqual(expected)
          expect(run.instances.map((i) => result.instances.get(i.id))).toEqual(
            expected.map((state) => ({ state, status: "Completed" }))
          )
          if (kills >= KILLS) break
          run = await newRun(++runs, server.url)
        }
      }
    } finally {
      await server.stop()
    }
  })
})
