/**
 * Semantics of every node kind, observed through the runtime (what it records and reports), the pure replay of
 * what it recorded, and a fresh runtime recovering the instance — all three must agree. Plus the machine itself.
 */
import { Cause, Effect, Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { compile } from "../../src/dsl/compile.js"
import { toNode } from "../../src/dsl/Workflow.js"
import * as Machine from "../../src/interpreters/machine/index.js"
import {
  type Caught,
  type Definition,
  type Instance,
  InstanceNotFound,
  replay,
  type Replay,
  Signal,
  type Status,
  type StepContext,
  StepFailed,
  type StoredEvent,
  Workflow,
  WorkflowRuntime
} from "../../src/index.js"
import { memoryStore, NOW, readStream, runOn } from "../support.js"

// ---- helpers ----

interface Outcome {
  readonly state: unknown
  readonly status: Status
  readonly events: ReadonlyArray<StoredEvent>
  /** `[step, type, data, occurrence]` of every event after `WorkflowStarted`. */
  readonly steps: ReadonlyArray<readonly [string, string, unknown, unknown]>
  readonly replayed: Replay
  readonly visits: Record<string, { readonly done: number; readonly failed: number }>
}

type Def<In> = Definition<In, any, any, never, any>

/**
 * Start instance "1" of `definition`, let `drive` use it (send signals…), and return what the runtime reports,
 * after checking that replaying the recorded events and recovering the instance in a fresh runtime agree.
 */
const run = async <In>(
  definition: Def<In>,
  input: In,
  drive?: (instance: Instance<In, any, any, never, any>) => Effect.Effect<unknown, unknown>
): Promise<Outcome> => {
  const store = memoryStore()
  const live = await runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const instance = yield* runtime.start(definition, { id: "1", input })
      if (drive !== undefined) yield* drive(instance)
      return { state: yield* instance.state, status: yield* instance.status }
    }).pipe(
      // a plain Error with the message computed here, so the test report shows why (not a serialised Cause)
      Effect.mapError((e) => new Error(`${(e as { _tag?: string })._tag}: ${(e as Error).message}`))
    )
  )
  const stream = `${definition.name}-1`
  const events = await readStream(store, stream)
  const replayed = Result.getOrThrow(replay(definition, stream, events))
  expect(replayed.state).toStrictEqual(live.state)
  expect(replayed.status).toStrictEqual(live.status)
  const recovered = await runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const instance = yield* runtime.get(definition, "1")
      return { state: yield* instance.state, status: yield* instance.status }
    })
  )
  expect(recovered).toStrictEqual(live)
  return {
    ...live,
    events,
    steps: events.slice(1).map((e) => {
      const meta = e.metadata as { step: string; occurrence: number }
      return [meta.step, e.type, e.data, meta.occurrence] as const
    }),
    replayed,
    visits: Object.fromEntries(replayed.visits)
  }
}

const done = (n = 1) => ({ done: n, failed: 0 })
const COMPLETED: Status = { _tag: "Completed" }

const str = (name: string, w: Workflow<string, unknown, unknown, never, unknown>) =>
  w.pipe(Workflow.define({ name, input: Schema.String }))
const num = (name: string, w: Workflow<number, unknown, unknown, never, unknown>) =>
  w.pipe(Workflow.define({ name, input: Schema.Number }))

const append = (name: string, suffix: string, log?: Array<string>) =>
  Workflow.pure(name, (s: string) => {
    log?.push(name)
    return s + suffix
  })

class Ticked extends Schema.TaggedClass<Ticked>()("Ticked", { by: Schema.Number }) {}
class Noted extends Schema.TaggedClass<Noted>()("Noted", { text: Schema.String }) {}

/** A step that adds `by` to a number, logging its runs and the contexts it ran with. */
const tick = (name: string, by: number, contexts?: Array<StepContext>) =>
  Workflow.step({
    name,
    event: Ticked,
    run: (_: number, ctx) =>
      Effect.sync(() => {
        contexts?.push(ctx)
        return new Ticked({ by })
      }),
    apply: (n, e) => n + e.by
  })

class Boom {
  readonly _tag = "Boom"
  constructor(readonly at: unknown) {}
}
class Bang {
  readonly _tag = "Bang"
  constructor(readonly at: unknown) {}
}

const failWith =
  <E>(make: (state: number) => E) =>
  (name: string) =>
    Workflow.pure(name, (n: number) => Workflow.fail(make(n)))

// ---- sequence ----

