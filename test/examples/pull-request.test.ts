import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import {
  CommitNotFound,
  Checked,
  Closed,
  CreatePR,
  Empty,
  Initiated,
  Merged,
  Pipeline,
  PipelineFailed,
  pullRequest,
  ReviewPR,
  ReviewRejected
} from "../../examples/pull-request.js"
import {
  type EventStore,
  fingerprint,
  InvalidSignalPayload,
  type JournalEntry,
  StepFailed,
  toModel,
  UnexpectedSignal,
  WorkflowRuntime
} from "../../src/index.js"
import { memoryStore, NOW, readStream, runOn, runWorker } from "../support.js"

/** A pipeline that answers from `results` and counts its calls (with their idempotency keys). */
const pipeline = (results: (commit: string) => string | Error = () => "all 12 checks passed") => {
  const calls: Array<{ commit: string; key: string }> = []
  const layer = Layer.succeed(Pipeline, {
    run: (commit, key) =>
      Effect.suspend(() => {
        calls.push({ commit, key })
        const r = results(commit)
        return r instanceof Error ? Effect.die(r) : Effect.succeed(r)
      })
  })
  return { calls, layer }
}

const FINGERPRINT = fingerprint(toModel(pullRequest))

const started: JournalEntry = {
  revision: 0,
  step: "start",
  type: "WorkflowStarted",
  data: { input: { _tag: "Empty" } },
  at: NOW,
  metadata: {
    step: "start",
    workflow: "pullRequest",
    fingerprint: FINGERPRINT,
    at: NOW,
    status: "Waiting"
  }
}
/** A step's event; a signal's also names the signal, the sender (a nonce: no idempotency key) and the reply. */
const entry = (
  revision: number,
  step: string,
  data: { readonly _tag: string } & Record<string, unknown>,
  status: string,
  signal?: string
) => ({
  revision,
  step,
  type: data._tag,
  data,
  at: NOW,
  metadata: {
    step,
    occurrence: 0,
    at: NOW,
    status,
    ...(signal === undefined ? {} : { signal, sender: expect.stringMatching(/^nonce:[0-9a-f-]{36}$/), reply: null })
  }
})
const created = (commit: string, status = "Running") =>
  entry(1, "create-pr", { _tag: "PRCreated", commit }, status, "CreatePR")
const finished = (results: string, status = "Waiting", revision = 2) =>
  entry(revision, "run-pipeline", { _tag: "PipelineFinished", results }, status)
const reviewed = (approve: boolean, revision = 3) =>
  entry(revision, "review-pr", { _tag: "PRReviewed", approve }, "Completed", "ReviewPR")
/** A failed attempt of the pipeline step: recorded, and the step stays where it is. */
const attemptFailed = (revision: number, attempt: number, error: string) => ({
  revision,
  step: "run-pipeline",
  type: "AttemptFailed",
  data: { attempt, error },
  at: NOW,
  metadata: {
    step: "run-pipeline",
    occurrence: 0,
    attempt,
    at: NOW,
    kind: "attempt",
    status: "Running"
  }
})

/** Start PR `id`, send the given signals; return the journal, state and status. */
const scenario = (
  store: EventStore["Service"],
  id: string,
  ci: ReturnType<typeof pipeline>,
  signals: ReadonlyArray<readonly ["create", string] | readonly ["review", boolean]>
) =>
  runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const pr = yield* runtime.start(pullRequest, { id, input: new Empty() })
      for (const [kind, value] of signals) {
        if (kind === "create") yield* pr.signal(CreatePR, { commit: value })
        else yield* pr.signal(ReviewPR, { approve: value })
      }
      return { journal: yield* pr.journal, state: yield* pr.state, status: yield* pr.status }
    }).pipe(Effect.provide(ci.layer))
  )

