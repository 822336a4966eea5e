/**
 * `durable-monad demo`: the pull-request example (examples/pull-request.ts) on the SQLite store, in plain words.
 *
 * Runtime #1 starts six pull requests and signals them: merged, rejected, a commit id too long, a failing
 * pipeline, one left waiting for review, and one whose CI service is down (it stays at "Run pipeline"); two
 * refused signals show typed errors with nothing appended. Then runtime #1 and its store connection are closed,
 * and runtime #2 — a new layer and a new connection over the same file, so nothing is cached — recovers every
 * instance from its events. Then a Worker over the same file is registered with the CI service: it finds the stuck
 * instance through the store's registry and runs its step by itself (nobody calls `resume`), and the waiting one is
 * approved through it. The fake CI service counts its calls: recovery calls it zero times. Finally the diagrams of
 * each instance's progress are written.
 */
import { basename, extname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { Console, Effect, Equal, FileSystem, Layer, References, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import {
  type Definition,
  type Instance,
  type JournalEntry,
  toModel,
  toProgress,
  Worker,
  WorkflowRuntime
} from "durable-monad"
import { CreatePR, Empty, Pipeline, pullRequest, ReviewPR } from "../../examples/pull-request.js"
import {
  CliFailure,
  describeStatus,
  heading,
  indent,
  journalTable,
  oneLine,
  pretty,
  shallow,
  style,
  table
} from "./format.js"
import { sqliteStore } from "./loadWorkflow.js"
import { draw, type Format, writeText } from "./render.js"

// ---- the cast ----

type InstanceOf<D> =
  D extends Definition<infer In, infer Out, infer E, infer R, infer S> ? Instance<In, Out, E, R, S> : never
type PullRequest = InstanceOf<typeof pullRequest>

interface Scenario {
  readonly id: string
  readonly commit: string
  readonly what: string
}

const SCENARIOS: ReadonlyArray<Scenario> = [
  { id: "approved", commit: "a1b2c3", what: "passes CI, is approved and merged" },
  { id: "rejected", commit: "b2c3d4", what: "passes CI, the reviewer rejects it" },
  { id: "long-commit", commit: "c3d4e5f6a7b8", what: "commit id longer than 8 characters: closed at once" },
  { id: "failing-ci", commit: "d4e5f6", what: "CI finds errors: closed" },
  { id: "in-review", commit: "e5f6a7", what: "passes CI, left waiting for a review" },
  { id: "ci-down", commit: "f6a7b8", what: "CI service is down: stays at Run pipeline" }
]

/** What the fake CI answers per commit (anything else passes). */
const CI_RESULTS: Readonly<Record<string, string>> = { d4e5f6: "error: 2 of 12 tests failed" }
const CI_PASSED = "passed: 12 of 12 tests"

// ---- a fake CI service that counts its calls ----

interface CiCall {
  readonly commit: string
  readonly idempotencyKey: string
  readonly answered: boolean
  readonly phase: Phase
}

type Phase = "before the restart" | "recovery" | "after the restart"

class FakeCi {
  up = true
  phase: Phase = "before the restart"
  readonly calls: Array<CiCall> = []
  /** Lines describing calls, printed under the action that caused them. */
  pending: Array<string> = []

  readonly layer = Layer.succeed(Pipeline, {
    run: (commit: string, idempotencyKey: string) =>
      Effect.suspend(() => {
        const n = this.calls.length + 1
        this.calls.push({ commit, idempotencyKey, answered: this.up, phase: this.phase })
        if (!this.up) {
          this.pending.push(`↳ CI pipeline call #${n} for ${commit}: no answer, the service is down`)
          return Effect.die(new Error("the CI service is unavailable (HTTP 503)"))
        }
        const results = CI_RESULTS[commit] ?? CI_PASSED
        // A retried step gets the same idempotency key, so a real service could recognise the retry.
        const earlier = this.calls.findIndex((c) => c.idempotencyKey === idempotencyKey) + 1
        const retry = earlier < n ? ` (a retry of call #${earlier}: same idempotency key ${idempotencyKey})` : ""
        this.pending.push(`↳ CI pipeline call #${n} for ${commit}: ${JSON.stringify(results)}${retry}`)
        return Effect.succeed(results)
      })
  })

  count(commit: string, phase: Phase): number {
    return this.calls.filter((c) => c.commit === commit && c.phase === phase).length
  }
}

// ---- output helpers ----

const say = (...lines: ReadonlyArray<string>) => Console.log(lines.join("\n"))

const ID_WIDTH = Math.max(...SCENARIOS.map((s) => s.id.length)) + 2
const ACTION_WIDTH = Math.max(...SCENARIOS.map((s) => `signal CreatePR { commit: "${s.commit}" }`.length)) + 1
const UNDER = " ".repeat(ID_WIDTH + 2)

/** One line: instance, what was done, what came of it; then the CI calls it caused, indented under it. */
const line = (ci: FakeCi, id: string, action: string, outcome: string, ...more: ReadonlyArray<string>) => {
  const calls = ci.pending.map((c) => UNDER + style.dim(c))
  ci.pending = []
  return say(
    `${id.padEnd(ID_WIDTH)}${action.padEnd(ACTION_WIDTH)} → ${outcome}`,
    ...calls,
    ...more.map((m) => UNDER + m)
  )
}

const outcome = (instance: PullRequest) =>
  Effect.gen(function* () {
    const status = yield* instance.status
    if (status._tag === "Completed") return `completed: ${shallow(yield* instance.state)}`
    return describeStatus(status)
  })

// ---- the steps of the demo ----

const freshDatabase = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(file))) return "a new file"
    // Only ever delete a database this demo wrote: a durable-monad store holding nothing but pull requests.
    const SqliteStore = yield* sqliteStore
    const streams = yield* Effect.scoped(
      Effect.flatMap(SqliteStore.make({ file }), (store) =>
        Stream.runCollect(Stream.map(store.instances(), (row) => row.stream))
      )
    ).pipe(
      Effect.mapError(
        (e) =>
          new CliFailure({
            message: `${file} exists and is not a durable-monad database (${e.message}); the demo will not delete it: pass another --db`
          })
      )
    )
    const foreign = streams.filter((s) => !s.startsWith(`${pullRequest.name}-`))
    if (foreign.length > 0) {
      return yield* new CliFailure({
        message: `${file} holds instances of other workflows (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}); the demo will not delete it: pass another --db`
      })
    }
    for (const f of [file, `${file}-wal`, `${file}-shm`]) yield* fs.remove(f, { force: true })
    return "a fresh file (the previous demo database was deleted)"
  })