describe("sequence", () => {
  it("runs pure transitions in order, recording nothing but the start", async () => {
    const log: Array<string> = []
    const def = str(
      "abc",
      append("A", "a", log).pipe(Workflow.andThen(append("B", "b", log)), Workflow.andThen(append("C", "c", log)))
    )
    const out = await run(def, ">")
    expect(out.state).toBe(">abc")
    expect(out.status).toStrictEqual(COMPLETED)
    expect(out.events.map((e) => e.type)).toEqual(["WorkflowStarted"])
    // once by the runtime; replay and recovery recompute pure nodes: twice more
    expect(log).toEqual(["A", "B", "C", "A", "B", "C", "A", "B", "C"])
    expect(out.visits).toStrictEqual({ start: done(), a: done(), b: done(), c: done() })
  })

  it("runs steps in order, one event each, each from the state the previous one produced", async () => {
    const seen: Array<number> = []
    const step = (name: string, by: number) =>
      Workflow.step({
        name,
        event: Ticked,
        run: (n: number) =>
          Effect.sync(() => {
            seen.push(n)
            return new Ticked({ by })
          }),
        apply: (n, e) => n * 10 + e.by
      })
    const def = num("steps", step("One", 1).pipe(Workflow.andThen(step("Two", 2)), Workflow.andThen(step("Three", 3))))
    const out = await run(def, 0)
    expect(out.state).toBe(123)
    expect(seen).toEqual([0, 1, 12])
    expect(out.steps).toEqual([
      ["one", "Ticked", { _tag: "Ticked", by: 1 }, 0],
      ["two", "Ticked", { _tag: "Ticked", by: 2 }, 0],
      ["three", "Ticked", { _tag: "Ticked", by: 3 }, 0]
    ])
  })
})

// ---- branch ----

describe("branch", () => {
  const log: Array<string> = []
  const cond = (name: string, test: (n: number) => boolean) => (n: number) => {
    log.push(name)
    return test(n)
  }
  const sized = (otherwise: boolean) =>
    Workflow.branch({
      name: "Size",
      arms: [
        Workflow.when(
          "over 5",
          cond("over 5", (n) => n > 5),
          Workflow.pure("Big", (n: number) => `big ${n}`)
        ),
        Workflow.when(
          "over 10",
          cond("over 10", (n) => n > 10),
          Workflow.pure("Huge", (n: number) => `huge ${n}`)
        )
      ],
      ...(otherwise ? { otherwise: Workflow.pure("Small", (n: number) => `small ${n}`) } : {})
    })

  it("takes the first arm whose condition holds, and checks no further", async () => {
    log.length = 0
    const out = await run(num("first", sized(true)), 20)
    expect(out.state).toBe("big 20")
    expect(log).toEqual(["over 5", "over 5", "over 5"])
    expect(out.visits).toStrictEqual({ start: done(), size: done(), "size.over-5": done(), big: done() })
  })

  it("checks the conditions in order", async () => {
    const def = num(
      "order",
      Workflow.branch({
        arms: [
          Workflow.when(
            "even",
            (n: number) => n % 2 === 0,
            Workflow.pure("Even", () => "even")
          ),
          Workflow.when(
            "positive",
            (n: number) => n > 0,
            Workflow.pure("Positive", () => "positive")
          )
        ]
      })
    )
    expect((await run(def, 4)).state).toBe("even")
    expect((await run(def, 3)).state).toBe("positive")
  })

  it("runs `otherwise` when no condition holds", async () => {
    log.length = 0
    const out = await run(num("otherwise", sized(true)), 2)
    expect(out.state).toBe("small 2")
    expect(log.slice(0, 2)).toEqual(["over 5", "over 10"])
    expect(out.visits).toStrictEqual({ start: done(), size: done(), "size.otherwise": done(), small: done() })
  })

  it("passes the state through unchanged when no condition holds and there is no `otherwise`", async () => {
    const def = num("through", sized(false).pipe(Workflow.andThen(Workflow.pure("Next", (x: unknown) => [x]))))
    const out = await run(def, 2)
    expect(out.state).toStrictEqual([2])
    expect(out.visits).toStrictEqual({ start: done(), size: done(), next: done() })
  })

  it("gives the arm the state narrowed by a type-guard condition", async () => {
    class Card extends Schema.TaggedClass<Card>()("Card", { number: Schema.String }) {}
    class Cash extends Schema.TaggedClass<Cash>()("Cash", { amount: Schema.Number }) {}
    const pay = Workflow.branch({
      arms: [
        Workflow.when(
          "by card",
          (p: Card | Cash): p is Card => p._tag === "Card",
          Workflow.pure("Charge card", (c: Card) => `card ${c.number.slice(-4)}`)
        ),
        Workflow.when(
          "in cash",
          (p: Card | Cash): p is Cash => p._tag === "Cash",
          Workflow.pure("Count cash", (c: Cash) => `cash ${c.amount.toFixed(2)}`)
        )
      ]
    })
    const def = pay.pipe(Workflow.define({ name: "payment", input: Schema.Union([Card, Cash]) }))
    expect((await run(def, new Card({ number: "4111111111111111" }))).state).toBe("card 1111")
    expect((await run(def, new Cash({ amount: 3 }))).state).toBe("cash 3.00")
  })

  it("runs (and records) only the steps of the arm taken", async () => {
    const def = num(
      "arms",
      Workflow.branch({
        name: "Sign",
        arms: [Workflow.when("negative", (n: number) => n < 0, tick("Negate", 100))],
        otherwise: tick("Keep", 1)
      })
    )
    expect((await run(def, -5)).steps).toEqual([["negate", "Ticked", { _tag: "Ticked", by: 100 }, 0]])
    expect((await run(def, 5)).steps).toEqual([["keep", "Ticked", { _tag: "Ticked", by: 1 }, 0]])
  })
})

