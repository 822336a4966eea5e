/**
 * The erased model: exact JSON for the pull-request example and for a workflow that uses every node kind, and
 * the fingerprint recorded in every instance's first event.
 */
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { pullRequest } from "../../examples/pull-request.js"
import { type Caught, fingerprint, Signal, toModel, Workflow, type WorkflowModel } from "../../src/index.js"

class Fetched extends Schema.TaggedClass<Fetched>()("Fetched", { size: Schema.Number }) {}
class Logged extends Schema.TaggedClass<Logged>()("Logged", {}) {}
class Went extends Schema.TaggedClass<Went>()("Went", {}) {}
class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {}) {}
class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {}) {}
const Go = Signal.make("Go", { request: Schema.Struct({}), response: Schema.Void })

type Job = { readonly size: number; readonly tries: number }

/** A workflow with every node kind, built fresh on each call (so two calls give equal, distinct values). */
const everything = (options: { readonly fetchName?: string; readonly exitName?: string } = {}) => {
  const fetch = Workflow.step({
    name: options.fetchName ?? "Fetch job",
    description: "Download the job description",
    errors: [NotFound],
    event: Fetched,
    run: (_: number) => Effect.succeed(new Fetched({ size: 3 })),
    apply: (_, e): Job | ReturnType<typeof Workflow.fail<NotFound>> =>
      e.size < 0 ? Workflow.fail(new NotFound()) : { size: e.size, tries: 0 }
  })
  const validate = Workflow.pure("Validate", (j: Job) => (j.size > 100 ? Workflow.fail(new Invalid()) : j), {
    errors: ["Invalid"]
  })
  const route = Workflow.branch({
    name: "Job size?",
    description: "Small jobs skip the heavy path",
    arms: [
      Workflow.when(
        "large",
        (j: Job) => j.size > 10,
        Workflow.pure("Split", (j: Job) => j)
      ),
      Workflow.when(
        "small",
        (j: Job) => j.size <= 1,
        Workflow.pure((j: Job) => j)
      ),
      Workflow.when(
        "medium",
        (j: Job) => j.size <= 5,
        Workflow.pure((j: Job) => j).pipe(Workflow.andThen(Workflow.pure("Tag medium", (j: Job) => j)))
      )
    ],
    otherwise: Workflow.end("Rejected")
  })
  const retry = Workflow.loop({
    name: "Retry",
    body: Workflow.awaitSignal(Go, {
      name: "Wait for go",
      event: Went,
      handle: (_: Job) => new Went(),
      apply: (j) => j
    }).pipe(Workflow.andThen(Workflow.pure("Count try", (j: Job) => ({ ...j, tries: j.tries + 1 })))),
    exit: { name: options.exitName ?? "tried 3 times", when: (j) => j.tries >= 3 },
    repeat: "try again",
    restart: Workflow.pure("Back off", (j: Job) => j)
  })
  const bare = Workflow.loop({ body: Workflow.pure((j: Job) => j), exit: { name: "always", when: () => true } })
  const pass = Workflow.branch({
    arms: [
      Workflow.when(
        "never",
        (_: Job) => false,
        Workflow.pure((j: Job) => j)
      )
    ]
  })
  const audit = Workflow.step({
    name: "Log",
    event: Logged,
    run: (_: Job) => Effect.succeed(new Logged()),
    apply: (j) => j
  }).pipe(Workflow.named("Audit", { description: "Leave a trace" }))
  return fetch.pipe(
    Workflow.andThen(Workflow.pure((j: Job) => j)),
    Workflow.andThen(validate),
    Workflow.andThen(route),
    Workflow.andThen(retry),
    Workflow.andThen(bare),
    Workflow.andThen(pass),
    Workflow.andThen(audit),
    Workflow.catchTag(
      ["Invalid", "NotFound"],
      Workflow.pure("Recover", (c: Caught<unknown, Invalid | NotFound>) => ({ size: 0, tries: c.error ? 0 : 1 })),
      { name: "On error" }
    ),
    Workflow.catch(Workflow.pure((c: Caught<unknown, never>) => c.state as Job)),
    Workflow.define({ name: "everything", input: Schema.Number, description: "Every node kind" })
  )
}

