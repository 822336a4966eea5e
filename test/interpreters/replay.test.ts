/**
 * Strict replay. Histories are recorded by running small workflows with the runtime on a memory store, then
 * replayed — untouched, tampered with, or through a changed definition. Every misfit is a typed error naming the
 * stream and the revision; the runtime refuses a corrupt history with the very same error.
 */
import { Effect, Result, Schema, Stream } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import * as Machine from "../../src/interpreters/machine/index.js"
import {
  type Caught,
  EventDecodeError,
  EventStore,
  fingerprint,
  HistoryError,
  NonDeterminismError,
  NoStream,
  replay,
  type ReplayError,
  Signal,
  type StoredEvent,
  toModel,
  Workflow,
  WorkflowRuntime
} from "../../src/index.js"
import { memoryStore, NOW, readStream, runOn } from "../support.js"

// ---- the workflow whose histories we record ----

class Reserved extends Schema.TaggedClass<Reserved>()("Reserved", { sku: Schema.String, qty: Schema.Number }) {}
class Paid extends Schema.TaggedClass<Paid>()("Paid", { amount: Schema.Number }) {}
class Checked extends Schema.TaggedClass<Checked>()("Checked", { ok: Schema.Boolean }) {}
class Shipped extends Schema.TaggedClass<Shipped>()("Shipped", { tracking: Schema.String }) {}
const Ship = Signal.make("Ship", { request: Schema.Struct({ tracking: Schema.String }), response: Schema.String })

const Input = Schema.Struct({ sku: Schema.String, qty: Schema.Number })
type Input = typeof Input.Type
type Order = Input & { readonly reserved?: number; readonly paid?: number; readonly invoice?: string }

interface Variant {
  readonly name?: string
  /** Name (and explicit id) of the payment step. */
  readonly payName?: string
  readonly payId?: string
  /** Insert a fraud check before the payment. */
  readonly fraudCheck?: boolean
  /** Leave the payment step out. */
  readonly noPay?: boolean
  /** What the payment's `apply` does instead of recording the amount. */
  readonly payApply?: (order: Order, paid: Paid) => Order
  /** What follows the invoice (a pure part that may never end). */
  readonly afterInvoice?: Workflow<Order, Order>
  readonly description?: string
}

/** order: Reserve stock → Take payment → Invoice (pure) → Ship (signal) → done. */
const makeOrder = (v: Variant = {}) => {
  const reserve = Workflow.step({
    name: "Reserve stock",
    event: Reserved,
    run: (o: Order) => Effect.succeed(new Reserved({ sku: o.sku, qty: o.qty })),
    apply: (o, e): Order => ({ ...o, reserved: e.qty })
  })
  const pay = Workflow.step({
    name: v.payName ?? "Take payment",
    ...(v.payId === undefined ? {} : { id: v.payId }),
    event: Paid,
    run: (o: Order) => Effect.succeed(new Paid({ amount: o.qty * 10 })),
    apply: v.payApply ?? ((o, e): Order => ({ ...o, paid: e.amount }))
  })
  const fraud = Workflow.step({
    name: "Check fraud",
    event: Checked,
    run: (_: Order) => Effect.succeed(new Checked({ ok: true })),
    apply: (o) => o
  })
  const invoice = Workflow.pure("Invoice", (o: Order): Order => ({ ...o, invoice: `INV-${o.paid}` }))
  const ship = Workflow.awaitSignal(Ship, {
    name: "Ship",
    event: Shipped,
    handle: (_: Order, req) => new Shipped({ tracking: req.tracking }),
    apply: (o, e) => ({ ...o, tracking: e.tracking }),
    respond: (_, e) => `shipped ${e.tracking}`
  })
  const middle: Workflow<Order, Order> = v.noPay
    ? Workflow.pure((o: Order) => o)
    : v.fraudCheck
      ? fraud.pipe(Workflow.andThen(pay))
      : pay
  return reserve.pipe(
    Workflow.andThen(middle),
    Workflow.andThen(invoice),
    Workflow.andThen(v.afterInvoice ?? Workflow.pure((o: Order) => o)),
    Workflow.andThen(ship),
    Workflow.define({ name: v.name ?? "order", input: Input, ...(v.description ? { description: v.description } : {}) })
  )
}

