/**
 * The CLI, run as users run it: a child process (`node --conditions=source --import tsx src/cli/main.ts …`), on
 * temporary files. Tests run concurrently: each child process costs about half a second of start-up.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { EventStore, fingerprint, NoStream, toModel, WorkflowRuntime } from "durable-monad"
import { SqliteStore } from "durable-monad/sqlite"
import { CreatePR, Empty, Pipeline, pullRequest, ReviewPR } from "../../examples/pull-request.js"
import { cli, ROOT } from "./run.js"
import { expectWithdrawalPart } from "./withdrawalPart.js"

const EXAMPLE = "examples/pull-request.ts#pullRequest"
const NOW = "2026-01-01T00:00:00.000Z"

let dir: string
/** A database written in-process: two pull requests (merged, waiting) and one history that no longer fits. */
let db: string

const streamsOf = (file: string): Promise<ReadonlyArray<string>> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqliteStore.make({ file }), (store) =>
        Stream.runCollect(Stream.map(store.instances(), (row) => row.stream))
      )
    )
  )

/** A stream's events as [type, step], read from the file directly (not through the demo's output). */
const typesOf = (file: string, stream: string): Promise<ReadonlyArray<readonly [string, unknown]>> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(SqliteStore.make({ file, readonly: true }), (store) =>
        Stream.runCollect(
          Stream.map(store.read(stream), (e) => [e.type, (e.metadata as { step?: unknown }).step] as const)
        )
      )
    )
  )

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "durable-monad-cli-"))
  db = join(dir, "inspect.db")
  const program = Effect.gen(function* () {
    yield* TestClock.setTime(Date.parse(NOW))
    const runtime = yield* WorkflowRuntime
    const merged = yield* runtime.start(pullRequest, { id: "merged", input: new Empty() })
    yield* merged.signal(CreatePR, { commit: "a1b2c3" })
    yield* merged.signal(ReviewPR, { approve: true })
    const waiting = yield* runtime.start(pullRequest, { id: "waiting", input: new Empty() })
    yield* waiting.signal(CreatePR, { commit: "c0ffee" })
    // A history whose second event belongs to a step the definition does not expect there.
    const store = yield* EventStore
    yield* store.append("pullRequest-broken", NoStream, [
      {
        id: "00000000-0000-8000-8000-000000000000",
        type: "WorkflowStarted",
        data: { input: { _tag: "Empty" } },
        metadata: { step: "start", workflow: "pullRequest", fingerprint: "0000000000000000", at: NOW }
      },
      {
        id: "00000000-0000-8000-8000-000000000001",
        type: "PRReviewed",
        data: { _tag: "PRReviewed", approve: true },
        metadata: { step: "review-pr", occurrence: 0, at: NOW }
      }
    ])
  })
  const layer = Layer.mergeAll(
    WorkflowRuntime.layer.pipe(Layer.provideMerge(SqliteStore.layer({ file: db }))),
    Layer.succeed(Pipeline, { run: () => Effect.succeed("passed: 3 of 3") })
  )
  await Effect.runPromise(program.pipe(Effect.provide(layer), Effect.provide(TestClock.layer())))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

