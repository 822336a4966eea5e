/**
 * The progress overlay is a lookup of the machine's trace. Histories are recorded by the runtime on a memory store
 * and replayed, so these are the progress users see for real instances.
 */
import { Effect, Layer, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { CreatePR, Empty, Pipeline, pullRequest, ReviewPR } from "../../examples/pull-request.js"
import { type Definition, toModel, toProgress, Workflow, WorkflowRuntime } from "../../src/index.js"
import { overlay, toFlowGraph } from "../../src/render/index.js"
import { memoryStore, runOn } from "../support.js"

const progressOf = <R>(
  definition: Definition<any, any, any, R, any>,
  id: string,
  input: unknown,
  drive: (i: { signal: (s: any, r: any) => Effect.Effect<unknown, unknown, R> }) => Effect.Effect<void, unknown, R>,
  services: Layer.Layer<R>
) =>
  runOn(
    memoryStore(),
    Effect.gen(function* () {
      const instance = yield* (yield* WorkflowRuntime).start(definition, { id, input })
      yield* drive(instance)
      return toProgress(toModel(definition), yield* instance.replay)
    }).pipe(Effect.provide(services))
  )

const ci = (answer: () => Effect.Effect<string>) => Layer.succeed(Pipeline, { run: () => answer() })

class Rejected extends Schema.TaggedError<Rejected>()("Rejected", { n: Schema.Number }) {}
class Lost extends Schema.TaggedError<Lost>()("Lost", { n: Schema.Number }) {}

/** Rejects what it is given, and its handler gives up with another error: the instance ends failed. */
const rejecting = Workflow.pure("Check", (n: number) => n + 1).pipe(
  Workflow.andThen(Workflow.raise("Reject", (n: number) => new Rejected({ n }), { errors: [Rejected] })),
  Workflow.catch(
    Workflow.raise("Give up", (c: { state: number }) => new Lost({ n: c.state }), { errors: [Lost] }),
    {
      name: "Handle"
    }
  ),
  Workflow.define({ name: "rejecting", input: Schema.Number })
)

describe("toProgress", () => {
  it("a raise that fired is failed with its error, and the overlay paints its error end event, not what follows", async () => {
    const progress = await progressOf(rejecting, "1", 1, () => Effect.void, Layer.empty)
    expect(progress).toEqual({
      instance: "rejecting-1",
      status: "failed",
      nodes: {
        check: { state: "done", count: 1 },
        reject: { state: "failed", count: 0, error: "Rejected" },
        handle: { state: "failed", count: 0 },
        "give-up": { state: "failed", count: 0, error: "Lost" }
      }
    })
    const { states } = overlay(toFlowGraph(toModel(rejecting)), progress)
    expect(states.get("Raise_reject_Rejected")).toBe("failed")
    expect(states.get("Raise_give-up_Lost")).toBe("failed")
    expect(states.get("EndEvent")).toBeUndefined()
  })

  it("a catch left through its error boundary is failed, not done; its handler is done, the rest not reached", async () => {
    const progress = await progressOf(
      pullRequest,
      "1",
      new Empty(),
      (pr) =>
        Effect.gen(function* () {
          yield* pr.signal(CreatePR, { commit: "abc" })
          yield* pr.signal(ReviewPR, { approve: false })
        }),
      ci(() => Effect.succeed("green"))
    )
    expect(progress).toEqual({
      instance: "pullRequest-1",
      status: "completed",
      nodes: {
        "create-pr": { state: "done", count: 1 },
        "run-pipeline": { state: "done", count: 1 },
        "review-pr": { state: "failed", count: 0, error: "ReviewRejected" },
        "catch-1": { state: "failed", count: 0 },
        "close-pr": { state: "done", count: 1 }
      }
    })
  })

  it("a step whose last attempt failed is an incident, with its failed attempts", async () => {
    const progress = await progressOf(
      pullRequest,
      "2",
      new Empty(),
      (pr) => Effect.asVoid(pr.signal(CreatePR, { commit: "abc" })),
      ci(() => Effect.die(new Error("CI is down")))
    )
    expect(progress.nodes["run-pipeline"]).toEqual({ state: "incident", count: 0, attempts: 1 })
    expect(progress.status).toBe("running")
  })

  it("a step that failed in one round and succeeded in a later one is done, and the loop counts its rounds", async () => {
    class Tried extends Schema.TaggedClass<Tried>()("Tried", { ok: Schema.Boolean }) {}
    class Nope extends Schema.TaggedError<Nope>()("Nope", {}) {}
    let round = 0
    const attempt = Workflow.step({
      name: "Try",
      event: Tried,
      run: (_: number) => Effect.sync(() => new Tried({ ok: ++round >= 2 })),
      apply: (n, e) => (e.ok ? n + 1 : Workflow.fail(new Nope()))
    }).pipe(Workflow.catch(Workflow.pure("Recover", ({ state }: { state: number; error: Nope }) => state)))
    const retrying = Workflow.loop({
      name: "Until it works",
      body: attempt,
      exit: { name: "worked", when: (n: number) => n > 0 }
    }).pipe(Workflow.define({ name: "retrying", input: Schema.Number }))
    const progress = await progressOf(retrying, "3", 0, () => Effect.void, Layer.empty)
    expect(progress.nodes).toEqual({
      "until-it-works": { state: "done", count: 1, rounds: 2 },
      try: { state: "done", count: 1 },
      recover: { state: "done", count: 1 },
      "catch-1": { state: "done", count: 1 }
    })
  })
})