const everythingModel: WorkflowModel = {
  format: 1,
  name: "everything",
  description: "Every node kind",
  root: {
    kind: "catch",
    id: "catch-1",
    errors: [],
    body: {
      kind: "catch",
      id: "on-error",
      name: "On error",
      errors: ["Invalid", "NotFound"],
      body: {
        kind: "sequence",
        id: "sequence-1",
        children: [
          {
            kind: "step",
            id: "fetch-job",
            name: "Fetch job",
            errors: ["NotFound"],
            description: "Download the job description"
          },
          { kind: "transition", id: "validate", name: "Validate", errors: ["Invalid"] },
          {
            kind: "branch",
            id: "job-size",
            name: "Job size?",
            arms: [
              {
                id: "job-size.large",
                condition: "large",
                body: { kind: "transition", id: "split", name: "Split", errors: [] }
              },
              {
                id: "job-size.small",
                condition: "small",
                body: { kind: "sequence", id: "transition-2", children: [] }
              },
              {
                id: "job-size.medium",
                condition: "medium",
                body: { kind: "transition", id: "tag-medium", name: "Tag medium", errors: [] }
              }
            ],
            otherwise: {
              id: "job-size.otherwise",
              condition: "otherwise",
              body: { kind: "end", id: "rejected", name: "Rejected" }
            },
            description: "Small jobs skip the heavy path"
          },
          {
            kind: "loop",
            id: "retry",
            name: "Retry",
            body: {
              kind: "sequence",
              id: "sequence-9",
              children: [
                { kind: "signal", id: "wait-for-go", name: "Wait for go", signal: "Go", errors: [] },
                { kind: "transition", id: "count-try", name: "Count try", errors: [] }
              ]
            },
            exit: "tried 3 times",
            repeat: "try again",
            restart: { kind: "transition", id: "back-off", name: "Back off", errors: [] }
          },
          {
            kind: "loop",
            id: "loop-1",
            body: { kind: "sequence", id: "transition-4", children: [] },
            exit: "always",
            repeat: "repeat"
          },
          {
            kind: "branch",
            id: "branch-1",
            arms: [
              { id: "branch-1.never", condition: "never", body: { kind: "sequence", id: "transition-5", children: [] } }
            ]
          },
          {
            kind: "subworkflow",
            id: "audit",
            name: "Audit",
            body: { kind: "step", id: "audit.log", name: "Log", errors: [] },
            description: "Leave a trace"
          }
        ]
      },
      handler: { kind: "transition", id: "recover", name: "Recover", errors: [] }
    },
    handler: { kind: "sequence", id: "transition-6", children: [] }
  }
}