// Every test below runs concurrently with the others (vitest runs up to 5 at a time).
describe.concurrent("the CLI", { timeout: 60_000 }, () => {
  describe("durable-monad demo", () => {
    test("runs the pull requests, recovers them on a new runtime without calling the pipeline, a worker takes over, writes diagrams; then the withdrawals on a controlled clock", async () => {
      const file = join(dir, "demo", "demo.db")
      const out = join(dir, "demo", "diagrams")
      mkdirSync(join(dir, "demo"))
      const run = await cli("demo", "--db", file, "--out", out)
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const lines = run.stdout.split("\n")
      const has = (pattern: RegExp) =>
        expect(
          lines.some((l) => pattern.test(l)),
          String(pattern)
        ).toBe(true)
      has(/^Database: .*demo\.db — a new file\.$/)
      has(/^approved +signal ReviewPR \{ approve: true \} +→ completed: Merged \{ commit: "a1b2c3" \}$/)
      has(/^ci-down +signal CreatePR \{ commit: "f6a7b8" \} +→ stuck at step run-pipeline, last attempt failed: /)
      has(/^in-review +signal ReviewPR \{ approve: "yes" \} +→ refused: InvalidSignalPayload$/)
      has(/^in-review +signal CreatePR \{ commit: "a1b2c3" \} +→ refused: UnexpectedSignal$/)
      expect(lines.filter((l) => l.trim() === "journal: 3 events before, 3 after: nothing appended")).toHaveLength(2)
      has(/^Recovered states equal the states before the restart: 6 of 6\.$/)
      has(/^CI pipeline calls during recovery: 0\.$/)
      has(/^in-review +signal ReviewPR \{ approve: true \} +→ completed: Merged \{ commit: "e5f6a7" \}$/)
      // The worker finds ci-down through the registry and runs its step: nobody calls resume.
      has(/^ci-down +\(registered with the worker\) +→ waiting for ReviewPR at step review-pr$/)
      // Calls per pull request: before the restart, during recovery, after it.
      has(/^ {2}approved +a1b2c3 +1 +0 +0 /)
      has(/^ {2}long-commit +c3d4e5f6a7b8 +0 +0 +0 /)
      has(/^ {2}in-review +e5f6a7 +1 +0 +0 /)
      has(/^ {2}ci-down +f6a7b8 +1 +0 +1 /)
      has(/^6 calls in all, 1 unanswered/)
      // In the repository, the closing hints use the repository's script.
      has(/^ {2}npm run cli -- inspect examples\/pull-request\.ts#pullRequest --db .*demo\.db --instance approved$/)
      has(/^ {2}npm run cli -- inspect examples\/withdrawal\.ts#withdrawal --db .*demo\.db --instance third-attempt$/)

      // Durable time: the timer fired by worker #2, three attempts of which two failed, the cancellation.
      expectWithdrawalPart(run.stdout, file)

      // The six pull requests, the three withdrawals, and the stream by which the demo marks the database as its own.
      expect(await streamsOf(file)).toEqual([
        "durableMonadDemo-database",
        ...["approved", "ci-down", "failing-ci", "in-review", "long-commit", "rejected"].map(
          (id) => `pullRequest-${id}`
        ),
        ...["after-restart", "cancelled", "third-attempt"].map((id) => `withdrawal-${id}`)
      ])
      const created = [
        ["WorkflowStarted", "start"],
        ["WithdrawalCreated", "create-withdrawal"],
        ["FundsLocked", "put-funds-on-hold"],
        ["TimerStarted", "two-minutes"],
        ["ChecksRun", "run-checks"]
      ]
      const executed = [
        ["ExecutionConfirmed", "execution-completed"],
        ["FundsReleased", "release-funds"]
      ]
      expect(await typesOf(file, "withdrawal-after-restart")).toEqual([
        ...created,
        ["TimerStarted", "wait-20-seconds"],
        ["TimerFired", "wait-20-seconds"],
        ["ChecksRun", "run-checks"],
        ["ExecutionRequested", "execute"],
        ...executed
      ])
      expect(await typesOf(file, "withdrawal-third-attempt")).toEqual([
        ...created,
        ["AttemptFailed", "execute"],
        ["AttemptFailed", "execute"],
        ["ExecutionRequested", "execute"],
        ...executed
      ])
      expect(await typesOf(file, "withdrawal-cancelled")).toEqual([
        ...created,
        ["TimerStarted", "wait-20-seconds"],
        ["Cancelled", "cancel"],
        ["LockCancelled", "cancel-funds-lock"]
      ])

      const diagrams = readdirSync(out).sort()
      expect(diagrams).toHaveLength((7 + 5) * 3)
      expect(diagrams.slice(0, 3)).toEqual(["approved.bpmn", "approved.mmd", "approved.svg"])
      expect(readFileSync(join(out, "ci-down.mmd"), "utf8")).toContain("class n_Event_review_pr current")
      expect(diagrams.filter((d) => d.startsWith("withdrawal"))).toEqual(
        ["", "-after-restart", "-after-restart-asleep", "-cancelled", "-third-attempt"]
          .flatMap((name) => ["bpmn", "mmd", "svg"].map((ext) => `withdrawal${name}.${ext}`))
          .sort()
      )
      // Asleep at the restart: the first round of checks done, the timer current.
      const asleep = readFileSync(join(out, "withdrawal-after-restart-asleep.mmd"), "utf8")
      expect(asleep).toMatch(/^ {2}class .*\bn_Activity_run_checks\b.* done$/m)
      expect(asleep).toMatch(/^ {2}class n_Event_wait_20_seconds current$/m)
      // Cancelled: the Cancel path's error end event and the handler's final one.
      expect(readFileSync(join(out, "withdrawal-cancelled.mmd"), "utf8")).toContain(
        "class n_Raise_cancelled_WithdrawalFailed,n_Raise_fail_WithdrawalFailed failedEnd"
      )
      expect(readFileSync(join(out, "withdrawal-third-attempt.mmd"), "utf8")).toMatch(
        /^ {2}class .*\bn_Activity_execute\b.* done$/m
      )
    })

    test("deletes and re-creates a database an earlier demo created", async () => {
      mkdirSync(join(dir, "again"))
      const file = join(dir, "again", "demo.db")
      const first = await cli("demo", "--db", file, "--out", join(dir, "again", "1"))
      expect([first.code, first.stderr]).toEqual([0, ""])
      const second = await cli("demo", "--db", file, "--out", join(dir, "again", "2"))
      expect([second.code, second.stderr]).toEqual([0, ""])
      expect(second.stdout).toContain(`Database: ${file} — a fresh file (the previous demo database was deleted).`)
    })

    test("refuses to delete a store that holds only pull requests but was not created by the demo", async () => {
      const file = join(dir, "mine.db")
      copyFileSync(db, file)
      const before = readFileSync(file)
      const run = await cli("demo", "--db", file, "--out", join(dir, "unused-mine"))
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(
        `error: ${file} exists and was not created by the demo; the demo only deletes a database it created itself: pass another --db\n`
      )
      expect(readFileSync(file).equals(before)).toBe(true)
      expect(existsSync(join(dir, "unused-mine"))).toBe(false)
    })

    test("refuses to delete a --db file it did not write", async () => {
      const file = join(dir, "precious.txt")
      writeFileSync(file, "not a database\n")
      const run = await cli("demo", "--db", file, "--out", join(dir, "unused"))
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(
        /^error: .*precious\.txt exists and is not a durable-monad database .*pass another --db/
      )
      expect(readFileSync(file, "utf8")).toBe("not a database\n")
      expect(existsSync(join(dir, "unused"))).toBe(false)
    })
  })

  describe("durable-monad inspect", () => {
    test("lists the instances with their status; one that does not load is shown and fails the command", async () => {
      const run = await cli("inspect", EXAMPLE, "--db", db)
      expect(run.stdout.split("\n")).toEqual([
        `Instances of workflow pullRequest in ${db}:`,
        "",
        "  instance  status                step       state",
        "  broken    does not load                    NonDeterminismError: pullRequest-broken@1: expected step create-pr, found an event of step review-pr",
        '  merged    completed                        Merged { commit: "a1b2c3" }',
        '  waiting   waiting for ReviewPR  review-pr  Checked { commit: "c0ffee", results: "passed: 3 of 3" }',
        ""
      ])
      expect(run.stderr).toBe(
        "error: 1 of 3 instances could not be loaded; see `--instance ID` for the details of one\n"
      )
      expect(run.code).toBe(1)
    })

    test("prints the audit trail of an instance: every event and the state after it", async () => {
      const run = await cli("inspect", EXAMPLE, "--db", db, "--instance", "merged")
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect(run.stdout.split("\n")).toEqual([
        `Instance merged of workflow pullRequest (stream pullRequest-merged) in ${db}`,
        `Definition: unchanged since the instance started (fingerprint ${fingerprint(toModel(pullRequest))})`,
        "",
        "  rev  time                      step          type              payload                        state after",
        "  0    2026-01-01T00:00:00.000Z  start         WorkflowStarted   { input: Empty }               Empty",
        '  1    2026-01-01T00:00:00.000Z  create-pr     PRCreated         { commit: "a1b2c3" }           Initiated { commit: "a1b2c3" }',
        '  2    2026-01-01T00:00:00.000Z  run-pipeline  PipelineFinished  { results: "passed: 3 of 3" }  Checked { commit: "a1b2c3", results: "passed: 3 of 3" }',
        '  3    2026-01-01T00:00:00.000Z  review-pr     PRReviewed        { approve: true }              Merged { commit: "a1b2c3" }',
        "",
        "Status: completed",
        'State:  Merged { commit: "a1b2c3" }',
        ""
      ])
    })

    test("a history that does not replay: the recorded events, then the error with stream and revision; exit 1", async () => {
      const run = await cli("inspect", EXAMPLE, "--db", db, "--instance", "broken")
      expect(run.code).toBe(1)
      expect(run.stdout).toContain("Recorded events (as stored; they could not all be replayed):")
      expect(run.stdout).toContain("  1    2026-01-01T00:00:00.000Z  review-pr  PRReviewed       { approve: true }")
      expect(run.stderr).toBe(
        [
          "error: the history of pullRequest-broken does not replay through the definition (NonDeterminismError)",
          "  stream:   pullRequest-broken",
          "  revision: 1",
          "  problem:  expected step create-pr, found an event of step review-pr",
          ""
        ].join("\n")
      )
    })

    test("an unknown instance or database is an error, exit 1", async () => {
      const [instance, file] = await Promise.all([
        cli("inspect", EXAMPLE, "--db", db, "--instance", "nope"),
        cli("inspect", EXAMPLE, "--db", join(dir, "missing.db"))
      ])
      expect(instance.code).toBe(1)
      expect(instance.stderr).toBe(
        `error: no instance "nope" of workflow pullRequest in ${db} (stream pullRequest-nope is empty)\n`
      )
      expect(file.code).toBe(1)
      expect(file.stderr).toBe(`error: no database file: ${join(dir, "missing.db")}\n`)
      expect(existsSync(join(dir, "missing.db"))).toBe(false)
    })
  })

  const HEADERS = {
    bpmn: (lines: ReadonlyArray<string>) => {
      expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>')
      expect(lines[1]).toMatch(/^<bpmn:definitions xmlns:bpmn="http:\/\/www\.omg\.org\/spec\/BPMN\/20100524\/MODEL" /)
    },
    svg: (lines: ReadonlyArray<string>) => {
      expect(lines[0]).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /)
      expect(lines[1]).toBe("<title>pullRequest</title>")
    },
    mermaid: (lines: ReadonlyArray<string>) => {
      expect(lines.slice(0, 2)).toEqual(["%% pullRequest", "flowchart LR"])
    }
  } as const

  const DESCRIPTION = { bpmn: "BPMN 2.0 XML", svg: "SVG", mermaid: "Mermaid flowchart" } as const

  /** What each format draws for progress. */
  const PROGRESS = { bpmn: 'bioc:stroke="', svg: "dm-done", mermaid: "classDef done" } as const

  describe("durable-monad render", () => {
    for (const format of ["bpmn", "svg", "mermaid"] as const) {
      test(`--format ${format} -o FILE with --db/--instance: the workflow with the instance's progress`, async () => {
        const file = join(dir, "render", `waiting.${format}`)
        const run = await cli("render", EXAMPLE, "-f", format, "--db", db, "--instance", "waiting", "--output", file)
        expect(run.stderr).toBe("")
        expect(run.code).toBe(0)
        expect(run.stdout).toBe(
          `Wrote ${file}: ${DESCRIPTION[format]} of pullRequest, with the progress of instance waiting\n`
        )
        const drawn = readFileSync(file, "utf8")
        HEADERS[format](drawn.split("\n"))
        expect(drawn).toContain(PROGRESS[format])
      })
    }

    test("writes to stdout without -o; draws a plain Workflow export too", async () => {
      // An application's module: ESM, as in a package with "type": "module" (as CommonJS, tsx would require the
      // library a second time, which the CLI refuses: see test/package/effectCopies.test.ts).
      mkdirSync(join(dir, "app"))
      writeFileSync(join(dir, "app/package.json"), '{ "type": "module" }\n')
      const module = join(dir, "app/greeting.ts")
      writeFileSync(
        module,
        [
          `import { Workflow } from ${JSON.stringify(join(ROOT, "src/index.ts"))}`,
          `export const greet = Workflow.pure("Greet", (name: string) => "hello " + name)`,
          "export const notAWorkflow = 42",
          ""
        ].join("\n")
      )
      const [stdout, plainWorkflow] = await Promise.all([
        cli("render", EXAMPLE, "--format", "mermaid"),
        cli("render", `${module}#greet`, "--format", "mermaid")
      ])
      expect(stdout.code).toBe(0)
      HEADERS.mermaid(stdout.stdout.split("\n"))
      expect(stdout.stdout).toContain('n_Activity_run_pipeline("Run pipeline")')
      expect(stdout.stdout).not.toContain(PROGRESS.mermaid)
      expect(plainWorkflow.code).toBe(0)
      expect(plainWorkflow.stdout.split("\n").slice(0, 2)).toEqual(["%% workflow", "flowchart LR"])
      expect(plainWorkflow.stdout).toContain('"Greet"')
    })
  })

  describe("errors", () => {
    test("bad usage exits 2 with the error on stderr", async () => {
      const [unknown, missingFlag, badFormat, halfProgress] = await Promise.all([
        cli("deploy"),
        cli("inspect", EXAMPLE),
        cli("render", EXAMPLE, "--format", "png"),
        cli("render", EXAMPLE, "--format", "svg", "--db", db)
      ])
      for (const run of [unknown, missingFlag, badFormat, halfProgress]) {
        expect(run.code).toBe(2)
        expect(run.stdout).toBe("")
      }
      expect(unknown.stderr).toMatch(/^ERROR\n {2}Unknown subcommand "deploy" for "durable-monad"\n/)
      expect(unknown.stderr).toContain("Run `durable-monad --help` for more.")
      expect(missingFlag.stderr).toMatch(/^ERROR\n {2}Missing the store: pass --db FILE or --store STORE\n/)
      expect(badFormat.stderr).toMatch(
        /^ERROR\n {2}Invalid value for flag --format: "png"\. Expected: "bpmn" \| "svg" \| "mermaid"\n/
      )
      expect(halfProgress.stderr).toMatch(/^ERROR\n {2}--db \(or --store\) and --instance go together/)
    })

    test("a missing file or export, or an export that is not a workflow, exits 1 with a clear message", async () => {
      const [missingExport, notWorkflow, missingFile] = await Promise.all([
        cli("render", "examples/pull-request.ts#pullRequests", "--format", "svg"),
        cli("render", "examples/pull-request.ts#CreatePR", "--format", "svg"),
        cli("render", "examples/nope.ts#x", "--format", "svg")
      ])
      expect(missingExport.code).toBe(1)
      expect(missingExport.stderr).toBe(
        'error: examples/pull-request.ts has no export "pullRequests" (workflow exports of examples/pull-request.ts: pullRequest)\n'
      )
      expect(notWorkflow.code).toBe(1)
      expect(notWorkflow.stderr).toBe(
        "error: examples/pull-request.ts#CreatePR is not a workflow (a Workflow value or a Workflow.define definition); workflow exports of examples/pull-request.ts: pullRequest\n"
      )
      expect(missingFile.code).toBe(1)
      expect(missingFile.stderr).toBe(
        `error: no such file: examples/nope.ts (looked for ${join(ROOT, "examples/nope.ts")})\n`
      )
    })

    test("help exits 0 and lists the commands", async () => {
      const run = await cli("--help")
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^ {2}demo {7}Run the demo \(SQLite or EventStoreDB\): pull requests/m)
      expect(run.stdout).toMatch(/^ {2}inspect {4}List a workflow's instances/m)
      expect(run.stdout).toMatch(/^ {2}render {5}Draw a workflow/m)
    })
  })
})