const order = makeOrder()
const STREAM = "order-1"
const INPUT: Input = { sku: "A-1", qty: 2 }

/** The recorded history of instance 1: started, reserved, paid, (waiting), shipped — revisions 0…3. */
let history: ReadonlyArray<StoredEvent>

beforeAll(async () => {
  const store = memoryStore()
  await runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      const instance = yield* runtime.start(order, { id: "1", input: INPUT })
      expect(yield* instance.signal(Ship, { tracking: "T1" })).toBe("shipped T1")
    })
  )
  history = await readStream(store, STREAM)
})

// ---- helpers ----

const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected a successful replay, got ${String(result.failure)}`)
  return result.success
}
const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error("expected the replay to fail")
  return result.failure
}
/** The error's fields (own enumerable properties, `_tag` included): compared exactly. */
const fields = (error: unknown): Record<string, unknown> => ({ ...(error as object) })

/** A copy of the history with event `revision` changed. */
const patched = (revision: number, patch: Partial<StoredEvent>): Array<StoredEvent> =>
  history.map((e) => (e.revision === revision ? { ...e, ...patch } : e))
/** Events renumbered 0, 1, 2, … in the order given (what a store would hold if they had been appended so). */
const renumbered = (events: ReadonlyArray<StoredEvent>): Array<StoredEvent> =>
  events.map((e, revision) => ({ ...e, revision }))
const at = (revision: number): StoredEvent => history[revision]!
const stepMeta = (step: string, occurrence = 0) => ({ step, occurrence, at: NOW })

/** A fresh memory store whose stream STREAM holds `events` (appended, so revisions are renumbered from 0). */
const storeHolding = async (events: ReadonlyArray<StoredEvent>): Promise<EventStore["Service"]> => {
  const store = memoryStore()
  await Effect.runPromise(
    store.append(
      STREAM,
      NoStream,
      events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))
    )
  )
  return store
}

/** Load instance 1 of `definition` in a fresh runtime over a store holding `events`; return why it fails. */
const loadFailure = async (events: ReadonlyArray<StoredEvent>, definition = order): Promise<unknown> =>
  loadFailureFrom(await storeHolding(events), definition)
const loadFailureFrom = (store: EventStore["Service"], definition = order): Promise<unknown> =>
  runOn(
    store,
    Effect.gen(function* () {
      const runtime = yield* WorkflowRuntime
      return yield* Effect.flip(runtime.get(definition, "1"))
    })
  )

/** A read-only store that serves `events` as they are (revisions included) — to serve gaps. */
const fixedStore = (events: ReadonlyArray<StoredEvent>): EventStore["Service"] =>
  EventStore.of({
    ...memoryStore(),
    append: () => Effect.die("read-only store"),
    read: (stream, options) =>
      Stream.fromIterable(events.filter((e) => e.stream === stream && e.revision >= Number(options?.fromRevision ?? 0)))
  })

/** Replay `events` through `definition`, expect `expected`, and expect the runtime to fail loading the same way. */
const refused = async (
  events: ReadonlyArray<StoredEvent>,
  expected: ReplayError,
  definition = order
): Promise<void> => {
  const error = failure(replay(definition, STREAM, events, { timeline: true }))
  expect(error).toBeInstanceOf(expected.constructor)
  expect(fields(error)).toStrictEqual(fields(expected))
  const runtimeError = await loadFailure(events, definition)
  expect(runtimeError).toBeInstanceOf(expected.constructor)
  expect(fields(runtimeError)).toStrictEqual(fields(expected))
}

// ---- the recorded history ----

describe("the recorded history", () => {
  it("is one WorkflowStarted then one event per step, each with its step id and occurrence", () => {
    expect(history.map(({ id: _, created: __, ...e }) => e)).toStrictEqual([
      {
        stream: STREAM,
        revision: 0,
        position: 1n,
        type: "WorkflowStarted",
        data: { input: { sku: "A-1", qty: 2 } },
        metadata: {
          step: "start",
          workflow: "order",
          fingerprint: fingerprint(toModel(order)),
          at: NOW,
          status: "Running"
        }
      },
      {
        stream: STREAM,
        revision: 1,
        position: 2n,
        type: "Reserved",
        data: { _tag: "Reserved", sku: "A-1", qty: 2 },
        metadata: { ...stepMeta("reserve-stock"), status: "Running" }
      },
      {
        stream: STREAM,
        revision: 2,
        position: 3n,
        type: "Paid",
        data: { _tag: "Paid", amount: 20 },
        metadata: { ...stepMeta("take-payment"), status: "Waiting" }
      },
      {
        stream: STREAM,
        revision: 3,
        position: 4n,
        type: "Shipped",
        data: { _tag: "Shipped", tracking: "T1" },
        metadata: {
          ...stepMeta("ship"),
          signal: "Ship",
          sender: expect.stringMatching(/^nonce:/),
          reply: "shipped T1",
          status: "Completed"
        }
      }
    ])
  })
})

// ---- replaying untouched histories ----

describe("replay of a recorded history", () => {
  it("gives the state, status and a timeline entry per event", () => {
    const result = ok(replay(order, STREAM, history, { timeline: true }))
    const reserved = { sku: "A-1", qty: 2, reserved: 2 }
    const invoiced = { ...reserved, paid: 20, invoice: "INV-20" }
    expect(result.stream).toBe(STREAM)
    expect(result.workflow).toBe("order")
    expect(result.revision).toBe(3)
    expect(result.state).toStrictEqual({ ...invoiced, tracking: "T1" })
    expect(result.status).toStrictEqual({ _tag: "Completed" })
    expect(result.timeline).toStrictEqual([
      {
        revision: 0,
        step: "start",
        type: "WorkflowStarted",
        event: { sku: "A-1", qty: 2 },
        at: new Date(NOW),
        state: { sku: "A-1", qty: 2 },
        status: { _tag: "Running", step: "reserve-stock" }
      },
      {
        revision: 1,
        step: "reserve-stock",
        type: "Reserved",
        event: new Reserved({ sku: "A-1", qty: 2 }),
        at: new Date(NOW),
        state: reserved,
        status: { _tag: "Running", step: "take-payment" }
      },
      {
        revision: 2,
        step: "take-payment",
        type: "Paid",
        event: new Paid({ amount: 20 }),
        at: new Date(NOW),
        // the state after the event and the pure nodes it led to (Invoice)
        state: invoiced,
        status: { _tag: "Waiting", step: "ship", signals: ["Ship"] }
      },
      {
        revision: 3,
        step: "ship",
        type: "Shipped",
        event: new Shipped({ tracking: "T1" }),
        at: new Date(NOW),
        state: { ...invoiced, tracking: "T1" },
        status: { _tag: "Completed" }
      }
    ])
  })

  it("replays a prefix of the history: where the instance stood then", () => {
    const started = ok(replay(order, STREAM, history.slice(0, 1)))
    expect([started.revision, started.state, started.status]).toStrictEqual([
      0,
      { sku: "A-1", qty: 2 },
      { _tag: "Running", step: "reserve-stock" }
    ])
    const waiting = ok(replay(order, STREAM, history.slice(0, 3)))
    expect([waiting.revision, waiting.status]).toStrictEqual([2, { _tag: "Waiting", step: "ship", signals: ["Ship"] }])
  })

  it("keeps no timeline unless asked", () => {
    expect(ok(replay(order, STREAM, history)).timeline).toStrictEqual([])
    expect(ok(replay(order, STREAM, history, { timeline: false })).timeline).toStrictEqual([])
  })

  it("counts the visits of every node passed", () => {
    expect(Object.fromEntries(ok(replay(order, STREAM, history)).visits)).toStrictEqual({
      start: { done: 1, failed: 0 },
      "reserve-stock": { done: 1, failed: 0 },
      "take-payment": { done: 1, failed: 0 },
      invoice: { done: 1, failed: 0 },
      // anonymous pures are counted too, under their positional id (they are not in the model)
      "transition-1": { done: 1, failed: 0 },
      ship: { done: 1, failed: 0 }
    })
  })

  it("takes the timestamp from the metadata, else the store's time", () => {
    const created = Date.parse("2030-05-05T05:05:05.000Z")
    const events = patched(1, { metadata: { step: "reserve-stock", occurrence: 0 }, created })
    const result = ok(replay(order, STREAM, events, { timeline: true }))
    expect(result.timeline.map((e) => e.at.toISOString())).toEqual([NOW, "2030-05-05T05:05:05.000Z", NOW, NOW])
  })

  it("falls back to the store's time when the metadata's timestamp does not parse", async () => {
    // `recordedAt` only checks that `at` is a string: new Date("yesterday").toISOString() throws a RangeError,
    // which escapes `replay` (it throws instead of returning a Result) and kills `runtime.get` with a defect.
    const created = Date.parse("2030-05-05T05:05:05.000Z")
    const events = patched(1, { metadata: { ...stepMeta("reserve-stock"), at: "yesterday" }, created })
    const result = ok(replay(order, STREAM, events, { timeline: true }))
    expect(result.timeline.map((e) => e.at.toISOString())).toEqual([NOW, "2030-05-05T05:05:05.000Z", NOW, NOW])
    const store = await storeHolding(events)
    const status = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        return yield* (yield* runtime.get(order, "1")).status
      })
    )
    expect(status).toStrictEqual({ _tag: "Completed" })
  })

  it("accepts any iterable of events, read lazily", () => {
    function* lazy() {
      yield* history
    }
    expect(ok(replay(order, STREAM, lazy())).revision).toBe(3)
  })
})

describe("fingerprint", () => {
  it("records the fingerprint of the definition that started the instance, equal to the current one", () => {
    const result = ok(replay(order, STREAM, history))
    const current = fingerprint(toModel(order))
    expect(result.fingerprint).toStrictEqual({ recorded: current, current })
  })

  it("tells a changed definition that still fits the history from the one that recorded it", () => {
    // The payment step is renamed but keeps its id: old histories still replay, the fingerprint differs.
    const renamed = makeOrder({ payName: "Charge card", payId: "take-payment" })
    const result = ok(replay(renamed, STREAM, history))
    expect(result.status).toStrictEqual({ _tag: "Completed" })
    expect(result.fingerprint).toStrictEqual({
      recorded: fingerprint(toModel(order)),
      current: fingerprint(toModel(renamed))
    })
    expect(result.fingerprint.recorded).not.toBe(result.fingerprint.current)
  })

  it("records an empty fingerprint for a history whose first event has none", () => {
    const { fingerprint: _, ...metadata } = at(0).metadata as Record<string, string>
    const result = ok(replay(order, STREAM, patched(0, { metadata })))
    expect(result.fingerprint.recorded).toBe("")
  })
})

describe("visits", () => {
  class Rolled extends Schema.TaggedClass<Rolled>()("Rolled", { value: Schema.Number }) {}
  class TooHigh {
    readonly _tag = "TooHigh"
    constructor(readonly total: number) {}
  }
  type Dice = { readonly rolls: ReadonlyArray<number>; readonly even: number; readonly odd: number }
  const values = [2, 5, 4]
  const roll = Workflow.step({
    name: "Roll",
    event: Rolled,
    run: (_: Dice, ctx) => Effect.succeed(new Rolled({ value: values[ctx.occurrence] ?? 0 })),
    apply: (d, e): Dice => ({ ...d, rolls: [...d.rolls, e.value] })
  })
  const count = Workflow.branch({
    name: "Even?",
    arms: [
      Workflow.when(
        "even",
        (d: Dice) => (d.rolls.at(-1) ?? 0) % 2 === 0,
        Workflow.pure("Count even", (d: Dice) => ({ ...d, even: d.even + 1 }))
      )
    ],
    otherwise: Workflow.pure("Count odd", (d: Dice) => ({ ...d, odd: d.odd + 1 }))
  })
  const dice = Workflow.loop({
    name: "Three rolls",
    body: roll.pipe(Workflow.andThen(count)),
    exit: { name: "three", when: (d) => d.rolls.length === 3 }
  }).pipe(
    Workflow.andThen(
      Workflow.pure("Check total", (d: Dice) =>
        d.rolls.reduce((a, b) => a + b, 0) > 10 ? Workflow.fail(new TooHigh(11)) : d
      )
    ),
    Workflow.catch(Workflow.pure("Recover", (c: Caught<Dice, TooHigh>) => ({ ...c.state, total: c.error.total }))),
    Workflow.define({
      name: "dice",
      input: Schema.Struct({ rolls: Schema.Array(Schema.Number), even: Schema.Number, odd: Schema.Number })
    })
  )

  it("counts branch arms taken, loop rounds, and failures", async () => {
    const store = memoryStore()
    await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        yield* runtime.start(dice, { id: "1", input: { rolls: [], even: 0, odd: 0 } })
      })
    )
    const events = await readStream(store, "dice-1")
    expect(events.map((e) => (e.metadata as { occurrence?: number }).occurrence)).toEqual([undefined, 0, 1, 2])
    const result = ok(replay(dice, "dice-1", events))
    expect(result.state).toStrictEqual({ rolls: [2, 5, 4], even: 2, odd: 1, total: 11 })
    expect(Object.fromEntries(result.visits)).toStrictEqual({
      start: { done: 1, failed: 0 },
      roll: { done: 3, failed: 0 },
      even: { done: 3, failed: 0 },
      "even.even": { done: 2, failed: 0 },
      "count-even": { done: 2, failed: 0 },
      "even.otherwise": { done: 1, failed: 0 },
      "count-odd": { done: 1, failed: 0 },
      "three-rolls": { done: 1, failed: 0 },
      "check-total": { done: 0, failed: 1 },
      recover: { done: 1, failed: 0 }
    })
  })
})

// ---- tampered histories ----

describe("a tampered history", () => {
  it("an event of another step where a step is expected: NonDeterminismError", async () => {
    await refused(
      patched(1, { type: "Paid", data: { _tag: "Paid", amount: 20 }, metadata: stepMeta("take-payment") }),
      new NonDeterminismError({ stream: STREAM, revision: 1, expected: ["reserve-stock"], found: "take-payment" })
    )
  })

  it("two events swapped: NonDeterminismError at the first of them", async () => {
    await refused(
      renumbered([at(0), at(2), at(1), at(3)]),
      new NonDeterminismError({ stream: STREAM, revision: 1, expected: ["reserve-stock"], found: "take-payment" })
    )
  })

  it("an event of a step the definition does not have: NonDeterminismError", async () => {
    await refused(
      patched(3, { metadata: stepMeta("refund") }),
      new NonDeterminismError({ stream: STREAM, revision: 3, expected: ["ship"], found: "refund" })
    )
  })

  it("an event after the instance completed: NonDeterminismError expecting nothing", async () => {
    await refused(
      [...history, { ...at(3), revision: 4 }],
      new NonDeterminismError({ stream: STREAM, revision: 4, expected: [], found: "ship" })
    )
  })

  it("a second WorkflowStarted: NonDeterminismError finding `start`", async () => {
    await refused(
      renumbered([at(0), at(0), at(1)]),
      new NonDeterminismError({ stream: STREAM, revision: 1, expected: ["reserve-stock"], found: "start" })
    )
  })

  it("a payload that no longer decodes: EventDecodeError with the step", async () => {
    await refused(
      patched(2, { data: { _tag: "Paid", amount: "twenty" } }),
      new EventDecodeError({
        stream: STREAM,
        revision: 2,
        step: "take-payment",
        issue: 'Expected "Infinity" | "-Infinity" | "NaN"\n  at ["amount"]'
      })
    )
  })

  it("a changed type field over a payload that still decodes: EventDecodeError naming both types", async () => {
    await refused(
      patched(2, { type: "Bogus" }),
      new EventDecodeError({
        stream: STREAM,
        revision: 2,
        step: "take-payment",
        issue: 'the event\'s type is "Bogus", but its data is a "Paid"'
      })
    )
  })

  it("another event's payload under the right step: EventDecodeError (the type field is not trusted)", async () => {
    await refused(
      patched(2, { data: at(1).data }),
      new EventDecodeError({
        stream: STREAM,
        revision: 2,
        step: "take-payment",
        issue: 'Expected "Paid"\n  at ["_tag"]'
      })
    )
  })

  it("metadata without a step: EventDecodeError", async () => {
    const expected = new EventDecodeError({ stream: STREAM, revision: 2, step: "?", issue: "metadata has no step id" })
    await refused(patched(2, { metadata: { occurrence: 0, at: NOW } }), expected)
    await refused(patched(2, { metadata: null }), expected)
    await refused(patched(2, { metadata: { step: 2 } }), expected)
  })

  it("an input that no longer decodes: EventDecodeError at revision 0, step `start`", async () => {
    await refused(
      patched(0, { data: { input: { sku: "A-1" } } }),
      new EventDecodeError({
        stream: STREAM,
        revision: 0,
        step: "start",
        issue: 'input: Missing key\n  at ["qty"]'
      })
    )
  })

  it("a revision gap: HistoryError at the event after the gap", async () => {
    const events = [at(0), at(1), at(3)]
    const expected = new HistoryError({
      stream: STREAM,
      revision: 3,
      reason: "expected revision 2 (a gap or a reordering in the history)"
    })
    const error = failure(replay(order, STREAM, events))
    expect(fields(error)).toStrictEqual(fields(expected))
    // a store cannot hold a gap through `append`: serve it from a store that returns events as they are
    expect(fields(await loadFailureFrom(fixedStore(events)))).toStrictEqual(fields(expected))
  })

  it("a history that does not start at revision 0: HistoryError", async () => {
    const events = history.slice(1)
    const expected = new HistoryError({
      stream: STREAM,
      revision: 1,
      reason: "expected revision 0 (a gap or a reordering in the history)"
    })
    expect(fields(failure(replay(order, STREAM, events)))).toStrictEqual(fields(expected))
    expect(fields(await loadFailureFrom(fixedStore(events)))).toStrictEqual(fields(expected))
  })

  it("a first event that is not WorkflowStarted: HistoryError", async () => {
    await refused(
      renumbered(history.slice(1)),
      new HistoryError({
        stream: STREAM,
        revision: 0,
        reason: "the first event must be WorkflowStarted, found Reserved of step reserve-stock"
      })
    )
    await refused(
      patched(0, { metadata: { ...(at(0).metadata as object), step: "begin" } }),
      new HistoryError({
        stream: STREAM,
        revision: 0,
        reason: "the first event must be WorkflowStarted, found WorkflowStarted of step begin"
      })
    )
  })

  it("a history of another workflow: HistoryError", async () => {
    // replay takes any stream: give it a definition of another name
    const shipment = makeOrder({ name: "shipment" })
    expect(fields(failure(replay(shipment, STREAM, history)))).toStrictEqual(
      fields(
        new HistoryError({
          stream: STREAM,
          revision: 0,
          reason: 'the instance belongs to workflow "order", not "shipment"'
        })
      )
    )
    // the runtime reads `<name>-<id>`: it meets another workflow's history only if the first event says so
    await refused(
      patched(0, { metadata: { ...(at(0).metadata as object), workflow: "other" } }),
      new HistoryError({ stream: STREAM, revision: 0, reason: 'the instance belongs to workflow "other", not "order"' })
    )
  })

  it("an empty history: HistoryError from replay, InstanceNotFound from the runtime", async () => {
    expect(fields(failure(replay(order, STREAM, [])))).toStrictEqual(
      fields(new HistoryError({ stream: STREAM, revision: 0, reason: "the history is empty" }))
    )
    expect(fields(await loadFailureFrom(memoryStore()))).toStrictEqual({ _tag: "InstanceNotFound", stream: STREAM })
  })
})

// ---- a changed definition replaying an old history ----

describe("a changed definition", () => {
  it("a step renamed (so its id changed): NonDeterminismError at that step's first event", async () => {
    await refused(
      history,
      new NonDeterminismError({ stream: STREAM, revision: 2, expected: ["charge-card"], found: "take-payment" }),
      makeOrder({ payName: "Charge card" })
    )
  })

  it("a step inserted: NonDeterminismError where the old history skips it", async () => {
    await refused(
      history,
      new NonDeterminismError({ stream: STREAM, revision: 2, expected: ["check-fraud"], found: "take-payment" }),
      makeOrder({ fraudCheck: true })
    )
  })

  it("a step removed: NonDeterminismError at its event", async () => {
    await refused(
      history,
      new NonDeterminismError({ stream: STREAM, revision: 2, expected: ["ship"], found: "take-payment" }),
      makeOrder({ noPay: true })
    )
  })

  it("a history that stops before the change still replays", () => {
    const result = ok(replay(makeOrder({ fraudCheck: true }), STREAM, history.slice(0, 2)))
    expect(result.status).toStrictEqual({ _tag: "Running", step: "check-fraud" })
  })

  it("an `apply` that throws: HistoryError with the revision and the thrown error", async () => {
    const boom = new Error("boom")
    const throwing = makeOrder({
      payApply: () => {
        throw boom
      }
    })
    const expected = new HistoryError({
      stream: STREAM,
      revision: 2,
      reason: "the definition threw while applying the event of step take-payment: Error: boom",
      cause: boom
    })
    await refused(history, expected, throwing)
    const error = failure(replay(throwing, STREAM, history)) as HistoryError
    expect(error.cause).toBe(boom)
  })

  it("a pure part after a step that never ends: HistoryError with the NonTerminating cause", () => {
    const spinning = makeOrder({
      afterInvoice: Workflow.loop({
        body: Workflow.pure((o: Order) => o),
        exit: { name: "never", when: () => false }
      })
    })
    const error = failure(replay(spinning, STREAM, history)) as HistoryError
    expect(error).toBeInstanceOf(HistoryError)
    expect([error.stream, error.revision]).toStrictEqual([STREAM, 2])
    expect(error.cause).toBeInstanceOf(Machine.NonTerminating)
    expect(error.reason).toBe(
      "the definition threw while applying the event of step take-payment: NonTerminating: more than 1000000 transitions without reaching a step: does a loop without steps never meet its exit condition?"
    )
  })
})

// ---- the runtime ----

describe("the runtime", () => {
  it("refuses events another writer appended that do not fit, on the next call, with the same error", async () => {
    const store = memoryStore()
    const errors = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.start(order, { id: "1", input: INPUT })
        expect(yield* instance.status).toStrictEqual({ _tag: "Waiting", step: "ship", signals: ["Ship"] })
        yield* store.append(STREAM, 2, [
          {
            id: "00000000-0000-4000-8000-00000000beef",
            type: "Paid",
            data: at(2).data,
            metadata: stepMeta("take-payment", 1)
          }
        ])
        return [
          yield* Effect.flip(instance.status),
          yield* Effect.flip(instance.state),
          yield* Effect.flip(instance.signal(Ship, { tracking: "T2" }))
        ]
      })
    )
    const expected = fields(
      new NonDeterminismError({ stream: STREAM, revision: 3, expected: ["ship"], found: "take-payment" })
    )
    expect(errors.map(fields)).toStrictEqual([expected, expected, expected])
    expect((await readStream(store, STREAM)).map((e) => e.type)).toEqual([
      "WorkflowStarted",
      "Reserved",
      "Paid",
      "Paid"
    ])
  })

  it("loads an untouched history to the state replay gives", async () => {
    const store = await storeHolding(history)
    const loaded = await runOn(
      store,
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const instance = yield* runtime.get(order, "1")
        return { state: yield* instance.state, status: yield* instance.status, replay: yield* instance.replay }
      })
    )
    const replayed = ok(replay(order, STREAM, history, { timeline: true }))
    expect(loaded.state).toStrictEqual(replayed.state)
    expect(loaded.status).toStrictEqual(replayed.status)
    expect(loaded.replay.timeline).toStrictEqual(replayed.timeline)
    expect(Object.fromEntries(loaded.replay.visits)).toStrictEqual(Object.fromEntries(replayed.visits))
  })
})
