/**
 * `durable-monad demo`: the pull-request example (examples/pull-request.ts) on the SQLite store, in plain words.
 *
 * Runtime #1 starts six pull requests and signals them: merged, rejected, a commit id too long, a failing
 * pipeline, one left waiting for review, and one whose CI service is down (it stays at "Run pipeline"); two
 * refused signals show typed errors with nothing appended. Then runtime #1 and its store connection are closed,
 * and runtime #2 — a new layer and a new connection over the same file, so nothing is cached — recovers every
 * instance from its events. Then a Worker over the same file is registered with the CI service: it finds the stuck
 * instance through the store's registry and runs its step by itself (nobody calls `resume`), and the waiting one is
 * approved through it. The fake CI service counts its calls: recovery calls it zero times. Then the diagrams of
 * each instance's progress are written. Finally, durable time on the withdrawal example (src/cli/demoWithdrawal.ts):
 * a timer that fires after a restart, a retry that succeeds on the third attempt, a cancellation.
 */
import { Effect, Equal, FileSystem, Layer, Option, References, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import {
  EVENT_ID_NAMESPACE,
  type JournalEntry,
  NoStream,
  nameUuid,
  toModel,
  toProgress,
  Worker,
  WorkflowRuntime
} from "durable-monad"
import { CreatePR, Empty, Pipeline, pullRequest, ReviewPR } from "../../examples/pull-request.js"
import { diagramWriter, type InstanceOf, invocation, say } from "./demoKit.js"
import { withdrawalPart } from "./demoWithdrawal.js"
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
import {
  describeStore,
  namespaceFlag,
  parseStore,
  type StoreSpec,
  storeArguments,
  storeFlag,
  storeLayer
} from "./store.js"

// ---- the cast ----

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

/**
 * The stream by which the demo marks a database as its own. Only a file with this marker is ever deleted: a store
 * that merely holds pull requests may be a user's own data with the same workflow name.
 */
const MARKER_STREAM = "durableMonadDemo-database"
const MARKER_TYPE = "DemoDatabaseCreated"
const markerEvent = {
  id: nameUuid(EVENT_ID_NAMESPACE, `${MARKER_STREAM}/0`),
  type: MARKER_TYPE,
  data: { by: "durable-monad demo", note: "the demo deletes and re-creates this file on its next run" },
  metadata: { status: "Completed" }
}

const refuse = (file: string, why: string) =>
  new CliFailure({ message: `${file} ${why}; the demo only deletes a database it created itself: pass another --db` })

/** Make sure `file` is a new database, deleting an earlier demo's; then mark it as the demo's. */
const freshDatabase = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const SqliteStore = yield* sqliteStore
    let outcome = "a new file"
    if (yield* fs.exists(file)) {
      const marker = yield* Effect.scoped(
        Effect.flatMap(SqliteStore.make({ file, readonly: true }), (store) =>
          Stream.runCollect(store.read(MARKER_STREAM, { maxCount: 1 }))
        )
      ).pipe(Effect.mapError((e) => refuse(file, `exists and is not a durable-monad database (${e.message})`)))
      if (marker[0]?.type !== MARKER_TYPE || marker[0].id !== markerEvent.id) {
        return yield* refuse(file, "exists and was not created by the demo")
      }
      for (const f of [file, `${file}-wal`, `${file}-shm`]) yield* fs.remove(f, { force: true })
      outcome = "a fresh file (the previous demo database was deleted)"
    }
    yield* Effect.scoped(
      Effect.flatMap(SqliteStore.make({ file }), (store) => store.append(MARKER_STREAM, NoStream, [markerEvent]))
    ).pipe(Effect.mapError((e) => new CliFailure({ message: `cannot create ${file}: ${e.message}` })))
    return outcome
  })

/**
 * A runtime and a worker over the store: a new layer each call, so a new store connection and no cached instances.
 * The worker parks a failing step after one attempt (the demo shows the incident instead of retrying).
 */
const runtimeOn = (store: StoreSpec, ci: FakeCi) =>
  Layer.mergeAll(
    Layer.mergeAll(Layer.fresh(WorkflowRuntime.layer), Worker.layer({ maxAttempts: 1 })).pipe(
      Layer.provide(storeLayer(store, { readonly: false }))
    ),
    ci.layer
  )

/**
 * Where this run of the demo keeps its instances, and how to say so: a SQLite file made fresh (see
 * {@link freshDatabase}), or on EventStoreDB — where nothing can be deleted — a namespace of its own per run.
 */
