/**
 * Crash recovery, for real: a child process (`worker.ts`) drives several `crashflow` instances on a SQLite file
 * and is SIGKILLed at many moments — by this process after a random delay, or by itself at a chosen point (inside
 * a step's Effect, around an append, inside SQLite's write transaction, after some event-loop turns). After every
 * round the file and the side-effect log are checked (see `check.ts`); then the next round recovers from them.
 * When a run's instances all complete, their states must equal a crash-free run's, and a new run starts.
 *
 * What is asserted does not depend on timing; only where the kills land does. `CRASH_SEED` replays a schedule
 * (the seed is printed), `CRASH_ROUNDS` runs a longer soak, `CRASH_DEBUG=1` prints every round.
 *
 * The store runs with `synchronous: "FULL"` (the default). A SIGKILL cannot lose what SQLite wrote to the WAL even
 * with NORMAL (the data is in the OS page cache); only an OS crash or power loss could, which no test here makes.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bundleChild, prng } from "./children.js"
import { checkRound, type Reference, readLog, readStore, referenceRun } from "./check.js"
import type { KillPoint, WorkerArgs } from "./worker.js"
import type { Input } from "./workflow.js"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../..")

/** Rounds with a kill, in all; each run of 5 instances gets ROUNDS_PER_RUN of them, then one to finish. */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 56)
const ROUNDS_PER_RUN = 7
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31)

/** Kills the child arranges itself, in turn with the parent's external kills. */
const SELF_KILLS: ReadonlyArray<KillPoint> = [
  "step-after-effect",
  "in-transaction",
  "after-append",
  "step-before-effect",
  "before-append",
  "ticks"
]

let scratch = ""
let workerFile = ""

/**
 * The worker, bundled into one file (see `bundleChild`).
 */
beforeAll(async () => {
  scratch = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-monad-crash-"))
  workerFile = Path.join(scratch, "worker.mjs")
  await bundleChild(Path.join(here, "worker.ts"), workerFile)
})

afterAll(() => {
  if (scratch !== "") Fs.rmSync(scratch, { recursive: true, force: true })
})

interface Outcome {
  readonly exit: "done" | "killed" | "failed"
  readonly states?: ReadonlyArray<unknown>
  /** ms from "ready" to the end of the process. */
  readonly busyMs: number
  readonly output: string
}

/** Run the worker once; `killAfterMs` SIGKILLs it that long after it reported ready. */
const runWorker = (args: WorkerArgs, killAfterMs?: number): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [workerFile, JSON.stringify(args)], {
      // The bundle lives in a temp dir: let it find better-sqlite3 (loaded with require) in this checkout.
      env: { ...process.env, NODE_PATH: Path.join(root, "node_modules") },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    let readyAt: number | undefined
    let states: ReadonlyArray<unknown> | undefined
    let pending = ""
    const timeout = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      pending += chunk
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line === "ready") {
          readyAt = performance.now()
          if (killAfterMs !== undefined) setTimeout(() => child.kill("SIGKILL"), killAfterMs)
        } else if (line.startsWith("done ")) {
          states = JSON.parse(line.slice(5))
        }
      }
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
    })
    child.on("close", (code, signal) => {
      clearTimeout(timeout)
      const busyMs = readyAt === undefined ? 0 : performance.now() - readyAt
      const exit = code === 0 && states !== undefined ? "done" : signal === "SIGKILL" ? "killed" : "failed"
      resolve({ exit, busyMs, output, ...(states === undefined ? {} : { states }) })
    })
  })

interface Run {
  readonly index: number
  readonly dir: string
  readonly db: string
  readonly log: string
  readonly instances: ReadonlyArray<Input>
  readonly reference: Reference
  /** Events in the crash-free journals (including each WorkflowStarted). */
  readonly total: number
  recorded: number
  /** Instances whose WorkflowStarted is recorded. */
  started: number
  /** Keys whose side effect ran more than once. */
  repeatedKeys: number
}

const newRun = async (index: number): Promise<Run> => {
  const dir = Path.join(scratch, `run${index}`)
  Fs.mkdirSync(dir, { recursive: true })
  // Loops of 3…8 rounds and both branch arms: 19 to 30 step events per instance.
  const instances = [3, 4, 5, 6, 8].map((rounds, i) => ({ id: `r${index}i${i}`, rounds }))
  const reference = await referenceRun(instances)
  let total = 0
  for (const journal of reference.journals.values()) total += journal.length
  return {
    index,
    dir,
    db: Path.join(dir, "store.db"),
    log: Path.join(dir, "effects.log"),
    instances,
    reference,
    total,
    recorded: 0,
    started: 0,
    repeatedKeys: 0
  }
}

/** Check what a round left behind; returns the number of events now recorded. */
const check = (run: Run, round: string) => {
  const result = checkRound(
    readStore(run.db, Path.join(run.dir, "snapshot")),
    readLog(run.log),
    run.instances,
    run.reference
  )
  expect(result.problems, round).toEqual([])
  let recorded = 0
  let started = 0
  for (const n of result.recorded.values()) {
    recorded += n
    if (n > 0) started++
  }
  return { ...result, total: recorded, started }
}

