/**
 * Bad input to the runtime is a typed error that changes nothing: payloads too deep or too large for the journal,
 * values whose getters throw, Proxies, instance ids that are not ids. And -0 does not make a live instance differ
 * from its recovered self.
 */
import { Effect, Layer, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  EventStore,
  InvalidInput,
  InvalidInstanceId,
  InvalidSignalPayload,
  Signal,
  Workflow,
  WorkflowRuntime
} from "../../../src/index.js"
import { memoryStore, readStream, runOn } from "../../support.js"

class Held extends Schema.TaggedClass<Held>()("Held", { value: Schema.Json }) {}
class Got extends Schema.TaggedClass<Got>()("Got", { value: Schema.Json }) {}
class Amount extends Schema.TaggedClass<Amount>()("Amount", { n: Schema.Number }) {}

const Put = Signal.make("Put", { request: Schema.Struct({ value: Schema.Json }), response: Schema.Void })

/** Waits for Put, twice: a refused signal must leave it waiting for the first one. */
const holder = Workflow.awaitSignal(Put, {
  name: "Put",
  event: Got,
  handle: (_: Held, request) => new Got({ value: request.value }),
  apply: (_, got) => new Held({ value: got.value })
}).pipe(
  Workflow.andThen(
    Workflow.awaitSignal(Put, {
      name: "Put again",
      event: Got,
      handle: (_: Held, request) => new Got({ value: request.value }),
      apply: (_, got) => new Held({ value: got.value })
    })
  ),
  Workflow.define({ name: "holder", input: Held })
)

const amounts = Workflow.pure("Keep", (a: Amount) => a).pipe(Workflow.define({ name: "amounts", input: Amount }))

const Total = Schema.Struct({ total: Schema.Number })
const totals = Workflow.pure("Keep", (t: typeof Total.Type) => t).pipe(
  Workflow.define({ name: "totals", input: Total })
)

/** An array nested `depth` levels deep, built without recursion. */
const nested = (depth: number): Schema.Json => {
  let value: Schema.Json = []
  for (let i = 1; i < depth; i++) value = [value]
  return value
}

const throwingGetter = (): { value: Schema.Json } =>
  Object.defineProperty({} as { value: Schema.Json }, "value", {
    enumerable: true,
    get: () => {
      throw new Error("boom")
    }
  })

const throwingProxy = (): { value: Schema.Json } =>
  new Proxy({ value: 1 } as { value: Schema.Json }, {
    get: () => {
      throw new Error("trap")
    },
    ownKeys: () => {
      throw new Error("trap")
    }
  })

/** Start a holder, send `request`, and return the error with the journal's length before and after. */
const refusedSignal = async (
  request: { value: Schema.Json },
  layer?: Layer.Layer<WorkflowRuntime, never, EventStore>
) => {
  const store = memoryStore()
  const program = Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    const instance = yield* runtime.start(holder, { id: "1", input: new Held({ value: null }) })
    const error = yield* Effect.flip(instance.signal(Put, request))
    return { error, status: yield* instance.status }
  })
  const result = await runOn(
    store,
    layer === undefined
      ? program
      : Effect.provide(program, Layer.fresh(layer).pipe(Layer.provide(Layer.succeed(EventStore, store))))
  )
  return { ...result, events: (await readStream(store, "holder-1")).length }
}