/**
 * A runtime and a worker over the SQLite file: a new layer each call, so a new store connection and no cached
 * instances. The worker parks a failing step after one attempt (the demo shows the incident instead of retrying).
 */
const runtimeOn = (file: string, ci: FakeCi) =>
  Layer.mergeAll(
    Layer.unwrap(
      Effect.map(sqliteStore, (SqliteStore) =>
        Layer.mergeAll(Layer.fresh(WorkflowRuntime.layer), Worker.layer({ maxAttempts: 1 })).pipe(
          Layer.provide(SqliteStore.layer({ file }))
        )
      )
    ),
    ci.layer
  )

const firstRun = (ci: FakeCi) =>
  Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    const handles = new Map<string, PullRequest>()

    yield* say(...heading("1. Runtime #1 runs six pull requests"))
    yield* say(
      "Each line: the instance, what we do to it, and where it stands afterwards. Lines marked ↳ are the",
      "calls to the CI service made on the way. Every completed step is recorded in the database before the",
      "instance moves on.",
      ""
    )
    for (const s of SCENARIOS) {
      if (s.id === "ci-down") {
        ci.up = false
        yield* say(style.yellow("(the CI service goes down)"))
      }
      const pr = yield* runtime.start(pullRequest, { id: s.id, input: new Empty() })
      handles.set(s.id, pr)
      yield* line(ci, s.id, "start", yield* outcome(pr))
      yield* pr.signal(CreatePR, { commit: s.commit })
      yield* line(ci, s.id, `signal CreatePR { commit: "${s.commit}" }`, yield* outcome(pr))
      if (s.id === "approved" || s.id === "rejected") {
        const approve = s.id === "approved"
        yield* pr.signal(ReviewPR, { approve })
        yield* line(ci, s.id, `signal ReviewPR { approve: ${approve} }`, yield* outcome(pr))
      }
    }

    yield* say(...heading("2. Signals that do not fit are refused, and nothing is recorded"))
    const inReview = handles.get("in-review")!
    const refuse = <R>(
      action: string,
      send: Effect.Effect<void, { readonly _tag: string; readonly message: string }, R>
    ) =>
      Effect.gen(function* () {
        const before = (yield* inReview.journal).length
        const result = yield* Effect.result(send)
        const after = (yield* inReview.journal).length
        const journal = `journal: ${before} events before, ${after} after${before === after ? ": nothing appended" : ""}`
        yield* Result.isFailure(result)
          ? line(ci, "in-review", action, `refused: ${result.failure._tag}`, oneLine(result.failure.message), journal)
          : line(ci, "in-review", action, "accepted (this is a bug)", journal)
      })
    // A CLI or an HTTP endpoint receives untyped JSON: in TypeScript this payload would not even compile.
    yield* refuse(
      `signal ReviewPR { approve: "yes" }`,
      inReview.signal(ReviewPR, { approve: "yes" } as unknown as { approve: boolean })
    )
    yield* refuse(`signal CreatePR { commit: "a1b2c3" }`, inReview.signal(CreatePR, { commit: "a1b2c3" }))

    const states = new Map<string, unknown>()
    for (const s of SCENARIOS) states.set(s.id, yield* handles.get(s.id)!.state)
    return states
  })

