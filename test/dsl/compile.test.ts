/**
 * Stable ids: what `compile` assigns to every node and branch arm. Ids are recorded in the journal (steps) and
 * used as diagram element ids, so every rule here is part of the compatibility contract with stored histories.
 */
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { compile, slug } from "../../src/dsl/compile.js"
import type { CompiledNode } from "../../src/dsl/CompiledNode.js"
import type { BranchArm, Node } from "../../src/dsl/Node.js"
import { toNode } from "../../src/dsl/Workflow.js"
import { type Caught, InvalidDefinition, Signal, Workflow } from "../../src/index.js"

class Done extends Schema.TaggedClass<Done>()("Done", {}) {}
const Go = Signal.make("Go", { request: Schema.Struct({}), response: Schema.Void })

const step = (name: string, options: { readonly id?: string } = {}) =>
  Workflow.step({ name, ...options, event: Done, run: (_: number) => Effect.succeed(new Done()), apply: (n) => n })
const signal = (name: string) =>
  Workflow.awaitSignal(Go, { name, event: Done, handle: (_: number) => new Done(), apply: (n) => n })
const named = (name: string, options: { readonly id?: string } = {}) => Workflow.pure(name, (n: number) => n, options)
const anon = Workflow.pure((n: number) => n)
const handler = Workflow.pure((_: Caught<unknown, unknown>) => 0)

/** All ids, in the order `compile` claimed them, with what they identify. */
const ids = (workflow: Workflow.Any): Array<string> => [...compile(toNode(workflow)).nodes.keys()]
const kinds = (workflow: Workflow.Any): Array<[string, string]> =>
  [...compile(toNode(workflow)).nodes].map(([id, n]) => [id, "_tag" in n ? n._tag : "Arm"])

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error("expected a throw")
}

describe("slug", () => {
  it("lower-cases and joins words with single dashes", () => {
    expect(slug("Create PR")).toBe("create-pr")
    expect(slug("  Run   the --- pipeline!  ")).toBe("run-the-pipeline")
    expect(slug("amount > 1000")).toBe("amount-1000")
  })

  it("strips accents and decomposes compatibility characters", () => {
    expect(slug("Réserver le stock")).toBe("reserver-le-stock")
    expect(slug("Crème brûlée")).toBe("creme-brulee")
    expect(slug("ﬁle №1")).toBe("file-no1")
  })

  it("is empty when nothing alphanumeric is left", () => {
    expect(slug("")).toBe("")
    expect(slug("?!")).toBe("")
    expect(slug("日本")).toBe("")
  })
})

describe("compile: ids from names", () => {
  it("gives a named node the slug of its name", () => {
    expect(kinds(step("Create PR"))).toEqual([["create-pr", "Step"]])
    expect(kinds(signal("Wait for approval"))).toEqual([["wait-for-approval", "AwaitSignal"]])
    expect(kinds(named("Compute total"))).toEqual([["compute-total", "Pure"]])
    expect(kinds(Workflow.end("All done"))).toEqual([["all-done", "End"]])
    expect(kinds(Workflow.end())).toEqual([["end", "End"]])
  })

  it("strips accents from names", () => {
    expect(ids(step("Réserver le stock"))).toEqual(["reserver-le-stock"])
  })

  it("prefixes a slug that starts with a digit with the node's kind (ids are XML NCNames)", () => {
    expect(ids(step("1st check"))).toEqual(["step-1st-check"])
    expect(ids(signal("2 approvals"))).toEqual(["step-2-approvals"])
    expect(ids(named("3 times"))).toEqual(["transition-3-times"])
    expect(ids(Workflow.end("404"))).toEqual(["step-404"])
    expect(ids(Workflow.loop({ name: "5 tries", body: anon, exit: { name: "x", when: () => true } }))).toEqual([
      "loop-5-tries",
      "transition-1"
    ])
    expect(ids(Workflow.branch({ name: "42?", arms: [] }))).toEqual(["branch-42"])
    expect(ids(anon.pipe(Workflow.catch(handler, { name: "9 lives" })))).toEqual([
      "catch-9-lives",
      "transition-1",
      "transition-2"
    ])
    expect(ids(anon.pipe(Workflow.named("2fa")))).toEqual(["subworkflow-2fa", "subworkflow-2fa.transition-1"])
  })

  it("numbers a name used again -2, -3, … in reading order", () => {
    const notify = step("Notify")
    const workflow = notify.pipe(
      Workflow.andThen(
        Workflow.loop({
          body: step("Notify"),
          exit: { name: "once", when: () => true }
        })
      ),
      Workflow.andThen(notify)
    )
    expect(ids(workflow)).toEqual(["sequence-1", "sequence-2", "notify", "loop-1", "notify-2", "notify-3"])
  })

  it("numbers past a slug that an earlier name already produced with a suffix", () => {
    const workflow = step("Notify 2").pipe(Workflow.andThen(step("Notify")), Workflow.andThen(step("Notify")))
    expect(ids(workflow)).toEqual(["sequence-1", "sequence-2", "notify-2", "notify", "notify-3"])
  })

  it("shares the namespace across kinds: a pure and a step with the same name get distinct ids", () => {
    expect(ids(named("Check").pipe(Workflow.andThen(step("Check"))))).toEqual(["sequence-1", "check", "check-2"])
  })

  it("reserves `start` (the id of the journal's first event)", () => {
    expect(ids(step("Start"))).toEqual(["start-2"])
    expect(ids(named("start").pipe(Workflow.andThen(step("START"))))).toEqual(["sequence-1", "start-2", "start-3"])
  })
})

