// The code sample of README.md, compiled with the project (see test/docs/snippets.test.ts).
// #region workflow
import { Context, Effect, Layer, Schema } from "effect"
import { MemoryStore, Signal, Workflow, WorkflowRuntime } from "durable-monad"

class Draft extends Schema.TaggedClass<Draft>()("Draft", { text: Schema.String }) {}
class Published extends Schema.TaggedClass<Published>()("Published", { url: Schema.String }) {}
class Approved extends Schema.TaggedClass<Approved>()("Approved", { by: Schema.String }) {}
class Uploaded extends Schema.TaggedClass<Uploaded>()("Uploaded", { url: Schema.String }) {}

class Cms extends Context.Service<Cms, { readonly upload: (text: string) => Effect.Effect<string> }>()("Cms") {}

const Approve = Signal.make("Approve", { request: Schema.Struct({ by: Schema.String }), response: Schema.Void })

const article = Workflow.awaitSignal(Approve, {
  name: "Wait for approval",
  event: Approved, // each step persists one event, with its own Schema
  handle: (_: Draft, request) => new Approved({ by: request.by }),
  apply: (draft) => draft
}).pipe(
  Workflow.andThen(
    Workflow.step({
      name: "Publish",
      event: Uploaded,
      run: (draft: Draft) =>
        Effect.map(
          Cms.use((cms) => cms.upload(draft.text)),
          (url) => new Uploaded({ url })
        ),
      apply: (_, uploaded) => new Published({ url: uploaded.url })
    })
  ),
  Workflow.define({ name: "article", input: Draft })
)

const program = Effect.gen(function* () {
  const runtime = yield* WorkflowRuntime
  const instance = yield* runtime.start(article, { id: "hello-world", input: new Draft({ text: "Hello" }) })
  yield* instance.signal(Approve, { by: "editor" }) // typed: { by: string }
  return yield* instance.state // Published { url: … }
})

Effect.runPromise(
  program.pipe(
    Effect.provide(WorkflowRuntime.layer.pipe(Layer.provide(MemoryStore.layer))),
    Effect.provide(Layer.succeed(Cms, { upload: (text) => Effect.succeed(`https://example.com/${text.length}`) }))
  )
)
// #endregion workflow
