/**
 * Signal payloads from a seeded generator, the way an HTTP service would forward whatever it was sent: JSON of every
 * shape and size, numbers JSON cannot hold, -0, cycles, throwing getters, Proxies, class instances. For each call:
 * no defect (only typed errors), nothing appended for a refused call, and the live state equal to the state a new
 * runtime recovers from the store.
 */
import { Cause, Effect, Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Signal, Workflow, WorkflowRuntime } from "../../../src/index.js"
import { memoryStore, readStream, runOn } from "../../support.js"

class Box extends Schema.TaggedClass<Box>()("Box", {
  count: Schema.Number,
  last: Schema.Json,
  label: Schema.String
}) {}
class Put extends Schema.TaggedClass<Put>()("Put", { value: Schema.Json, label: Schema.String, n: Schema.Number }) {}

const Send = Signal.make("Send", {
  request: Schema.Struct({ value: Schema.Json, label: Schema.String, n: Schema.Number }),
  response: Schema.Number
})

const box = Workflow.loop({
  name: "Receive",
  body: Workflow.awaitSignal(Send, {
    name: "Send",
    event: Put,
    handle: (_: Box, request) => new Put(request),
    apply: (b, put) => new Box({ count: b.count + put.n, last: put.value, label: put.label }),
    respond: (b, put) => b.count + put.n
  }),
  exit: { name: "never", when: () => false }
}).pipe(Workflow.define({ name: "box", input: Box }))

/** mulberry32: a small, fast PRNG; the seed fixes the whole run. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const SEED = 20261202
const CALLS = 1500

const generate = (random: () => number) => {
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
  const weirdNumbers = [0, -0, 1, -1, 0.1, 1e308, -1e-308, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity, -Infinity]
  const weirdStrings = ["", "a", "\u0000", "\ud800", "😀", "\u001b[2J", "x".repeat(1000), "__proto__", "constructor"]
  const json = (depth: number): unknown => {
    const r = random()
    if (depth > 4 || r < 0.3) return pick<unknown>([null, true, false, pick(weirdNumbers), pick(weirdStrings)])
    if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => json(depth + 1))
    const o: Record<string, unknown> = {}
    for (let i = Math.floor(random() * 4); i > 0; i--) o[pick(weirdStrings)] = json(depth + 1)
    return o
  }
  const deep = (n: number) => {
    let v: unknown = []
    for (let i = 0; i < n; i++) v = [v]
    return v
  }
  const hostile = (): unknown => {
    switch (Math.floor(random() * 8)) {
      case 0: {
        const cycle: Record<string, unknown> = {}
        cycle.self = cycle
        return cycle
      }
      case 1:
        return Object.defineProperty({}, "x", {
          enumerable: true,
          get: () => {
            throw new Error("getter")
          }
        })
      case 2:
        return new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error("trap")
            }
          }
        )
      case 3:
        return deep(Math.floor(random() * 20_000))
      case 4:
        return new Date(0)
      case 5:
        return new Map([[1, 2]])
      case 6:
        return () => 1
      default:
        return "y".repeat(Math.floor(random() * 3_000_000))
    }
  }
  const value = random() < 0.25 ? hostile() : json(0)
  const label = random() < 0.9 ? pick(weirdStrings) : pick<unknown>([42, null, undefined, {}])
  const n = random() < 0.9 ? pick(weirdNumbers) : pick<unknown>(["1", null, undefined, 10n])
  const request: Record<string, unknown> = { value, label, n }
  if (random() < 0.05) delete request.value
  return request as typeof Send.request.Type
}

describe(`fuzzed signal payloads (seed ${SEED}, ${CALLS} calls)`, () => {
  it("never die, append nothing when refused, and leave the live state equal to the recovered one", async () => {
    const store = memoryStore()
    const random = prng(SEED)
    const outcomes = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(box, {
          id: "1",
          input: new Box({ count: 0, last: null, label: "" })
        })
        const tally = { accepted: 0, refused: new Map<string, number>() }
        for (let i = 0; i < CALLS; i++) {
          const request = generate(random)
          const before = (yield* instance.journal).length
          const exit = yield* Effect.exit(instance.signal(Send, request))
          const after = (yield* instance.journal).length
          if (Exit.isSuccess(exit)) {
            tally.accepted++
            expect(after, `call ${i}`).toBe(before + 1)
            continue
          }
          // A defect (die) would be a bug: only typed failures are allowed.
          const failure = Cause.findErrorOption(exit.cause)
          expect(failure._tag, `call ${i}: ${Cause.pretty(exit.cause)}`).toBe("Some")
          const tag = (failure as { value: { _tag: string } }).value._tag
          expect(tag, `call ${i}`).toBe("InvalidSignalPayload")
          expect(after, `call ${i}: a refused call appended`).toBe(before)
          tally.refused.set(tag, (tally.refused.get(tag) ?? 0) + 1)
        }
        return { tally, live: yield* instance.state }
      })
    )
    const recovered = await runOn(
      store,
      Effect.flatMap(WorkflowRuntime, (runtime) => Effect.flatMap(runtime.get(box, "1"), (i) => i.state))
    )
    expect(recovered).toStrictEqual(outcomes.live)
    // The generator must exercise both sides: mostly refusals, a fair number of accepted calls.
    expect(outcomes.tally.accepted).toBeGreaterThan(100)
    expect(outcomes.tally.refused.get("InvalidSignalPayload")).toBeGreaterThan(100)
    expect((await readStream(store, "box-1")).length).toBe(outcomes.tally.accepted + 1)
  })
})