describe("toModel", () => {
  it("erases the pull-request example", () => {
    expect(toModel(pullRequest)).toStrictEqual({
      format: 1,
      name: "pullRequest",
      description: "A pull request: created, checked by CI, reviewed, merged — or closed on any failure.",
      root: {
        kind: "catch",
        id: "catch-1",
        errors: [],
        body: {
          kind: "sequence",
          id: "sequence-1",
          children: [
            { kind: "signal", id: "create-pr", name: "Create PR", signal: "CreatePR", errors: ["CommitNotFound"] },
            { kind: "step", id: "run-pipeline", name: "Run pipeline", errors: ["PipelineFailed"] },
            { kind: "signal", id: "review-pr", name: "Review PR", signal: "ReviewPR", errors: ["ReviewRejected"] },
            { kind: "transition", id: "merge", name: "Merge", errors: [] }
          ]
        },
        handler: { kind: "transition", id: "close-pr", name: "Close PR", errors: [] }
      }
    })
  })

  it("erases every node kind: flat sequences, no anonymous pures, empty sequences for invisible paths", () => {
    expect(toModel(everything())).toStrictEqual(everythingModel)
  })

  it("is plain JSON: serialising and parsing it gives it back unchanged", () => {
    const model = toModel(everything())
    expect(JSON.parse(JSON.stringify(model))).toStrictEqual(model)
    expect(JSON.parse(JSON.stringify(toModel(pullRequest)))).toStrictEqual(toModel(pullRequest))
  })

  it("gives a sequence with one visible node as that node, and one with none as an empty sequence", () => {
    const one = Workflow.pure((n: number) => n).pipe(
      Workflow.andThen(Workflow.pure("Only", (n: number) => n)),
      Workflow.andThen(Workflow.pure((n: number) => n))
    )
    expect(toModel(one).root).toStrictEqual({ kind: "transition", id: "only", name: "Only", errors: [] })
    const none = Workflow.pure((n: number) => n).pipe(Workflow.andThen(Workflow.pure((n: number) => n)))
    expect(toModel(none).root).toStrictEqual({ kind: "sequence", id: "sequence-1", children: [] })
    expect(toModel(Workflow.pure((n: number) => n)).root).toStrictEqual({
      kind: "sequence",
      id: "transition-1",
      children: []
    })
  })

  it("keeps the sequences of sub-workflows and catch bodies separate from the enclosing sequence", () => {
    const inner = Workflow.pure("A", (n: number) => n).pipe(Workflow.andThen(Workflow.pure("B", (n: number) => n)))
    const workflow = Workflow.pure("Before", (n: number) => n).pipe(
      Workflow.andThen(inner.pipe(Workflow.named("Sub"))),
      Workflow.andThen(Workflow.pure("After", (n: number) => n))
    )
    expect(toModel(workflow).root).toStrictEqual({
      kind: "sequence",
      id: "sequence-1",
      children: [
        { kind: "transition", id: "before", name: "Before", errors: [] },
        {
          kind: "subworkflow",
          id: "sub",
          name: "Sub",
          body: {
            kind: "sequence",
            id: "sub.sequence-1",
            children: [
              { kind: "transition", id: "sub.a", name: "A", errors: [] },
              { kind: "transition", id: "sub.b", name: "B", errors: [] }
            ]
          }
        },
        { kind: "transition", id: "after", name: "After", errors: [] }
      ]
    })
  })

  it("names a bare workflow `workflow`, or the name given", () => {
    const w = Workflow.pure("X", (n: number) => n)
    expect(toModel(w)).toStrictEqual({
      format: 1,
      name: "workflow",
      root: { kind: "transition", id: "x", name: "X", errors: [] }
    })
    expect(toModel(w, { name: "draft" }).name).toBe("draft")
    expect(toModel(w.pipe(Workflow.define({ name: "defined", input: Schema.Number })), { name: "other" }).name).toBe(
      "other"
    )
  })

  it("gives a definition and its bare workflow the same root", () => {
    const definition = everything()
    expect(toModel(definition.workflow, { name: "everything" })).toStrictEqual({
      format: 1,
      name: "everything",
      root: everythingModel.root
    })
  })
})

describe("fingerprint", () => {
  it("is 16 hex digits, equal for equal definitions built separately", () => {
    const a = fingerprint(toModel(everything()))
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(fingerprint(toModel(everything()))).toBe(a)
    expect(fingerprint(everythingModel)).toBe(a)
  })

  it("changes when a step's name changes", () => {
    expect(fingerprint(toModel(everything({ fetchName: "Fetch the job" })))).not.toBe(
      fingerprint(toModel(everything()))
    )
  })

  it("changes when a condition's name changes (ids unchanged)", () => {
    const renamed = toModel(everything({ exitName: "tried 4 times" }))
    expect(renamed.root).not.toStrictEqual(everythingModel.root)
    expect(fingerprint(renamed)).not.toBe(fingerprint(toModel(everything())))
  })

  it("ignores documentation: the workflow's name and description, node descriptions, declared errors", () => {
    const documented = JSON.parse(
      JSON.stringify(everythingModel, function (this: { kind?: string }, key, value) {
        if (key === "description") return "reworded"
        return key === "errors" && this.kind !== "catch" ? [...value, "Extra"] : value
      })
    )
    expect(documented).not.toStrictEqual(everythingModel)
    expect(fingerprint({ ...documented, name: "other" })).toBe(fingerprint(everythingModel))
  })

  it("changes when the errors a catch handles change", () => {
    const other = JSON.parse(
      JSON.stringify(everythingModel, function (this: { kind?: string }, key, value) {
        return key === "errors" && this.kind === "catch" ? ["SomethingElse"] : value
      })
    )
    expect(fingerprint(other)).not.toBe(fingerprint(everythingModel))
  })

  it("does not depend on functions: same structure, different behaviour, same fingerprint", () => {
    const make = (k: number) =>
      Workflow.pure("Scale", (n: number) => n * k).pipe(Workflow.define({ name: "scale", input: Schema.Number }))
    expect(fingerprint(toModel(make(2)))).toBe(fingerprint(toModel(make(3))))
  })
})