const prepareStore = (store: StoreSpec) =>
  Effect.gen(function* () {
    if (store._tag === "Sqlite") {
      const fresh = yield* freshDatabase(store.file)
      return { store, said: `Database: ${store.file} — ${fresh}.` }
    }
    const namespace = store.namespace ?? `demo${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`
    const own: StoreSpec = { ...store, namespace }
    return { store: own, said: `Store: ${describeStore(own)} — a namespace of this run's own.` }
  })

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

const diagrams = (out: string, ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    const model = toModel(pullRequest)
    yield* say(...heading("6. Diagrams"))
    const writer = diagramWriter(out)
    yield* writer.write("(the workflow)", "pull-request", model, undefined)
    for (const id of ids) {
      const pr = yield* runtime.get(pullRequest, id)
      const progress = toProgress(model, yield* pr.replay)
      yield* writer.write(`${id} (${progress.status})`, id, model, progress)
    }
    yield* say(
      `Written to ${out}${out.endsWith("/") ? "" : "/"}: the workflow, then each instance's progress drawn on it`,
      "(done, current, failed, not reached).",
      "",
      ...writer.report()
    )
  })

const run = (chosen: StoreSpec, out: string) =>
  Effect.gen(function* () {
    const ci = new FakeCi()
    yield* say(
      style.bold("durable-monad demo: a pull-request workflow that survives a restart"),
      "",
      "The workflow (examples/pull-request.ts):",
      "  CreatePR signal → Run pipeline (calls the CI service) → ReviewPR signal → Merge",
      "  any failure on the way (commit id too long, CI errors, review rejected) → Close PR",
      "Then durable time, on a withdrawal (examples/withdrawal.ts): a timer that fires after a restart, a retry that",
      "succeeds on the third attempt, a cancellation."
    )
    const { store, said } = yield* prepareStore(chosen)
    yield* say("", said)

    // Each `Effect.provide` builds its runtime and opens its connection, and closes both when the phase ends.
    const before = yield* firstRun(ci).pipe(Effect.provide(runtimeOn(store, ci)))
    yield* recovery(ci, describeStore(store), before).pipe(
      Effect.flatMap((ids) => diagrams(out, ids)),
      Effect.provide(runtimeOn(store, ci))
    )
    yield* withdrawalPart(store, describeStore(store), out)

    const { cli, example } = invocation("pull-request", "pullRequest")
    const withdrawals = invocation("withdrawal", "withdrawal").example
    const where = storeArguments(store)
    yield* say(
      ...heading("Next"),
      `Look at the instances again, from the ${store._tag === "Sqlite" ? "file" : "store"}:`,
      `  ${cli} inspect ${example} ${where}`,
      `  ${cli} inspect ${example} ${where} --instance approved`,
      `  ${cli} render ${example} --format svg ${where} --instance in-review -o in-review.svg`,
      `  ${cli} inspect ${withdrawals} ${where} --instance third-attempt`
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
        "The SQLite database file to use (default .durable-monad/demo.db); deleted first if an earlier demo created it (the demo marks its databases), any other file is left alone"
      ),
      Flag.withDefault(".durable-monad/demo.db")
    ),
    store: storeFlag,
    namespace: namespaceFlag,
    out: Flag.String("out").pipe(
      Flag.withMetavar("DIR"),
      Flag.withDescription(
        "Where to write the diagrams (BPMN, SVG, Mermaid) of each instance's progress (default .durable-monad/diagrams)"
      ),
      Flag.withDefault(".durable-monad/diagrams")
    )
  },
  ({ db, store, namespace, out }) =>
    // --store (SQLite or EventStoreDB) takes the place of --db, whose default is the demo's own file.
    Effect.flatMap(
      parseStore(
        Option.getOrElse(store, () => `sqlite:${db}`),
        namespace
      ),
      (spec) => run(spec, out)
    )
).pipe(
  Command.withShortDescription(
    "Run the demo (SQLite or EventStoreDB): pull requests, signals, a restart, durable time, diagrams"
  ),
  Command.withDescription(
    "Run the pull-request example on the SQLite store (or on EventStoreDB with --store esdb://…, in a namespace of the run's own): six instances, signals, refused signals, a restart that recovers everything from the file (counting calls to the CI service), and diagrams of each instance's progress; then three withdrawals on a controlled clock: a timer that fires after a restart, a retry that succeeds on the third attempt, a cancellation."
  )
)