/** A new runtime over the same store recovers the instance from its journal alone. */
const recover = (store: EventStore["Service"], id: string, ci: ReturnType<typeof pipeline>) =>
  runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const pr = yield* runtime.get(pullRequest, id)
      return { state: yield* pr.state, status: yield* pr.status }
    }).pipe(Effect.provide(ci.layer))
  )

describe("pull-request example", () => {
  it("happy path: created, checked, approved, merged", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const result = await scenario(store, "42", ci, [
      ["create", "a1b2c3"],
      ["review", true]
    ])
    expect(result.journal).toEqual([started, created("a1b2c3"), finished("all 12 checks passed"), reviewed(true)])
    expect(result.state).toEqual(new Merged({ commit: "a1b2c3" }))
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(ci.calls).toEqual([{ commit: "a1b2c3", key: "pullRequest/42/run-pipeline/0" }])

    const recovered = await recover(store, "42", ci)
    expect(recovered.state).toEqual(result.state)
    expect(recovered.status).toEqual({ _tag: "Completed" })
    expect(ci.calls).toHaveLength(1)
  })

  it("rejected review: closed with the checked state and ReviewRejected", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const result = await scenario(store, "7", ci, [
      ["create", "feed42"],
      ["review", false]
    ])
    expect(result.journal).toEqual([started, created("feed42"), finished("all 12 checks passed"), reviewed(false)])
    expect(result.state).toEqual(
      new Closed({
        previous: new Checked({ commit: "feed42", results: "all 12 checks passed" }),
        reason: new ReviewRejected()
      })
    )
    expect(result.status).toEqual({ _tag: "Completed" })
    expect((await recover(store, "7", ci)).state).toEqual(result.state)
    expect(ci.calls).toHaveLength(1)
  })

  it("bad commit: closed from the empty state with CommitNotFound; the pipeline never runs", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const result = await scenario(store, "8", ci, [["create", "123456789"]])
    expect(result.journal).toEqual([started, created("123456789", "Completed")])
    expect(result.state).toEqual(
      new Closed({ previous: new Empty(), reason: new CommitNotFound({ commit: "123456789" }) })
    )
    expect(result.status).toEqual({ _tag: "Completed" })
    expect(ci.calls).toEqual([])
    expect((await recover(store, "8", ci)).state).toEqual(result.state)
    expect(ci.calls).toEqual([])
  })

  it("failing pipeline: closed from the initiated state with PipelineFailed", async () => {
    const store = memoryStore()
    const ci = pipeline(() => "3 passed, 1 error")
    const result = await scenario(store, "9", ci, [["create", "c0ffee"]])
    expect(result.journal).toEqual([started, created("c0ffee"), finished("3 passed, 1 error", "Completed")])
    expect(result.state).toEqual(
      new Closed({
        previous: new Initiated({ commit: "c0ffee" }),
        reason: new PipelineFailed({ results: "3 passed, 1 error" })
      })
    )
    expect(result.status).toEqual({ _tag: "Completed" })
    expect((await recover(store, "9", ci)).state).toEqual(result.state)
    expect(ci.calls).toHaveLength(1)
  })

  it("unexpected signal: a typed error naming the accepted signals; nothing appended", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const errors = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const pr = yield* runtime.start(pullRequest, { id: "10", input: new Empty() })
        const early = yield* Effect.flip(pr.signal(ReviewPR, { approve: true }))
        const journalAfterEarly = yield* pr.journal
        yield* pr.signal(CreatePR, { commit: "abc" })
        const twice = yield* Effect.flip(pr.signal(CreatePR, { commit: "abc" }))
        yield* pr.signal(ReviewPR, { approve: true })
        const late = yield* Effect.flip(pr.signal(ReviewPR, { approve: true }))
        return { early, journalAfterEarly, twice, late, journal: yield* pr.journal, status: yield* pr.status }
      }).pipe(Effect.provide(ci.layer))
    )
    expect(errors.early).toEqual(
      new UnexpectedSignal({ stream: "pullRequest-10", signal: "ReviewPR", accepted: ["CreatePR"] })
    )
    expect(errors.early.message).toBe("pullRequest-10: unexpected signal ReviewPR; it accepts CreatePR")
    expect(errors.journalAfterEarly).toEqual([started])
    expect(errors.twice).toEqual(
      new UnexpectedSignal({ stream: "pullRequest-10", signal: "CreatePR", accepted: ["ReviewPR"] })
    )
    expect(errors.late).toEqual(new UnexpectedSignal({ stream: "pullRequest-10", signal: "ReviewPR", accepted: [] }))
    expect(errors.journal).toHaveLength(4)
    expect(errors.status).toEqual({ _tag: "Completed" })
  })

  it("invalid payload: a typed decode error; nothing runs, nothing is appended", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const pr = yield* runtime.start(pullRequest, { id: "11", input: new Empty() })
        // A caller outside TypeScript (JSON over HTTP, say) can send anything.
        const wrongType = yield* Effect.flip(pr.signal(CreatePR, { commit: 42 } as unknown as { commit: string }))
        const missing = yield* Effect.flip(pr.signal(CreatePR, {} as { commit: string }))
        return { wrongType, missing, journal: yield* pr.journal, status: yield* pr.status }
      }).pipe(Effect.provide(ci.layer))
    )
    expect(result.wrongType).toBeInstanceOf(InvalidSignalPayload)
    expect(result.wrongType).toMatchObject({
      _tag: "InvalidSignalPayload",
      stream: "pullRequest-11",
      signal: "CreatePR",
      issue: 'Expected string\n  at ["commit"]'
    })
    expect(result.missing).toMatchObject({
      _tag: "InvalidSignalPayload",
      issue: 'Missing key\n  at ["commit"]'
    })
    expect(result.journal).toEqual([started])
    expect(result.status).toEqual({ _tag: "Waiting", step: "create-pr", signals: ["CreatePR"] })
    expect(ci.calls).toEqual([])
  })

  it("recovers mid-way: a new runtime continues from the journal without re-running the pipeline", async () => {
    const store = memoryStore()
    const ci = pipeline()
    await scenario(store, "12", ci, [["create", "abc123"]])
    expect(ci.calls).toHaveLength(1)
    const after = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const pr = yield* runtime.get(pullRequest, "12")
        const before = { state: yield* pr.state, status: yield* pr.status }
        yield* pr.signal(ReviewPR, { approve: true })
        return { before, state: yield* pr.state, journal: yield* pr.journal }
      }).pipe(Effect.provide(ci.layer))
    )
    expect(after.before).toEqual({
      state: new Checked({ commit: "abc123", results: "all 12 checks passed" }),
      status: { _tag: "Waiting", step: "review-pr", signals: ["ReviewPR"] }
    })
    expect(after.state).toEqual(new Merged({ commit: "abc123" }))
    expect(after.journal).toEqual([started, created("abc123"), finished("all 12 checks passed"), reviewed(true)])
    expect(ci.calls).toHaveLength(1)
  })

  it("a pipeline that dies leaves the PR at the pipeline step with a failed attempt recorded; resume retries it", async () => {
    const store = memoryStore()
    let down = true
    const ci = pipeline(() => (down ? new Error("CI is down") : "all green"))
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const pr = yield* runtime.start(pullRequest, { id: "13", input: new Empty() })
        // The signal is delivered (its event is recorded) even though the step after it fails.
        yield* pr.signal(CreatePR, { commit: "abc" })
        const stuck = { status: yield* pr.status, state: yield* pr.state, journal: yield* pr.journal }
        const retried = yield* Effect.flip(pr.resume)
        down = false
        const resumed = yield* pr.resume
        return { stuck, retried, resumed, journal: yield* pr.journal }
      }).pipe(Effect.provide(ci.layer))
    )
    expect(result.stuck.status).toEqual({ _tag: "Running", step: "run-pipeline", lastError: "CI is down", attempts: 1 })
    expect(result.stuck.state).toEqual(new Initiated({ commit: "abc" }))
    // The failed attempt is durable: its event says which attempt failed and why.
    expect(result.stuck.journal).toEqual([started, created("abc"), attemptFailed(2, 1, "CI is down")])
    expect(result.retried).toBeInstanceOf(StepFailed)
    expect(result.retried).toMatchObject({ stream: "pullRequest-13", step: "run-pipeline" })
    expect(String(result.retried.cause)).toContain("CI is down")
    expect(result.resumed).toEqual({ _tag: "Waiting", step: "review-pr", signals: ["ReviewPR"] })
    expect(result.journal).toEqual([
      started,
      created("abc"),
      attemptFailed(2, 1, "CI is down"),
      attemptFailed(3, 2, "CI is down"),
      finished("all green", "Waiting", 4)
    ])
    // Every attempt of the same execution gets the same idempotency key.
    expect(ci.calls).toEqual([
      { commit: "abc", key: "pullRequest/13/run-pipeline/0" },
      { commit: "abc", key: "pullRequest/13/run-pipeline/0" },
      { commit: "abc", key: "pullRequest/13/run-pipeline/0" }
    ])
  })

  it("a step left pending by a crash is run by the next signal on a new runtime", async () => {
    const store = memoryStore()
    const ci = pipeline(() => new Error("CI is down"))
    await scenario(store, "14", ci, [["create", "abc"]])
    const healthy = pipeline()
    const result = await runOn(
      store,
      Effect.gen(function* () {
        const pr = yield* (yield* WorkflowRuntime).get(pullRequest, "14")
        yield* pr.signal(ReviewPR, { approve: true })
        return { state: yield* pr.state, journal: yield* pr.journal }
      }).pipe(Effect.provide(healthy.layer))
    )
    expect(result.state).toEqual(new Merged({ commit: "abc" }))
    expect(result.journal).toEqual([
      started,
      created("abc"),
      attemptFailed(2, 1, "CI is down"),
      finished("all 12 checks passed", "Waiting", 3),
      reviewed(true, 4)
    ])
    expect(healthy.calls).toEqual([{ commit: "abc", key: "pullRequest/14/run-pipeline/0" }])
  })

  it("on a Worker: CI bound at registration; a webhook delivered twice with one key is one signal", async () => {
    const store = memoryStore()
    const ci = pipeline()
    const result = await runWorker(store, (worker) =>
      Effect.gen(function* () {
        yield* worker.register(pullRequest, ci.layer)
        yield* worker.start(pullRequest, { id: "15", input: new Empty() })
        // At-least-once webhooks: the same delivery arrives twice.
        yield* worker.signal(pullRequest, "15", CreatePR, { commit: "abc" }, { idempotencyKey: "gh-delivery-1" })
        yield* worker.signal(pullRequest, "15", CreatePR, { commit: "abc" }, { idempotencyKey: "gh-delivery-1" })
        yield* worker.signal(pullRequest, "15", ReviewPR, { approve: true }, { idempotencyKey: "gh-delivery-2" })
        const pr = yield* worker.get(pullRequest, "15")
        return { status: yield* pr.status, state: yield* pr.state }
      })
    )
    expect(result).toEqual({ status: { _tag: "Completed" }, state: new Merged({ commit: "abc" }) })
    expect(ci.calls).toEqual([{ commit: "abc", key: "pullRequest/15/run-pipeline/0" }])
    const events = await readStream(store, "pullRequest-15")
    expect(events.map((e) => [e.type, (e.metadata as { sender?: string }).sender])).toEqual([
      ["WorkflowStarted", undefined],
      ["PRCreated", "key:gh-delivery-1"],
      ["PipelineFinished", undefined],
      ["PRReviewed", "key:gh-delivery-2"]
    ])
  })
})