describe("compile: explicit ids", () => {
  it("keeps explicit ids, and derived ids avoid an explicit id claimed before them", () => {
    const workflow = step("Pay", { id: "charge_v1" }).pipe(
      Workflow.andThen(named("Total", { id: "calc.total" })),
      Workflow.andThen(step("Charge v1", { id: "pay" })),
      Workflow.andThen(step("Pay"))
    )
    expect(ids(workflow)).toEqual(["sequence-1", "sequence-2", "sequence-3", "charge_v1", "calc.total", "pay", "pay-2"])
  })

  it("keeps explicit ids on structural nodes", () => {
    const workflow = Workflow.branch({ id: "route", arms: [Workflow.when("yes", () => true, anon)] }).pipe(
      Workflow.andThen(Workflow.loop({ id: "again", body: anon, exit: { name: "x", when: () => true } })),
      Workflow.andThen(Workflow.end("Stop", { id: "halt" }))
    )
    expect(ids(workflow)).toEqual([
      "sequence-1",
      "sequence-2",
      "route",
      "route.yes",
      "transition-1",
      "again",
      "transition-2",
      "halt"
    ])
    expect(ids(anon.pipe(Workflow.named("Review", { id: "rev" })))).toEqual(["rev", "rev.transition-1"])
  })

  it("rejects an explicit id that is not an XML NCName", () => {
    for (const bad of ["1abc", "has space", "", "a:b", "-x", ".x"]) {
      const error = thrown(() => compile(toNode(step("Pay", { id: bad }))))
      expect(error).toBeInstanceOf(InvalidDefinition)
      expect((error as Error).message).toBe(`id ${JSON.stringify(bad)} is not a valid XML NCName`)
    }
  })

  it("rejects an explicit id used twice", () => {
    const error = thrown(() =>
      compile(toNode(step("A", { id: "same" }).pipe(Workflow.andThen(named("B", { id: "same" })))))
    )
    expect(error).toBeInstanceOf(InvalidDefinition)
    expect((error as Error).message).toBe('id "same" is used twice')
  })

  it("rejects the reserved id `start` as an explicit id", () => {
    const error = thrown(() => compile(toNode(step("Begin", { id: "start" }))))
    expect(error).toBeInstanceOf(InvalidDefinition)
    expect((error as Error).message).toBe('id "start" is reserved')
  })

  it("never derives an id that a node asked for explicitly, whichever comes first", () => {
    // The explicit id wins; the named step whose slug it is gets the next free one.
    expect(ids(step("Pay").pipe(Workflow.andThen(step("Charge", { id: "pay" }))))).toEqual([
      "sequence-1",
      "pay-2",
      "pay"
    ])
    expect(ids(step("Charge", { id: "pay" }).pipe(Workflow.andThen(step("Pay"))))).toEqual([
      "sequence-1",
      "pay",
      "pay-2"
    ])
  })
})