/** After a run finished: every instance completed, in the state of the crash-free run. */
const checkCompleted = (run: Run, outcome: Outcome, round: string) => {
  const result = check(run, round)
  expect(result.total, round).toBe(run.total)
  const expected = run.instances.map((i) => run.reference.states.get(i.id))
  expect(outcome.states, `${round}: the states the worker reached`).toEqual(expected)
  expect(
    run.instances.map((i) => result.instances.get(i.id)),
    `${round}: the states a replay of the file gives`
  ).toEqual(expected.map((state) => ({ state, status: "Completed" })))
  return result
}

describe("crash recovery on SQLite (child processes killed with SIGKILL)", () => {
  it(`keeps the journal exact and the side effects keyed across ${ROUNDS} rounds of kills`, {
    timeout: 180_000
  }, async () => {
    const random = prng(SEED)
    const within = (n: number) => 1 + Math.floor(random() * Math.max(1, n))
    const kills = new Map<string, number>()
    let killsWithoutProgress = 0
    let completedRuns = 0
    let repeatedKeys = 0
    let rounds = 0
    // How long the worker takes per event (from "ready" to "done"), so that external kills land anywhere in the
    // work left: measured on two crash-free runs (the first one warms up), then updated on each run's last round.
    let msPerEvent = 0
    for (const index of [-2, -1]) {
      const calibration = await newRun(index)
      const crashFree = await runWorker({ db: calibration.db, log: calibration.log, instances: calibration.instances })
      expect(crashFree.exit, crashFree.output).toBe("done")
      checkCompleted(calibration, crashFree, "crash-free run")
      msPerEvent = crashFree.busyMs / calibration.total
    }

    for (let index = 0; rounds < ROUNDS; index++) {
      const run = await newRun(index)
      // Kill j lands in the j-th slice of the run's life (stratified), so kills spread from the first start to
      // the last step instead of piling up at either end; then one round without a kill must finish the run.
      for (let j = 0; j < ROUNDS_PER_RUN && rounds < ROUNDS; j++, rounds++) {
        const remaining = run.total - run.recorded
        if (remaining === 0) break
        const remainingSteps = remaining - (run.instances.length - run.started)
        const target = Math.floor((run.total * (j + random())) / ROUNDS_PER_RUN)
        const ahead = Math.min(Math.max(1, target - run.recorded), remaining)
        const point = rounds % 2 === 0 ? undefined : SELF_KILLS[((rounds - 1) / 2) % SELF_KILLS.length]!
        // Hits each point is sure to see before the work is done: a side effect per remaining step event; an insert
        // per remaining event; an append per remaining step event plus one per instance (`start` appends again).
        const at = (kill: KillPoint): number => {
          switch (kill) {
            case "step-before-effect":
            case "step-after-effect":
              return Math.min(ahead, remainingSteps)
            case "in-transaction":
              return ahead
            case "before-append":
            case "after-append":
              return run.started + ahead
            case "ticks":
              return within(4 * ahead)
          }
        }
        const args: WorkerArgs = {
          db: run.db,
          log: run.log,
          instances: run.instances,
          ...(point === undefined ? {} : { kill: { point, at: at(point) } })
        }
        const killAfterMs = point === undefined ? random() * (remaining * msPerEvent + 2) : undefined
        const how =
          point === undefined ? `external kill after ${killAfterMs!.toFixed(2)} ms` : `${point} #${args.kill!.at}`
        const label = `seed ${SEED} run ${index} round ${j} (${how}, ${run.recorded}/${run.total} events recorded)`
        const outcome = await runWorker(args, killAfterMs)
        if (process.env.CRASH_DEBUG) console.log(label, outcome.exit, outcome.busyMs.toFixed(1))
        expect(outcome.exit, `${label}: ${outcome.output}`).not.toBe("failed")
        if (point !== undefined && point !== "ticks") {
          // The kill point comes before the end of the work: reaching the end means work went missing.
          expect(outcome.exit, `${label}: ${outcome.output}`).toBe("killed")
        }
        const before = run.recorded
        const result = outcome.exit === "done" ? checkCompleted(run, outcome, label) : check(run, label)
        run.recorded = result.total
        run.started = result.started
        run.repeatedKeys = result.repeatedKeys
        if (outcome.exit === "killed") {
          kills.set(point ?? "external", (kills.get(point ?? "external") ?? 0) + 1)
          if (run.recorded === before) killsWithoutProgress++
        }
      }
      if (run.recorded < run.total) {
        const before = run.recorded
        const outcome = await runWorker({ db: run.db, log: run.log, instances: run.instances })
        expect(outcome.exit, `run ${index}, last round: ${outcome.output}`).toBe("done")
        const result = checkCompleted(run, outcome, `run ${index}, last round`)
        run.recorded = result.total
        run.repeatedKeys = result.repeatedKeys
        if (result.total - before >= 20) msPerEvent = (msPerEvent + outcome.busyMs / (result.total - before)) / 2
      }
      repeatedKeys += run.repeatedKeys
      completedRuns++
    }
    console.log(
      `crash suite (seed ${SEED}): ${completedRuns} runs, kills ${JSON.stringify(Object.fromEntries(kills))} ` +
        `(${killsWithoutProgress} before any new event), ${repeatedKeys} side effects re-executed with their original key`
    )
  })
})
