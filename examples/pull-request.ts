/**
 * The pull-request workflow: wait for a PR to be created, run the CI pipeline, wait for a review, merge.
 * Any failure along the way closes the PR, keeping the state it had and the reason.
 *
 *   CreatePR { commit } ──▶ Run pipeline ──▶ ReviewPR { approve } ──▶ Merge
 *        │ commit > 8 chars    │ results contain "error"   │ approve = false
 *        └───────────── CommitNotFound / PipelineFailed / ReviewRejected ──▶ Close PR
 */
import { Context, Effect, Schema } from "effect"
import { Signal, Workflow } from "durable-monad"

// ---- States (held in memory, recomputed on replay: never persisted themselves) ----

export class Empty extends Schema.TaggedClass<Empty>()("Empty", {}) {}
export class Initiated extends Schema.TaggedClass<Initiated>()("Initiated", { commit: Schema.String }) {}
export class Checked extends Schema.TaggedClass<Checked>()("Checked", {
  commit: Schema.String,
  results: Schema.String
}) {}
export class Reviewed extends Schema.TaggedClass<Reviewed>()("Reviewed", {
  commit: Schema.String,
  results: Schema.String
}) {}
export class Merged extends Schema.TaggedClass<Merged>()("Merged", { commit: Schema.String }) {}

// ---- Errors ----

export class CommitNotFound extends Schema.TaggedError<CommitNotFound>()("CommitNotFound", { commit: Schema.String }) {}
export class PipelineFailed extends Schema.TaggedError<PipelineFailed>()("PipelineFailed", {
  results: Schema.String
}) {}
export class ReviewRejected extends Schema.TaggedError<ReviewRejected>()("ReviewRejected", {}) {}

// ---- Events (persisted, one per step, each with its step's Schema) ----

export class PRCreated extends Schema.TaggedClass<PRCreated>()("PRCreated", { commit: Schema.String }) {}
export class PipelineFinished extends Schema.TaggedClass<PipelineFinished>()("PipelineFinished", {
  results: Schema.String
}) {}
export class PRReviewed extends Schema.TaggedClass<PRReviewed>()("PRReviewed", { approve: Schema.Boolean }) {}

// ---- Signals ----

export const CreatePR = Signal.make("CreatePR", {
  request: Schema.Struct({ commit: Schema.String }),
  response: Schema.Void
})
export const ReviewPR = Signal.make("ReviewPR", {
  request: Schema.Struct({ approve: Schema.Boolean }),
  response: Schema.Void
})

// ---- Services the steps need ----

/** The CI pipeline: runs the checks of a commit and returns their results. */
export class Pipeline extends Context.Service<
  Pipeline,
  { readonly run: (commit: string, idempotencyKey: string) => Effect.Effect<string> }
>()("examples/Pipeline") {}

// ---- Steps ----

const createPR = Workflow.awaitSignal(CreatePR, {
  name: "Create PR",
  event: PRCreated,
  errors: [CommitNotFound],
  handle: (_: Empty, request) => new PRCreated({ commit: request.commit }),
  apply: (_, created) =>
    created.commit.length > 8
      ? Workflow.fail(new CommitNotFound({ commit: created.commit }))
      : new Initiated({ commit: created.commit })
})

const runPipeline = Workflow.step({
  name: "Run pipeline",
  event: PipelineFinished,
  errors: [PipelineFailed],
  run: (state: Initiated, context) =>
    Effect.gen(function* () {
      const pipeline = yield* Pipeline
      return new PipelineFinished({ results: yield* pipeline.run(state.commit, context.idempotencyKey) })
    }),
  apply: (state, finished) =>
    finished.results.includes("error")
      ? Workflow.fail(new PipelineFailed({ results: finished.results }))
      : new Checked({ commit: state.commit, results: finished.results })
})

const review = Workflow.awaitSignal(ReviewPR, {
  name: "Review PR",
  event: PRReviewed,
  errors: [ReviewRejected],
  handle: (_: Checked, request) => new PRReviewed({ approve: request.approve }),
  apply: (state, reviewed) =>
    reviewed.approve
      ? new Reviewed({ commit: state.commit, results: state.results })
      : Workflow.fail(new ReviewRejected())
})

const merge = Workflow.pure("Merge", (state: Reviewed) => new Merged({ commit: state.commit }))

const happyPath = createPR.pipe(Workflow.andThen(runPipeline), Workflow.andThen(review), Workflow.andThen(merge))

/** What the PR was when it was closed, and why. */
export class Closed extends Schema.TaggedClass<Closed>()("Closed", {
  previous: Schema.Union([Empty, Initiated, Checked, Reviewed, Merged]),
  reason: Schema.Union([CommitNotFound, PipelineFailed, ReviewRejected])
}) {}

const closePR = Workflow.pure(
  "Close PR",
  ({ state, error }: Workflow.CaughtOf<typeof happyPath>) => new Closed({ previous: state, reason: error })
)

export const pullRequest = happyPath.pipe(
  Workflow.catch(closePR),
  Workflow.define({
    name: "pullRequest",
    input: Empty,
    description: "A pull request: created, checked by CI, reviewed, merged — or closed on any failure."
  })
)