describe("signal payloads the journal cannot hold are refused with InvalidSignalPayload, appending nothing", () => {
  it("JSON nested 10,000 deep (it used to die with a RangeError while hashing the event)", async () => {
    const { error, status, events } = await refusedSignal({ value: nested(10_000) })
    expect(error).toBeInstanceOf(InvalidSignalPayload)
    expect(error).toMatchObject({ stream: "holder-1", signal: "Put", issue: "nested deeper than 64 levels" })
    expect(status).toEqual({ _tag: "Waiting", step: "put", signals: ["Put"] })
    expect(events).toBe(1)
  })

  it("nesting up to the limit is accepted", async () => {
    const store = memoryStore()
    const state = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(holder, { id: "1", input: new Held({ value: null }) })
        // The request Struct and the event class each add a level around the value.
        yield* instance.signal(Put, { value: nested(62) })
        return yield* instance.state
      })
    )
    expect(state).toEqual(new Held({ value: nested(62) }))
  })

  it("a payload longer than maxJsonLength", async () => {
    const small = WorkflowRuntime.layerWith({ limits: { maxJsonLength: 1000 } })
    const { error, events } = await refusedSignal({ value: "x".repeat(1000) }, small)
    expect(error).toBeInstanceOf(InvalidSignalPayload)
    expect(error).toMatchObject({ issue: "its JSON is longer than 1000 characters" })
    expect(events).toBe(1)
  })

  it("a payload with a throwing getter (it used to die: 'Result adapter can only return schema issues')", async () => {
    const { error, events } = await refusedSignal(throwingGetter())
    expect(error).toBeInstanceOf(InvalidSignalPayload)
    expect((error as InvalidSignalPayload).issue).toBe("it cannot be read: boom")
    expect(events).toBe(1)
  })

  it("a Proxy whose traps throw", async () => {
    const { error, events } = await refusedSignal(throwingProxy())
    expect(error).toBeInstanceOf(InvalidSignalPayload)
    expect((error as InvalidSignalPayload).issue).toBe("it cannot be read: trap")
    expect(events).toBe(1)
  })
})

describe("start", () => {
  it("refuses an input with a throwing getter with InvalidInput, creating nothing", async () => {
    const store = memoryStore()
    const error = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const input = Object.defineProperty({}, "total", {
          enumerable: true,
          get: () => {
            throw new Error("no total")
          }
        }) as typeof Total.Type
        return yield* Effect.flip(runtime.start(totals, { id: "1", input }))
      })
    )
    expect(error).toBeInstanceOf(InvalidInput)
    expect((error as InvalidInput).issue).toBe("it cannot be read: no total")
    expect(await readStream(store, "totals-1")).toEqual([])
  })

  it("-0 in a Number field: the live state and the recovered one are equal (both 0)", async () => {
    const store = memoryStore()
    const live = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(amounts, { id: "1", input: new Amount({ n: -0 }) })
        return yield* instance.state
      })
    )
    const recovered = await runOn(
      store,
      Effect.flatMap(WorkflowRuntime, (runtime) =>
        Effect.flatMap(runtime.get(amounts, "1"), (instance) => instance.state)
      )
    )
    expect(Object.is(live.n, 0)).toBe(true)
    expect(Object.is(recovered.n, 0)).toBe(true)
    expect(live).toEqual(recovered)
  })

  it.each([
    [undefined, "undefined", "the instance id must be a string, got undefined"],
    [42, "number", "the instance id must be a string, got number"],
    [null, "object", "the instance id must be a string, got null"],
    [{}, "object", "the instance id must be a string, got object"],
    ["", '""', "the instance id must not be empty"],
    ["x".repeat(257), `"${"x".repeat(80)}…"`, "the instance id is longer than 256 characters"],
    ["a\u001b[2Jb", '"a\\u001b[2Jb"', "the instance id must not contain control characters"],
    ["\ud800", '"\\ud800"', "the instance id must be well-formed Unicode (it has a lone surrogate)"]
  ])("refuses the instance id %j with InvalidInstanceId, in start and get", async (id, shown, issue) => {
    const store = memoryStore()
    const errors = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const started = yield* Effect.flip(runtime.start(amounts, { id: id as string, input: new Amount({ n: 1 }) }))
        const got = yield* Effect.flip(runtime.get(amounts, id as string))
        return [started, got]
      })
    )
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidInstanceId)
      expect({ ...(error as InvalidInstanceId) }).toEqual({
        _tag: "InvalidInstanceId",
        workflow: "amounts",
        id: shown,
        issue
      })
    }
    expect(await readStream(store, `amounts-${String(id)}`)).toEqual([])
  })
})