describe("compile: structural nodes", () => {
  it("numbers unnamed structural nodes per kind in reading order", () => {
    const inner = Workflow.branch({ arms: [Workflow.when("a", () => true, anon)] })
    const workflow = anon.pipe(
      Workflow.andThen(inner),
      Workflow.andThen(Workflow.loop({ body: inner, exit: { name: "x", when: () => true } })),
      Workflow.catch(handler)
    )
    expect(kinds(workflow)).toEqual([
      ["catch-1", "Catch"],
      ["sequence-1", "Sequence"],
      ["sequence-2", "Sequence"],
      ["transition-1", "Pure"],
      ["branch-1", "Branch"],
      ["branch-1.a", "Arm"],
      ["transition-2", "Pure"],
      ["loop-1", "Loop"],
      ["branch-2", "Branch"],
      ["branch-2.a", "Arm"],
      ["transition-3", "Pure"],
      ["transition-4", "Pure"]
    ])
  })

  it("names branch arms `<branch id>.<condition slug>`, `otherwise`, `arm` for an empty slug, -2 for repeats", () => {
    const workflow = Workflow.branch({
      name: "Amount?",
      arms: [
        Workflow.when("amount > 1000", () => false, anon),
        Workflow.when("Approved", () => false, anon),
        Workflow.when("approved", () => false, anon),
        Workflow.when("!!!", () => false, anon)
      ],
      otherwise: anon
    })
    expect(kinds(workflow)).toEqual([
      ["amount", "Branch"],
      ["amount.amount-1000", "Arm"],
      ["transition-1", "Pure"],
      ["amount.approved", "Arm"],
      ["transition-2", "Pure"],
      ["amount.approved-2", "Arm"],
      ["transition-3", "Pure"],
      ["amount.arm", "Arm"],
      ["transition-4", "Pure"],
      ["amount.otherwise", "Arm"],
      ["transition-5", "Pure"]
    ])
  })

  it("claims a loop's body before its restart", () => {
    const workflow = Workflow.loop({
      name: "Retry",
      body: named("Attempt"),
      exit: { name: "ok", when: () => true },
      restart: named("Wait")
    })
    expect(ids(workflow)).toEqual(["retry", "attempt", "wait"])
  })
})

describe("compile: sub-workflows", () => {
  it("prefixes the ids inside a sub-workflow with the sub-workflow's id", () => {
    const review = step("Approve").pipe(Workflow.andThen(signal("Wait")), Workflow.named("Review"))
    expect(kinds(review)).toEqual([
      ["review", "Named"],
      ["review.sequence-1", "Sequence"],
      ["review.approve", "Step"],
      ["review.wait", "AwaitSignal"]
    ])
  })

  it("nests prefixes", () => {
    const workflow = step("X").pipe(Workflow.named("Inner"), Workflow.named("Outer"))
    expect(ids(workflow)).toEqual(["outer", "outer.inner", "outer.inner.x"])
  })

  it("gives the same sub-workflow embedded twice under different names distinct ids", () => {
    const approve = step("Approve").pipe(
      Workflow.andThen(Workflow.branch({ arms: [Workflow.when("ok", () => true, anon)] }))
    )
    const workflow = approve.pipe(
      Workflow.named("First review"),
      Workflow.andThen(approve.pipe(Workflow.named("Second review")))
    )
    expect(ids(workflow)).toEqual([
      "sequence-1",
      "first-review",
      "first-review.sequence-1",
      "first-review.approve",
      "first-review.branch-1",
      "first-review.branch-1.ok",
      "first-review.transition-1",
      "second-review",
      // positional counters are per sub-workflow: both copies number their contents alike
      "second-review.sequence-1",
      "second-review.approve",
      "second-review.branch-1",
      "second-review.branch-1.ok",
      "second-review.transition-1"
    ])
  })

  it("suffixes a sub-workflow embedded twice under the same name, and its contents follow", () => {
    const review = step("Approve").pipe(Workflow.named("Review"))
    expect(ids(review.pipe(Workflow.andThen(review)))).toEqual([
      "sequence-1",
      "review",
      "review.approve",
      "review-2",
      "review-2.approve"
    ])
  })

  it("prefixes explicit ids like the others: a sub-workflow with one can be embedded twice", () => {
    const review = step("Approve", { id: "ok" }).pipe(Workflow.named("Review"))
    expect(ids(review)).toEqual(["review", "review.ok"])
    expect(ids(review.pipe(Workflow.andThen(review.pipe(Workflow.named("Again")))))).toEqual([
      "sequence-1",
      "review",
      "review.ok",
      "again",
      "again.review",
      "again.review.ok"
    ])
  })

  it("does not prefix a step outside the sub-workflow that has the same name", () => {
    const workflow = step("Approve").pipe(Workflow.named("Review"), Workflow.andThen(step("Approve")))
    expect(ids(workflow)).toEqual(["sequence-1", "review", "review.approve", "approve"])
  })
})