// ---- loop ----

describe("loop", () => {
  it("runs the body before checking the exit: at least once, even when the exit holds on entry", async () => {
    const def = num(
      "once",
      Workflow.loop({
        name: "Count",
        body: Workflow.pure("Inc", (n: number) => n + 1),
        exit: { name: "any", when: (n) => n >= 0 }
      })
    )
    const out = await run(def, 10)
    expect(out.state).toBe(11)
    expect(out.visits).toStrictEqual({ start: done(), inc: done(), count: done() })
  })

  it("checks the exit after every round, on the body's output", async () => {
    const checked: Array<number> = []
    const def = num(
      "rounds",
      Workflow.loop({
        name: "Count",
        body: Workflow.pure("Inc", (n: number) => n + 1),
        exit: {
          name: "reached 3",
          when: (n) => {
            checked.push(n)
            return n >= 3
          }
        }
      })
    )
    const out = await run(def, 0)
    expect(out.state).toBe(3)
    expect(checked.slice(0, 3)).toEqual([1, 2, 3])
    expect(checked).toHaveLength(9) // runtime, replay, recovery
    expect(out.visits).toStrictEqual({ start: done(), inc: done(3), count: done() })
  })

  it("runs `restart` before each new round, not before the first nor after the last", async () => {
    const def = str(
      "restart",
      Workflow.loop({
        name: "Rounds",
        body: append("Body", "b"),
        exit: { name: "three rounds", when: (s) => s.split("b").length - 1 === 3 },
        restart: append("Again", "r")
      })
    )
    const out = await run(def, "")
    expect(out.state).toBe("brbrb")
    expect(out.visits).toStrictEqual({ start: done(), body: done(3), again: done(2), rounds: done() })
  })

  it("records one event per round of a step, with occurrence 0, 1, 2 and matching idempotency keys", async () => {
    const contexts: Array<StepContext> = []
    const def = num(
      "ticker",
      Workflow.loop({ body: tick("Tick", 1, contexts), exit: { name: "three", when: (n) => n >= 3 } })
    )
    const out = await run(def, 0)
    expect(out.state).toBe(3)
    expect(out.steps).toEqual([
      ["tick", "Ticked", { _tag: "Ticked", by: 1 }, 0],
      ["tick", "Ticked", { _tag: "Ticked", by: 1 }, 1],
      ["tick", "Ticked", { _tag: "Ticked", by: 1 }, 2]
    ])
    // the step ran three times, in the runtime only (replay and recovery run no step)
    expect(contexts).toStrictEqual(
      [0, 1, 2].map((occurrence) => ({
        workflow: "ticker",
        instanceId: "1",
        stepId: "tick",
        occurrence,
        attempt: 1,
        idempotencyKey: `ticker/1/tick/${occurrence}`
      }))
    )
    expect(out.events.map((e) => (e.metadata as { at: string }).at)).toEqual([NOW, NOW, NOW, NOW])
    expect(out.visits).toStrictEqual({ start: done(), tick: done(3), "loop-1": done() })
  })

  it("counts a signal's occurrences across rounds, and gives its handler the same context", async () => {
    const Note = Signal.make("Note", { request: Schema.String, response: Schema.Number })
    const contexts: Array<StepContext> = []
    const wait = Workflow.awaitSignal(Note, {
      name: "Wait for note",
      event: Noted,
      handle: (_: ReadonlyArray<string>, text, ctx) => {
        contexts.push(ctx)
        return new Noted({ text })
      },
      apply: (notes, e) => [...notes, e.text],
      respond: (notes) => notes.length
    })
    const def = Workflow.loop({ body: wait, exit: { name: "three notes", when: (n) => n.length >= 3 } }).pipe(
      Workflow.define({ name: "notes", input: Schema.Array(Schema.String) })
    )
    const responses: Array<number> = []
    const out = await run(def, [], (instance) =>
      Effect.forEach(["a", "b", "c"], (t) => Effect.map(instance.signal(Note, t), (r) => responses.push(r)))
    )
    expect(out.state).toStrictEqual(["a", "b", "c"])
    expect(responses).toEqual([0, 1, 2])
    expect(out.steps.map(([step, , data, occurrence]) => [step, data, occurrence])).toEqual([
      ["wait-for-note", { _tag: "Noted", text: "a" }, 0],
      ["wait-for-note", { _tag: "Noted", text: "b" }, 1],
      ["wait-for-note", { _tag: "Noted", text: "c" }, 2]
    ])
    expect(contexts.map((c) => c.idempotencyKey)).toEqual([
      "notes/1/wait-for-note/0",
      "notes/1/wait-for-note/1",
      "notes/1/wait-for-note/2"
    ])
  })

  it("runs a step in `restart` between rounds, recording it once per restart", async () => {
    const def = num(
      "restartstep",
      Workflow.loop({
        name: "Rounds",
        body: Workflow.pure("Double", (n: number) => n * 2),
        exit: { name: "over 20", when: (n) => n > 20 },
        restart: tick("Wait", 1)
      })
    )
    const out = await run(def, 1)
    // 1 → 2, +1 → 3 → 6, +1 → 7 → 14, +1 → 15 → 30
    expect(out.state).toBe(30)
    expect(out.steps.map(([step, , , occurrence]) => [step, occurrence])).toEqual([
      ["wait", 0],
      ["wait", 1],
      ["wait", 2]
    ])
    expect(out.visits).toStrictEqual({ start: done(), double: done(4), wait: done(3), rounds: done() })
  })

  it("waits inside the loop between signals", async () => {
    const Note = Signal.make("Note", { request: Schema.String, response: Schema.Void })
    const wait = Workflow.awaitSignal(Note, {
      name: "Wait for note",
      event: Noted,
      handle: (_: string, text) => new Noted({ text }),
      apply: (s, e) => s + e.text
    })
    const def = str("waiting", Workflow.loop({ body: wait, exit: { name: "long", when: (s) => s.length >= 3 } }))
    const out = await run(def, "", (instance) => instance.signal(Note, "ab"))
    expect(out.state).toBe("ab")
    expect(out.status).toStrictEqual({ _tag: "Waiting", step: "wait-for-note", signals: ["Note"] })
  })
})