const recovery = (ci: FakeCi, file: string, before: ReadonlyMap<string, unknown>) =>
  Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    yield* say(...heading("3. Restart: runtime #2 recovers every instance from the file"))
    yield* say(
      `Runtime #1 is gone and its connection to ${file} is closed. Runtime #2 is a new layer`,
      "with a new connection: it knows only what the file holds, and rebuilds each instance by replaying its",
      "events through the definition. Only the pure parts run again, never a recorded step.",
      ""
    )
    ci.phase = "recovery"
    const listed = yield* Stream.runCollect(runtime.list(pullRequest))
    yield* say(`Instances in the file: ${listed.join(", ")}`)
    // In the order of section 1, for reading; any instance the file holds and the demo did not start comes last.
    const order = SCENARIOS.map((s) => s.id)
    const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length)
    const ids = [...listed].sort((a, b) => rank(a) - rank(b))
    let equal = 0
    for (const id of ids) {
      const pr = yield* runtime.get(pullRequest, id)
      const state = yield* pr.state
      const status = yield* pr.status
      const journal: ReadonlyArray<JournalEntry> = yield* pr.journal
      const same = Equal.equals(state, before.get(id))
      if (same) equal++
      yield* say(
        "",
        `${style.bold(id)}: ${describeStatus(status)}`,
        `  state (${same ? style.green("same as before the restart") : style.red("NOT the same as before the restart")}): ${pretty(state)}`,
        ...indent(journalTable(journal))
      )
    }
    const recoveryCalls = ci.calls.filter((c) => c.phase === "recovery").length
    yield* say(
      "",
      `Recovered states equal the states before the restart: ${equal} of ${ids.length}.`,
      `CI pipeline calls during recovery: ${recoveryCalls}.`
    )
    if (equal !== ids.length || recoveryCalls !== 0) {
      return yield* new CliFailure({ message: "recovery did not reproduce the instances: this is a bug" })
    }

    ci.phase = "after the restart"
    yield* say(...heading("4. A worker takes over"))
    yield* say(
      "A Worker is registered with the pull-request definition and the CI service its step needs. It looks up the",
      "instances with runnable work in the store's registry and runs them by itself: nobody calls resume.",
      ""
    )
    ci.up = true
    yield* say(style.green("(the CI service is back up)"))
    const worker = yield* Worker
    yield* worker.register(pullRequest, ci.layer)
    const ciDown = yield* worker.get(pullRequest, "ci-down")
    for (let i = 0; i < 500 && (yield* ciDown.status)._tag === "Running"; i++) yield* Effect.sleep(10)
    yield* line(ci, "ci-down", "(registered with the worker)", yield* outcome(ciDown))
    const inReview = yield* worker.get(pullRequest, "in-review")
    yield* inReview.signal(ReviewPR, { approve: true })
    yield* line(ci, "in-review", "signal ReviewPR { approve: true }", yield* outcome(inReview))

    yield* say(...heading("5. CI pipeline calls per pull request"))
    const rows = SCENARIOS.map((s) => [
      s.id,
      s.commit,
      String(ci.count(s.commit, "before the restart")),
      String(ci.count(s.commit, "recovery")),
      String(ci.count(s.commit, "after the restart")),
      s.what
    ])
    yield* say(...indent(table(["instance", "commit", "before restart", "recovery", "after", "scenario"], rows)))
    const failed = ci.calls.filter((c) => !c.answered).length
    yield* say(
      "",
      `${ci.calls.length} calls in all, ${failed} unanswered (the service was down). Recovering ${ids.length} instances called`,
      `the pipeline ${recoveryCalls} times: a recorded step never runs again. Only the step of ci-down, whose failed`,
      "attempt had been recorded but not its event, ran again: the worker found it and ran it on its own."
    )
    return ids
  })