describe("compile: the compiled value", () => {
  it("is memoised per workflow value", () => {
    const workflow = step("A").pipe(Workflow.andThen(step("B")))
    const first = compile(toNode(workflow))
    expect(compile(toNode(workflow))).toBe(first)
  })

  it("compiles two equal but distinct values separately, to the same ids", () => {
    const make = () => step("A").pipe(Workflow.andThen(step("B")))
    const a = compile(toNode(make()))
    const b = compile(toNode(make()))
    expect(b).not.toBe(a)
    expect([...b.nodes.keys()]).toEqual([...a.nodes.keys()])
  })

  it("does not mutate the workflow: it copies every node, and flattens sequences", () => {
    const a = step("A")
    const workflow = a.pipe(Workflow.andThen(a))
    const compiled = compile(toNode(workflow))
    expect(toNode(a).id).toBe(undefined)
    expect(toNode(workflow).id).toBe(undefined)
    const root = compiled.root as Extract<CompiledNode, { _tag: "Sequence" }>
    expect([root.id, ...root.steps.map((s) => s.id)]).toEqual(["sequence-1", "a", "a-2"])
    expect(root.steps[0]).not.toBe(toNode(a))
  })

  it("maps every id to the compiled node (or arm) that carries it", () => {
    const workflow = Workflow.branch({ name: "Route", arms: [Workflow.when("yes", () => true, step("Do"))] })
    const compiled = compile(toNode(workflow))
    for (const [id, entity] of compiled.nodes) expect(entity.id).toBe(id)
    const root = compiled.root as Extract<Node, { _tag: "Branch" }>
    expect(compiled.nodes.get("route")).toBe(root)
    expect(compiled.nodes.get("route.yes")).toBe(root.arms[0] as BranchArm)
    expect(compiled.nodes.get("do")).toBe(root.arms[0]?.body)
  })
})

describe("Workflow.define", () => {
  const input = Schema.Number

  it.each(["pull-request", "1flow", "", "has space", "_private", "café", "a".repeat(101), undefined, 42])(
    "rejects the name %j",
    (name) => {
      const error = thrown(() => anon.pipe(Workflow.define({ name: name as string, input })))
      expect(error).toBeInstanceOf(InvalidDefinition)
      expect((error as Error).message).toBe(
        `workflow name ${JSON.stringify(name)}: use up to 100 letters, digits, "_" and "." and start with a letter (no "-": streams are named <name>-<instanceId>)`
      )
    }
  )

  it("accepts a name of 100 characters", () => {
    expect(anon.pipe(Workflow.define({ name: "a".repeat(100), input })).name).toBe("a".repeat(100))
  })

  it("rejects a workflow whose ids are invalid when it is defined, not when it first runs", () => {
    // InvalidDefinition is documented as "thrown at definition time"; ids are only checked by `compile`, which
    // `define` does not call: the error surfaces later, from `replay` (thrown) or `runtime.start` (a defect).
    const error = thrown(() =>
      step("A", { id: "same" }).pipe(
        Workflow.andThen(step("B", { id: "same" })),
        Workflow.define({ name: "dup", input })
      )
    )
    expect(error).toBeInstanceOf(InvalidDefinition)
    expect((error as Error).message).toBe('id "same" is used twice')
  })

  it.each(["pullRequest", "PR", "pull_request.v2", "a1"])("accepts the name %j", (name) => {
    const definition = anon.pipe(Workflow.define({ name, input, description: "d" }))
    expect(definition.name).toBe(name)
    expect(definition.description).toBe("d")
    expect(definition.input).toBe(input)
    expect(definition.workflow).toBe(anon)
  })
})