// ---- catch ----

describe("catch", () => {
  const boom = failWith((n) => new Boom(n))
  const bang = failWith((n) => new Bang(n))
  const recover = (name: string) => Workflow.pure(name, (c: Caught<unknown, unknown>) => ({ by: name, ...c }))

  it("gives a catch-all handler the last state before the error and the error", async () => {
    const def = num(
      "caught",
      Workflow.pure("Add one", (n: number) => n + 1).pipe(
        Workflow.andThen(boom("Check")),
        Workflow.andThen(Workflow.pure("Unreached", () => "unreached")),
        Workflow.catch(recover("Recover")),
        Workflow.andThen(Workflow.pure("After", (x: unknown) => ({ after: x })))
      )
    )
    const out = await run(def, 5)
    expect(out.state).toStrictEqual({ after: { by: "Recover", state: 6, error: new Boom(6) } })
    expect(out.status).toStrictEqual(COMPLETED)
    expect(out.visits).toStrictEqual({
      start: done(),
      "add-one": done(),
      check: { done: 0, failed: 1 },
      recover: done(),
      after: done()
    })
  })

  it("does not run the handler when nothing fails", async () => {
    const def = num("fine", Workflow.pure("Add one", (n: number) => n + 1).pipe(Workflow.catch(recover("Recover"))))
    const out = await run(def, 5)
    expect(out.state).toBe(6)
    expect(out.visits).toStrictEqual({ start: done(), "add-one": done(), "catch-1": done() })
  })

  it("catches an error raised by a step's apply: the event is recorded, the handler gets the state before it", async () => {
    const check = Workflow.step({
      name: "Check",
      event: Ticked,
      run: (_: number) => Effect.succeed(new Ticked({ by: 7 })),
      apply: (n, e) => (e.by > 5 ? Workflow.fail(new Boom(n + e.by)) : n)
    })
    const def = num(
      "stepfail",
      Workflow.pure("Add one", (n: number) => n + 1).pipe(Workflow.andThen(check), Workflow.catch(recover("Recover")))
    )
    const out = await run(def, 1)
    expect(out.state).toStrictEqual({ by: "Recover", state: 2, error: new Boom(9) })
    expect(out.steps).toEqual([["check", "Ticked", { _tag: "Ticked", by: 7 }, 0]])
    expect(out.visits).toStrictEqual({
      start: done(),
      "add-one": done(),
      check: { done: 0, failed: 1 },
      recover: done()
    })
  })

  it("catchTag catches only its tags; another error fails the instance with the step and the error", async () => {
    const handled = num(
      "tagged",
      Workflow.pure("Add one", (n: number) => n + 1).pipe(
        Workflow.andThen(boom("Check")),
        Workflow.catchTag("Boom", recover("Recover"))
      )
    )
    expect((await run(handled, 1)).state).toStrictEqual({ by: "Recover", state: 2, error: new Boom(2) })

    const other = num(
      "untagged",
      Workflow.pure("Add one", (n: number) => n + 1).pipe(
        Workflow.andThen(bang("Check")),
        Workflow.catchTag("Boom", recover("Recover"))
      )
    )
    const out = await run(other, 1)
    expect(out.status).toStrictEqual({ _tag: "Failed", step: "check", error: new Bang(2) })
    expect(out.state).toBe(2)
    expect(out.visits).toStrictEqual({ start: done(), "add-one": done(), check: { done: 0, failed: 1 } })
  })

  it("catchTag with several tags catches each of them", async () => {
    const def = num(
      "several",
      Workflow.branch({
        arms: [Workflow.when("even", (n: number) => n % 2 === 0, boom("Boom it"))],
        otherwise: bang("Bang it")
      }).pipe(Workflow.catchTag(["Boom", "Bang"], recover("Recover")))
    )
    expect((await run(def, 2)).state).toStrictEqual({ by: "Recover", state: 2, error: new Boom(2) })
    expect((await run(def, 3)).state).toStrictEqual({ by: "Recover", state: 3, error: new Bang(3) })
  })

  it("nested catches: the innermost handler that matches wins", async () => {
    const nested = (inner: (name: string) => Workflow<number, never, Boom | Bang, never, number>) =>
      num("nested", inner("Check").pipe(Workflow.catchTag("Boom", recover("Inner")), Workflow.catch(recover("Outer"))))
    expect((await run(nested(boom), 1)).state).toStrictEqual({ by: "Inner", state: 1, error: new Boom(1) })
    expect((await run(nested(bang), 1)).state).toStrictEqual({ by: "Outer", state: 1, error: new Bang(1) })
    // both match: the inner one
    const both = num("both", boom("Check").pipe(Workflow.catch(recover("Inner")), Workflow.catch(recover("Outer"))))
    expect((await run(both, 1)).state).toStrictEqual({ by: "Inner", state: 1, error: new Boom(1) })
  })

  it("an error raised inside a handler goes to an outer catch, with the handler's last state", async () => {
    const rethrow = Workflow.pure("Rethrow", (c: Caught<unknown, unknown>) => Workflow.fail(new Bang(c.error)))
    const def = num("rethrow", boom("Check").pipe(Workflow.catch(rethrow), Workflow.catch(recover("Outer"))))
    const out = await run(def, 1)
    expect(out.state).toStrictEqual({
      by: "Outer",
      state: { state: 1, error: new Boom(1) },
      error: new Bang(new Boom(1))
    })
    expect(out.visits).toStrictEqual({
      start: done(),
      check: { done: 0, failed: 1 },
      rethrow: { done: 0, failed: 1 },
      outer: done()
    })
  })

  it("an error raised inside a handler with no outer catch fails the instance (the handler does not catch itself)", async () => {
    const rethrow = Workflow.pure("Rethrow", (c: Caught<unknown, unknown>) => Workflow.fail(new Boom(c.error)))
    const def = num("unhandled", boom("Check").pipe(Workflow.catch(rethrow)))
    const out = await run(def, 1)
    expect(out.status).toStrictEqual({ _tag: "Failed", step: "rethrow", error: new Boom(new Boom(1)) })
    expect(out.state).toStrictEqual({ state: 1, error: new Boom(1) })
  })

  it("an uncaught error at the very start records the start and fails the instance", async () => {
    const def = num("early", boom("Check").pipe(Workflow.andThen(tick("Never", 1))))
    const out = await run(def, 4)
    expect(out.status).toStrictEqual({ _tag: "Failed", step: "check", error: new Boom(4) })
    expect(out.state).toBe(4)
    expect(out.events.map((e) => e.type)).toEqual(["WorkflowStarted"])
  })
  it("handles an error in every round of a long pure loop (the machine does not grow the call stack)", async () => {
    // Machine.raise runs the handler with a recursive call to `run`, which then carries on with the rest of the
    // workflow: every error caught in one pure stretch nests a call, and a few thousand overflow the stack.
    class Skip {
      readonly _tag = "Skip"
    }
    const body = Workflow.pure("Try", (_: number) => Workflow.fail(new Skip())).pipe(
      Workflow.catch(Workflow.pure("Next", (c: Caught<number, Skip>) => c.state + 1))
    )
    const def = num(
      "manyerrors",
      Workflow.loop({ name: "Each", body, exit: { name: "done", when: (n) => n >= 10_000 } })
    )
    const out = await run(def, 0)
    expect(out.state).toBe(10_000)
    expect(out.visits).toStrictEqual({
      start: done(),
      try: { done: 0, failed: 10_000 },
      next: done(10_000),
      each: done()
    })
  })
})