const EXTENSIONS: Readonly<Record<Format, string>> = { bpmn: "bpmn", svg: "svg", mermaid: "mmd" }

const diagrams = (out: string, ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    const model = toModel(pullRequest)
    yield* say(...heading("6. Diagrams"))
    const written: Array<Array<string>> = []
    const writeAll = (name: string, progress: Parameters<typeof draw>[2]) =>
      Effect.gen(function* () {
        const files: Array<string> = []
        for (const format of ["bpmn", "svg", "mermaid"] as const) {
          const file = join(out, `${name}.${EXTENSIONS[format]}`)
          yield* writeText(file, yield* draw(model, format, progress))
          files.push(basename(file))
        }
        return files
      })
    written.push(["(the workflow)", ...(yield* writeAll("pull-request", undefined))])
    for (const id of ids) {
      const pr = yield* runtime.get(pullRequest, id)
      const progress = toProgress(model, yield* pr.replay)
      written.push([`${id} (${progress.status})`, ...(yield* writeAll(id, progress))])
    }
    yield* say(
      `Written to ${out}${out.endsWith("/") ? "" : "/"}: the workflow, then each instance's progress drawn on it`,
      "(done, current, failed, not reached).",
      "",
      ...indent(table(["diagram", "BPMN", "SVG", "Mermaid"], written)),
      "",
      "Open .bpmn in bpmn.io or Camunda Modeler, .svg in a browser, .mmd in any Mermaid viewer."
    )
  })

/** How to call this CLI again, and the example's module#export, as this process was started (source or built). */
const invocation = () => {
  const script = process.argv[1] ?? ""
  const fromSource = script.endsWith(".ts")
  const cli = fromSource ? `node --conditions=source --import tsx ${relative(process.cwd(), script)}` : "durable-monad"
  const example = fileURLToPath(new URL(`../../examples/pull-request${extname(import.meta.url)}`, import.meta.url))
  return { cli, example: `${relative(process.cwd(), example)}#pullRequest` }
}

const run = (db: string, out: string) =>
  Effect.gen(function* () {
    const ci = new FakeCi()
    yield* say(
      style.bold("durable-monad demo: a pull-request workflow that survives a restart"),
      "",
      "The workflow (examples/pull-request.ts):",
      "  CreatePR signal → Run pipeline (calls the CI service) → ReviewPR signal → Merge",
      "  any failure on the way (commit id too long, CI errors, review rejected) → Close PR"
    )
    const fresh = yield* freshDatabase(db)
    yield* say("", `Database: ${db} — ${fresh}.`)

    // Each `Effect.provide` builds its runtime and opens its connection, and closes both when the phase ends.
    const before = yield* firstRun(ci).pipe(Effect.provide(runtimeOn(db, ci)))
    yield* recovery(ci, db, before).pipe(
      Effect.flatMap((ids) => diagrams(out, ids)),
      Effect.provide(runtimeOn(db, ci))
    )

    const { cli, example } = invocation()
    yield* say(
      ...heading("Next"),
      "Look at the instances again, from the file:",
      `  ${cli} inspect ${example} --db ${db}`,
      `  ${cli} inspect ${example} --db ${db} --instance approved`,
      `  ${cli} render ${example} --format svg --db ${db} --instance in-review -o in-review.svg`
    )
  }).pipe(
    // The runtime logs a warning when a step fails after a signal was delivered; the demo says so on its own line.
    Effect.provideService(References.MinimumLogLevel, "Error")
  )

export const demo = Command.make(
  "demo",
  {
    db: Flag.String("db").pipe(
      Flag.withMetavar("FILE"),
      Flag.withDescription(
        "The SQLite database file to use (default .durable-monad/demo.db); deleted first if an earlier demo wrote it, any other file is left alone"
      ),
      Flag.withDefault(".durable-monad/demo.db")
    ),
    out: Flag.String("out").pipe(
      Flag.withMetavar("DIR"),
      Flag.withDescription(
        "Where to write the diagrams (BPMN, SVG, Mermaid) of each instance's progress (default .durable-monad/diagrams)"
      ),
      Flag.withDefault(".durable-monad/diagrams")
    )
  },
  ({ db, out }) => run(db, out)
).pipe(
  Command.withShortDescription("Run the pull-request demo on SQLite: instances, signals, a restart, diagrams"),
  Command.withDescription(
    "Run the pull-request example on the SQLite store: six instances, signals, refused signals, a restart that recovers everything from the file (counting calls to the CI service), and diagrams of each instance's progress."
  )
)
