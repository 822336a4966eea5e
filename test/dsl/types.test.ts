/**
 * Type-level tests: what the compiler must infer, and the mis-wirings it must reject. Checked by `tsc` (part of
 * `npm test`); every `@ts-expect-error` fails the typecheck if the line below it stops being an error.
 */
import { Context, Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import {
  type Checked,
  type CommitNotFound,
  CreatePR,
  Empty,
  Initiated,
  type Merged,
  type Pipeline,
  type PipelineFailed,
  pullRequest,
  type Reviewed,
  ReviewPR,
  type ReviewRejected
} from "../../examples/pull-request.js"
import { type Caught, type Definition, type Instance, Signal, Workflow, WorkflowRuntime } from "../../src/index.js"

class A extends Schema.TaggedClass<A>()("A", { n: Schema.Number }) {}
class B extends Schema.TaggedClass<B>()("B", { s: Schema.String }) {}
class C extends Schema.TaggedClass<C>()("C", {}) {}
class Ev extends Schema.TaggedClass<Ev>()("Ev", { n: Schema.Number }) {}
class Oops extends Schema.TaggedError<Oops>()("Oops", {}) {}
class Other extends Schema.TaggedError<Other>()("Other", {}) {}
class Db extends Context.Service<Db, { readonly get: Effect.Effect<number> }>()("test/Db") {}

/** The five type parameters of a workflow, as a comparable record. */
type Parts<W> = {
  readonly In: Workflow.Input<W>
  readonly Out: Workflow.Output<W>
  readonly E: Workflow.Error<W>
  readonly R: Workflow.Services<W>
  readonly S: Workflow.States<W>
}
type Is<In, Out, E, R, S> = { readonly In: In; readonly Out: Out; readonly E: E; readonly R: R; readonly S: S }

const aToB = Workflow.step({
  name: "A to B",
  event: Ev,
  run: (a: A) => Effect.map(Db, () => new Ev({ n: a.n })),
  apply: (_, ev) => (ev.n < 0 ? Workflow.fail(new Oops()) : new B({ s: String(ev.n) }))
})
const bToC = Workflow.pure("B to C", (_: B) => new C())

describe("Workflow types", () => {
  it("a step infers input, output, error, services and states", () => {
    expectTypeOf<Parts<typeof aToB>>().toEqualTypeOf<Is<A, B, Oops, Db, A | B>>()
    expectTypeOf<Parts<typeof bToC>>().toEqualTypeOf<Is<B, C, never, never, B | C>>()
  })

  it("andThen chains output to input and accumulates errors, services and states", () => {
    const ac = aToB.pipe(Workflow.andThen(bToC))
    expectTypeOf<Parts<typeof ac>>().toEqualTypeOf<Is<A, C, Oops, Db, A | B | C>>()
    expectTypeOf<Workflow.Input<typeof ac>>().toEqualTypeOf<A>()
    expectTypeOf<Workflow.Output<typeof ac>>().toEqualTypeOf<C>()
    expectTypeOf<Workflow.Error<typeof ac>>().toEqualTypeOf<Oops>()
    expectTypeOf<Workflow.Services<typeof ac>>().toEqualTypeOf<Db>()
  })

  it("rejects wiring an output into a step that expects another state", () => {
    // @ts-expect-error B is not A: the second step cannot start from the first one's output
    aToB.pipe(Workflow.andThen(aToB))
    // @ts-expect-error same, data-first
    Workflow.andThen(bToC, aToB)
  })

  it("catch removes the caught errors and types the handler's input", () => {
    const handler = Workflow.pure("Recover", (_: Caught<A | B, Oops>) => new C())
    const safe = aToB.pipe(Workflow.catch(handler))
    expectTypeOf<Parts<typeof safe>>().toEqualTypeOf<Is<A, B | C, never, Db, A | B | Caught<A | B, Oops> | C>>()
    expectTypeOf<Workflow.CaughtOf<typeof aToB>>().toEqualTypeOf<Caught<A | B, Oops>>()
  })

  it("rejects a catch handler that does not accept every state or error it may receive", () => {
    const narrowState = Workflow.pure("Recover", (_: Caught<A, Oops>) => new C())
    // @ts-expect-error the error may happen in state B too, which the handler does not accept
    aToB.pipe(Workflow.catch(narrowState))
    const wrongError = Workflow.pure("Recover", (_: Caught<A | B, Other>) => new C())
    // @ts-expect-error the handler handles Other, but the workflow fails with Oops
    aToB.pipe(Workflow.catch(wrongError))
  })

  it("catchTag removes only its tags from the error channel", () => {
    const two = Workflow.pure("Two", (a: A) => (a.n > 0 ? Workflow.fail(new Oops()) : Workflow.fail(new Other())))
    const handler = Workflow.pure("Handle Oops", (_: Caught<A, Oops>) => new C())
    const partly = two.pipe(Workflow.catchTag("Oops", handler))
    expectTypeOf<Workflow.Error<typeof partly>>().toEqualTypeOf<Other>()
    const wrong = Workflow.pure("Handle Other", (_: Caught<A, Other>) => new C())
    // @ts-expect-error a handler for Other cannot handle the errors tagged "Oops"
    two.pipe(Workflow.catchTag("Oops", wrong))
  })

  it("signals: the handler's request type comes from the signal's Schema", () => {
    const Ping = Signal.make("Ping", { request: Schema.Struct({ n: Schema.Number }), response: Schema.String })
    const wait = Workflow.awaitSignal(Ping, {
      name: "Wait for ping",
      event: Ev,
      handle: (_: A, request) => {
        expectTypeOf(request).toEqualTypeOf<{ readonly n: number }>()
        return new Ev({ n: request.n })
      },
      apply: (a, ev) => new A({ n: a.n + ev.n }),
      respond: (_, ev) => `pong ${ev.n}`
    })
    expectTypeOf<Parts<typeof wait>>().toEqualTypeOf<Is<A, A, never, never, A>>()
    Workflow.awaitSignal(Ping, {
      name: "Wait for ping",
      event: Ev,
      // @ts-expect-error the request has no field `s`
      handle: (_: A, request) => new Ev({ n: request.s }),
      apply: (a) => a,
      respond: () => "pong"
    })
    // @ts-expect-error a signal with a non-void response needs `respond`
    Workflow.awaitSignal(Ping, { name: "No reply", event: Ev, handle: () => new Ev({ n: 1 }), apply: (a: A) => a })
  })

  it("a step's event must match its Schema", () => {
    Workflow.step({
      name: "Wrong event",
      event: Ev,
      // @ts-expect-error run must produce an Ev
      run: (_: A) => Effect.succeed(new B({ s: "" })),
      apply: (a) => a
    })
  })

  it("branch: union of the arms' outputs; without otherwise the input passes through", () => {
    type Order = { readonly kind: "big" | "small"; readonly total: number }
    const big = Workflow.pure("Big", (o: Order) => new A({ n: o.total }))
    const small = Workflow.pure("Small", (o: Order) => new B({ s: String(o.total) }))
    const routed = Workflow.branch({
      arms: [
        Workflow.when("big", (o: Order) => o.kind === "big", big),
        Workflow.when("small", (o: Order) => o.total < 10, small)
      ]
    })
    expectTypeOf<Workflow.Input<typeof routed>>().toEqualTypeOf<Order>()
    expectTypeOf<Workflow.Output<typeof routed>>().toEqualTypeOf<A | B | Order>()
    const exhaustive = Workflow.branch({
      arms: [Workflow.when("big", (o: Order) => o.kind === "big", big)],
      otherwise: small
    })
    expectTypeOf<Workflow.Output<typeof exhaustive>>().toEqualTypeOf<A | B>()
  })

  it("branch: a type-guard condition narrows the arm's input", () => {
    const onlyA = Workflow.pure("Only A", (a: A) => a.n)
    const arms = Workflow.branch({
      arms: [Workflow.when("is A", (s: A | B): s is A => s._tag === "A", onlyA)],
      otherwise: Workflow.pure("Else", (_: A | B) => 0)
    })
    expectTypeOf<Parts<typeof arms>>().toEqualTypeOf<Is<A | B, number, never, never, A | B | number>>()
    // TypeScript infers the guard from a plain comparison too.
    const inferred = Workflow.branch({ arms: [Workflow.when("is A", (s: A | B) => s._tag === "A", onlyA)] })
    expectTypeOf<Workflow.Input<typeof inferred>>().toEqualTypeOf<A | B>()
    // Without a guard the arm needs its workflow's input: a branch using it only accepts A.
    const unguarded = Workflow.branch({
      arms: [Workflow.when("big A", (s: A | B) => s._tag === "A" && s.n > 10, onlyA)]
    })
    expectTypeOf<Workflow.Input<typeof unguarded>>().toEqualTypeOf<A>()
  })

  it("loop: the body must return what it starts from unless a restart maps it back; exit guards narrow", () => {
    const tick = Workflow.pure("Tick", (n: number) => n - 1)
    const countdown = Workflow.loop({ body: tick, exit: { name: "zero", when: (n) => n <= 0 } })
    expectTypeOf<Workflow.Output<typeof countdown>>().toEqualTypeOf<number>()
    // @ts-expect-error the body turns A into B, so the next round could not start without a restart
    Workflow.loop({ body: aToB, exit: { name: "done", when: () => true } })
    const withRestart = Workflow.loop({
      body: aToB,
      exit: { name: "long", when: (b) => b.s.length > 3 },
      restart: Workflow.pure("Again", (b: B) => new A({ n: b.s.length }))
    })
    expectTypeOf<Parts<typeof withRestart>>().toEqualTypeOf<Is<A, B, Oops, Db, A | B>>()
  })

  it("end never outputs, so a path ending in it adds nothing to the output", () => {
    const maybeEnd = Workflow.branch({
      arms: [Workflow.when("negative", (a: A) => a.n < 0, Workflow.end("Rejected"))],
      otherwise: Workflow.pure("Keep", (a: A) => new B({ s: String(a.n) }))
    })
    expectTypeOf<Workflow.Output<typeof maybeEnd>>().toEqualTypeOf<B>()
  })

  it("raise never outputs and fails with the error it computes; it needs the errors it raises", () => {
    const reject = Workflow.raise("Reject", (_: A) => new Oops(), { errors: [Oops] })
    expectTypeOf<Parts<typeof reject>>().toEqualTypeOf<Is<A, never, Oops, never, A>>()
    const maybeReject = Workflow.branch({
      arms: [Workflow.when("negative", (a: A) => a.n < 0, reject)],
      otherwise: Workflow.pure("Keep", (a: A) => new B({ s: String(a.n) }))
    })
    expectTypeOf<Workflow.Output<typeof maybeReject>>().toEqualTypeOf<B>()
    expectTypeOf<Workflow.Error<typeof maybeReject>>().toEqualTypeOf<Oops>()
    // @ts-expect-error a raise declares the errors it raises (what its error end event throws)
    Workflow.raise("Reject", (_: A) => new Oops())
    // @ts-expect-error ... at least one
    Workflow.raise("Reject", (_: A) => new Oops(), { errors: [] })
  })

  it("define checks the input Schema against the workflow's input", () => {
    const def = aToB.pipe(Workflow.define({ name: "ab", input: A }))
    expectTypeOf<Parts<typeof def.workflow>>().toEqualTypeOf<Is<A, B, Oops, Db, A | B>>()
    expectTypeOf(def.input).toEqualTypeOf<Definition<A, B, Oops, Db, A | B>["input"]>()
    // @ts-expect-error the workflow starts from A, the Schema describes B
    aToB.pipe(Workflow.define({ name: "ab", input: B }))
  })

  it("apply may return several errors and states", () => {
    const many = Workflow.pure("Many", (a: A) =>
      a.n > 1
        ? Workflow.fail(new Oops())
        : a.n < -1
          ? Workflow.fail(new Other())
          : a.n === 0
            ? new B({ s: "" })
            : new C()
    )
    expectTypeOf<Parts<typeof many>>().toEqualTypeOf<Is<A, B | C, Oops | Other, never, A | B | C>>()
    const onlyFails = Workflow.pure("Only fails", (_: A) => Workflow.fail(new Oops()))
    expectTypeOf<Workflow.Output<typeof onlyFails>>().toEqualTypeOf<never>()
  })

  it("the pull-request example: types of the definition and its instances", () => {
    type Out = typeof pullRequest extends Definition<any, infer O, any, any, any> ? O : never
    type Err = typeof pullRequest extends Definition<any, any, infer E, any, any> ? E : never
    type R = typeof pullRequest extends Definition<any, any, any, infer X, any> ? X : never
    expectTypeOf<Err>().toEqualTypeOf<never>()
    expectTypeOf<R>().toEqualTypeOf<Pipeline>()
    expectTypeOf<Extract<Out, Merged>>().toEqualTypeOf<Merged>()
    // every error the happy path can raise is in the handler's input
    type Handled = Workflow.Error<typeof pullRequest.workflow>
    expectTypeOf<Handled>().toEqualTypeOf<never>()
    expectTypeOf<CommitNotFound | PipelineFailed | ReviewRejected>().not.toBeNever()
    expectTypeOf<Checked | Empty | Initiated | Reviewed>().not.toBeNever()
  })

  it("the runtime: start needs the services of the steps; signals are typed", () => {
    const program = Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const pr = yield* runtime.start(pullRequest, { id: "1", input: new Empty() })
      expectTypeOf(pr).toExtend<Instance<Empty, unknown, never, Pipeline, unknown>>()
      const reply = yield* pr.signal(CreatePR, { commit: "abc" })
      expectTypeOf(reply).toEqualTypeOf<void>()
      // @ts-expect-error the CreatePR request has a string commit
      yield* pr.signal(CreatePR, { commit: 42 })
      // @ts-expect-error ReviewPR wants `approve`
      yield* pr.signal(ReviewPR, { commit: "abc" })
      // @ts-expect-error the input of pullRequest is Empty
      yield* runtime.start(pullRequest, { id: "2", input: new Initiated({ commit: "x" }) })
    })
    expectTypeOf<Effect.Services<typeof program>>().toEqualTypeOf<WorkflowRuntime | Pipeline>()
  })
})