// ---- end ----

describe("raise", () => {
  it("fails the instance with the error computed from the state; nothing after it runs", async () => {
    const log: Array<string> = []
    const def = str(
      "raised",
      append("A", "a", log).pipe(
        Workflow.andThen(Workflow.raise("Reject", (s: string) => new Boom(s), { errors: ["Boom"] })),
        Workflow.andThen(append("B", "b", log))
      )
    )
    const out = await run(def, "")
    expect(out.status).toStrictEqual({ _tag: "Failed", step: "reject", error: new Boom("a") })
    expect(out.state).toBe("a")
    expect(out.visits).toStrictEqual({ start: done(), a: done(), reject: { done: 0, failed: 1 } })
  })

  it("reaches the enclosing catch, whose handler gets the state and the error", async () => {
    const def = num(
      "raisecaught",
      tick("Add", 1).pipe(
        Workflow.andThen(Workflow.raise("Reject", (n: number) => new Bang(n), { errors: ["Bang"] })),
        Workflow.catchTag(
          "Bang",
          Workflow.pure("Recover", (c: Caught<number, Bang>) => c.state * 10)
        )
      )
    )
    const out = await run(def, 1)
    expect(out.status).toStrictEqual(COMPLETED)
    expect(out.state).toBe(20)
  })
})

