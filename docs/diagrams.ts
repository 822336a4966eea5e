/**
 * The diagrams of the examples checked into docs/diagrams/: each workflow as BPMN, SVG and Mermaid, and the
 * progress of one scripted instance drawn on it; and the harder workflows the layout is judged on (`layout-*`: a
 * six-way branch, nested loops with a catch inside, a 40-step sequence, a sub-workflow in a branch in a loop).
 * `npm run diagrams` writes them; a test fails when they are stale.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import {
  type Definition,
  MemoryStore,
  type Progress,
  toModel,
  toProgress,
  type WorkflowModel,
  WorkflowRuntime
} from "durable-monad"
import { toBpmn, toMermaid, toSvg } from "durable-monad/render"
import { expenseReport, Payments, Policy, Resubmit, Review, Submitted } from "../examples/expense-report.js"
import { CreatePR, Empty, Pipeline, pullRequest } from "../examples/pull-request.js"
import { CreateWithdrawal, withdrawal } from "../examples/withdrawal.js"
import { fakeServices } from "../examples/withdrawalFakes.js"
import { harder, nestedLoops, nestedLoopsProgress } from "../test/render/fixtures.js"

export const DIAGRAMS_DIR = new URL("./diagrams/", import.meta.url)

/** Run a scripted instance on a memory store (fixed clock: the output is deterministic) and return its progress. */
const progressOf = <In, Out, E, R, S>(
  definition: Definition<In, Out, E, R, S>,
  script: Effect.Effect<string, unknown, WorkflowRuntime | R>,
  services: Layer.Layer<R>
): Promise<Progress> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const id = yield* script
      const instance = yield* (yield* WorkflowRuntime).get(definition, id)
      return toProgress(toModel(definition), yield* instance.replay)
    }).pipe(
      // The runtime's own fibers (its worker) read the clock too: it is given the same test clock as the script.
      Effect.provide([
        WorkflowRuntime.layer.pipe(Layer.provide(MemoryStore.layer), Layer.provideMerge(TestClock.layer())),
        services
      ])
    ) as Effect.Effect<Progress>
  )

const examples = [
  {
    name: "pull-request",
    definition: pullRequest,
    // Created, checked by CI, waiting for its review.
    progress: () =>
      progressOf(
        pullRequest,
        Effect.gen(function* () {
          const pr = yield* (yield* WorkflowRuntime).start(pullRequest, { id: "42", input: new Empty() })
          yield* pr.signal(CreatePR, { commit: "a1b2c3" })
          return pr.id
        }),
        Layer.succeed(Pipeline, { run: () => Effect.succeed("passed: 12 of 12 tests") })
      )
  },
  {
    name: "expense-report",
    definition: expenseReport,
    // Sent back for changes once, resubmitted, waiting for its second review.
    progress: () =>
      progressOf(
        expenseReport,
        Effect.gen(function* () {
          const report = yield* (yield* WorkflowRuntime).start(expenseReport, {
            id: "7",
            input: new Submitted({ employee: "bob", amount: 500, rounds: 0 })
          })
          yield* report.signal(Review, { by: "carol", decision: "changes", comment: "receipt missing" })
          yield* report.signal(Resubmit, { amount: 450 })
          return report.id
        }),
        Layer.mergeAll(
          Layer.succeed(Policy, { check: () => Effect.succeed([]) }),
          Layer.succeed(Payments, { schedule: () => Effect.succeed("PAY-1"), notify: () => Effect.void })
        )
      )
  },
  {
    name: "withdrawal",
    definition: withdrawal,
    // Created, funds on hold, one check still pending: sleeping 20 seconds before the next round of checks.
    progress: () =>
      progressOf(
        withdrawal,
        Effect.gen(function* () {
          // A fixed time: the progress of a sleeping instance carries the timer's due time.
          yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
          const w = yield* (yield* WorkflowRuntime).start(withdrawal, { id: "tx-1", input: { account: "acc-1" } })
          yield* w.signal(CreateWithdrawal, { txId: "tx-1", amount: 100, recipient: "DE89 3704" })
          return w.id
        }),
        fakeServices({ balance: 1000, rounds: [{ aml: "pending", sanctions: "approved" }] }).layer
      )
  }
] as const

/** Each example's model, with the progress of its scripted instance. */
export const exampleModels = (): Promise<
  ReadonlyArray<{ readonly name: string; readonly model: WorkflowModel; readonly progress: Progress }>
> =>
  Promise.all(
    examples.map(async (example) => ({
      name: example.name,
      model: toModel(example.definition),
      progress: await example.progress()
    }))
  )

/** Every diagram file: name (in docs/diagrams/) and content. */
export const diagrams = async (): Promise<ReadonlyArray<{ readonly file: string; readonly content: string }>> => {
  const files: Array<{ file: string; content: string }> = []
  for (const example of await exampleModels()) {
    const { model, progress } = example
    files.push(
      { file: `${example.name}.bpmn`, content: await toBpmn(model) },
      { file: `${example.name}.svg`, content: await toSvg(model) },
      { file: `${example.name}.mmd`, content: toMermaid(model) },
      { file: `${example.name}.progress.bpmn`, content: await toBpmn(model, { progress }) },
      { file: `${example.name}.progress.svg`, content: await toSvg(model, { progress }) },
      { file: `${example.name}.progress.mmd`, content: toMermaid(model, { progress }) }
    )
  }
  for (const [name, model] of Object.entries(harder)) {
    const file = `layout-${name.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()}`
    files.push(
      { file: `${file}.bpmn`, content: await toBpmn(model) },
      { file: `${file}.svg`, content: await toSvg(model) },
      { file: `${file}.mmd`, content: toMermaid(model) }
    )
    if (model === nestedLoops)
      files.push(
        { file: `${file}.progress.bpmn`, content: await toBpmn(model, { progress: nestedLoopsProgress }) },
        { file: `${file}.progress.svg`, content: await toSvg(model, { progress: nestedLoopsProgress }) },
        { file: `${file}.progress.mmd`, content: toMermaid(model, { progress: nestedLoopsProgress }) }
      )
  }
  return files
}

// Run directly (`npm run diagrams`): write the files.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const files = await diagrams()
  mkdirSync(DIAGRAMS_DIR, { recursive: true })
  for (const { file, content } of files) writeFileSync(new URL(file, DIAGRAMS_DIR), content)
  console.log(`wrote ${files.length} files to docs/diagrams/`)
}