describe("end", () => {
  it("completes the instance in the middle of a sequence: nothing after it runs", async () => {
    const log: Array<string> = []
    const def = str(
      "ended",
      append("A", "a", log).pipe(Workflow.andThen(Workflow.end("Stop")), Workflow.andThen(append("B", "b", log)))
    )
    const out = await run(def, "")
    expect(out.state).toBe("a")
    expect(out.status).toStrictEqual(COMPLETED)
    expect(log).toEqual(["A", "A", "A"])
    expect(out.visits).toStrictEqual({ start: done(), a: done(), stop: done() })
  })

  it("completes the whole instance from inside a loop, skipping the rest of the loop and what follows it", async () => {
    const body = Workflow.pure("Inc", (n: number) => n + 1).pipe(
      Workflow.andThen(
        Workflow.branch({ name: "Third?", arms: [Workflow.when("yes", (n: number) => n === 3, Workflow.end("Stop"))] })
      ),
      Workflow.andThen(Workflow.pure("Double check", (n: number) => n))
    )
    const def = num(
      "loopend",
      Workflow.loop({ name: "Forever", body, exit: { name: "never", when: () => false } }).pipe(
        Workflow.andThen(Workflow.pure("After", (n: number) => n * 100))
      )
    )
    const out = await run(def, 0)
    expect(out.state).toBe(3)
    expect(out.status).toStrictEqual(COMPLETED)
    expect(out.visits).toStrictEqual({
      start: done(),
      inc: done(3),
      third: done(3),
      "third.yes": done(),
      "double-check": done(2),
      stop: done()
    })
  })

  it("completes the instance from inside a catch body in a sub-workflow; no later step runs", async () => {
    const ran: Array<StepContext> = []
    const def = num(
      "deepend",
      Workflow.end("Stop")
        .pipe(
          Workflow.andThen(tick("Unreached", 1, ran)),
          Workflow.catch(Workflow.pure("Recover", () => -1)),
          Workflow.named("Sub")
        )
        .pipe(Workflow.andThen(tick("After", 1, ran)))
    )
    const out = await run(def, 7)
    expect(out.state).toBe(7)
    expect(out.status).toStrictEqual(COMPLETED)
    expect(ran).toEqual([])
    expect(out.events.map((e) => e.type)).toEqual(["WorkflowStarted"])
  })

  it("completes right after a step's event", async () => {
    const def = num(
      "afterstep",
      tick("Tick", 2).pipe(Workflow.andThen(Workflow.end()), Workflow.andThen(tick("Never", 1)))
    )
    const out = await run(def, 1)
    expect(out.state).toBe(3)
    expect(out.status).toStrictEqual(COMPLETED)
    expect(out.steps).toEqual([["tick", "Ticked", { _tag: "Ticked", by: 2 }, 0]])
  })
})

// ---- named ----

describe("named sub-workflows", () => {
  const Approve = Signal.make("Approve", { request: Schema.Boolean, response: Schema.Void })
  class Approved extends Schema.TaggedClass<Approved>()("Approved", { ok: Schema.Boolean }) {}
  const review = Workflow.awaitSignal(Approve, {
    name: "Approve",
    event: Approved,
    handle: (_: number, ok) => new Approved({ ok }),
    apply: (n, e) => (e.ok ? n : Workflow.fail(new Boom(n)))
  }).pipe(Workflow.andThen(tick("Tick", 1)), Workflow.named("Review"))
  const def = num("reviewed", tick("Tick", 10).pipe(Workflow.andThen(review)))

  it("records the steps inside with ids prefixed by the sub-workflow's id", async () => {
    const waiting = await run(def, 0)
    expect(waiting.status).toStrictEqual({ _tag: "Waiting", step: "review.approve", signals: ["Approve"] })
    const out = await run(def, 0, (instance) => instance.signal(Approve, true))
    expect(out.state).toBe(11)
    expect(out.steps).toEqual([
      ["tick", "Ticked", { _tag: "Ticked", by: 10 }, 0],
      ["review.approve", "Approved", { _tag: "Approved", ok: true }, 0],
      ["review.tick", "Ticked", { _tag: "Ticked", by: 1 }, 0]
    ])
    expect(out.visits).toStrictEqual({
      start: done(),
      tick: done(),
      "review.approve": done(),
      "review.tick": done(),
      review: done()
    })
  })

  it("reports an error raised inside with the prefixed id", async () => {
    const out = await run(def, 0, (instance) => instance.signal(Approve, false))
    expect(out.status).toStrictEqual({ _tag: "Failed", step: "review.approve", error: new Boom(10) })
    expect(out.visits).toStrictEqual({ start: done(), tick: done(), "review.approve": { done: 0, failed: 1 } })
  })
})

// ---- the live instance continues from what is persisted ----

describe("the runtime continues from what it persisted", () => {
  // Replay and recovery only see what the Schemas persisted. The live instance must continue from the same
  // values, or a recovered instance behaves differently from the one that ran (its state differs, and a branch
  // on the lost data would take another path: a NonDeterminismError after a restart).
  type Row = { readonly a: number }
  const Event = Schema.Struct({ n: Schema.Number })
  const keys = Workflow.step({
    name: "Keys",
    event: Event,
    run: (_: Row) => {
      const event = { n: 1, extra: true } // more than the event Schema persists (TypeScript allows it)
      return Effect.succeed(event)
    },
    apply: (row, event) => ({ input: Object.keys(row), event: Object.keys(event) })
  })
  const def = keys.pipe(Workflow.define({ name: "keys", input: Schema.Struct({ a: Schema.Number }) }))

  it("starts from the input as persisted, and applies the event as persisted", async () => {
    const input = { a: 1, secret: "not persisted" } // more than the input Schema persists
    const out = await run(def, input) // `run` checks that replay and recovery agree with the live instance
    expect(out.events.map((e) => e.data)).toStrictEqual([{ input: { a: 1 } }, { n: 1 }])
    expect(out.state).toStrictEqual({ input: ["a"], event: ["n"] })
  })
})

// ---- a pure part that never needs an event ----

describe("non-termination", () => {
  const NON_TERMINATING =
    "more than 1000000 transitions without reaching a step: does a loop without steps never meet its exit condition?"
  const spin = Workflow.loop({
    name: "Spin",
    body: Workflow.pure((n: number) => n + 1),
    exit: { name: "never", when: () => false }
  })

  it("the machine gives up with NonTerminating instead of hanging", () => {
    expect(() => Machine.start(compile(toNode(spin)), 0)).toThrow(Machine.NonTerminating)
  })

  it("start fails with StepFailed (step `start`, the NonTerminating defect) and appends nothing", async () => {
    const store = memoryStore()
    const def = num("spin", spin)
    const error = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        return yield* Effect.flip(rt.start(def, { id: "1", input: 0 }))
      })
    )
    expect(error).toBeInstanceOf(StepFailed)
    const failed = error as StepFailed
    expect([failed.stream, failed.step]).toEqual(["spin-1", "start"])
    const defect = Cause.squash(failed.cause)
    expect(defect).toBeInstanceOf(Machine.NonTerminating)
    expect((defect as Error).message).toBe(NON_TERMINATING)
    expect(await readStream(store, "spin-1")).toEqual([])
    const missing = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        return yield* Effect.flip(rt.get(def, "1"))
      })
    )
    expect(missing).toStrictEqual(new InstanceNotFound({ stream: "spin-1" }))
  })

  it("after a step: the step's event is not appended (a failed attempt is), the instance stays at the step, resume fails the same way", async () => {
    const store = memoryStore()
    const def = num("spinlater", tick("Tick", 1).pipe(Workflow.andThen(spin)))
    const status = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        const instance = yield* rt.start(def, { id: "1", input: 0 })
        return yield* instance.status
      })
    )
    expect(status).toStrictEqual({
      _tag: "Running",
      step: "tick",
      lastError: NON_TERMINATING,
      attempts: 1
    })
    // The step's event is not appended; the failed attempt is.
    expect((await readStream(store, "spinlater-1")).map((e) => e.type)).toEqual(["WorkflowStarted", "AttemptFailed"])

    const error = await runOn(
      store,
      Effect.gen(function* () {
        const rt = yield* WorkflowRuntime
        const instance = yield* rt.get(def, "1")
        return yield* Effect.flip(instance.resume)
      })
    )
    expect(error).toBeInstanceOf(StepFailed)
    expect([(error as StepFailed).stream, (error as StepFailed).step]).toEqual(["spinlater-1", "tick"])
    expect(Cause.squash((error as StepFailed).cause)).toBeInstanceOf(Machine.NonTerminating)
    expect((await readStream(store, "spinlater-1")).map((e) => e.type)).toEqual([
      "WorkflowStarted",
      "AttemptFailed",
      "AttemptFailed"
    ])
  })
})

// ---- the machine itself ----

describe("Machine", () => {
  const workflow = compile(
    toNode(
      Workflow.pure("Add one", (n: number) => n + 1).pipe(
        Workflow.andThen(tick("Tick", 5)),
        Workflow.andThen(Workflow.pure("Double", (n: number) => n * 2))
      )
    )
  )

  it("start runs pure nodes up to the first step and stops there: a tree of what is active, as plain data", () => {
    const position = Machine.start(workflow, 1)
    expect(position).toStrictEqual({
      _tag: "Active",
      active: { _tag: "Sequence", id: "sequence-1", index: 1, child: { _tag: "Step", id: "tick", state: 2 } }
    })
    expect(JSON.parse(JSON.stringify(position))).toStrictEqual(position)
    const pending = Machine.pending(workflow, position)
    expect(pending.steps.map((s) => [s.node.id, s.state])).toEqual([["tick", 2]])
    expect([pending.signals, pending.timers]).toEqual([[], []])
  })

  it("accept applies the event and runs on; positions are immutable; the trace says what completed", () => {
    const position = Machine.start(workflow, 1)
    const trace: Array<Machine.TraceEntry> = []
    const next = Machine.accept(workflow, position, { _tag: "Step", node: "tick", event: new Ticked({ by: 5 }) }, (e) =>
      trace.push(e)
    )
    expect(next).toStrictEqual({ _tag: "Completed", state: 14 })
    expect(trace).toEqual([
      { _tag: "Completed", node: "tick" },
      { _tag: "Completed", node: "double" }
    ])
    // the same position can take another event (the runtime computes a next position before appending)
    expect(
      Machine.accept(workflow, position, { _tag: "Step", node: "tick", event: new Ticked({ by: 0 }) })
    ).toStrictEqual({ _tag: "Completed", state: 4 })
    expect(Machine.stateOf(position)).toBe(2)
  })

  it("accept refuses an event of a node the position does not wait for", () => {
    const position = Machine.start(workflow, 1)
    expect(Machine.accept(workflow, position, { _tag: "Step", node: "double", event: 1 })).toBe(undefined)
    expect(Machine.accept(workflow, position, { _tag: "Signal", node: "tick", event: 1 })).toBe(undefined)
    expect(Machine.accept(workflow, { _tag: "Completed", state: 1 }, { _tag: "Step", node: "tick", event: 1 })).toBe(
      undefined
    )
  })

  it("a typed failure becomes a Failed position with the last state and the failing node", () => {
    const failing = compile(
      toNode(
        Workflow.pure("Add one", (n: number) => n + 1).pipe(Workflow.andThen(failWith((n) => new Boom(n))("Check")))
      )
    )
    expect(Machine.start(failing, 1)).toStrictEqual({ _tag: "Failed", state: 2, error: new Boom(2), node: "check" })
  })

  it("lets a throw from user code propagate to the caller", () => {
    const throwing = compile(
      toNode(
        Workflow.pure("Throw", (): number => {
          throw new Error("boom")
        })
      )
    )
    expect(() => Machine.start(throwing, 1)).toThrow("boom")
  })
})
