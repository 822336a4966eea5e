/**
 * The EventStore contract: the rules every backend (memory, SQLite, EventStoreDB, or a user's own) must honour,
 * as a test suite that runs under any test framework with `describe` and `it` (vitest, jest, mocha, node:test
 * through a two-line adapter). Assertions use `node:assert/strict`, whose `AssertionError` every framework reports.
 */
import * as assert from "node:assert/strict"
import { Cause, Clock, Effect, Exit, Fiber, type Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  type EventData,
  EventStore,
  type InstanceRecord,
  type Json,
  type Lease,
  type LogOptions,
  NoStream,
  type Position,
  type ReadOptions,
  type StoredEvent
} from "../interpreters/store/EventStore.js"
import { nameUuid } from "../interpreters/store/nameUuid.js"

/** The two functions of a test framework the suite needs. */
export interface TestFramework {
  readonly describe: (name: string, body: () => void) => void
  /** `timeout` in ms is passed as the third argument, as vitest, jest and mocha's `it` take it. */
  readonly it: (name: string, body: () => Promise<void>, timeout?: number) => void
}

export interface StoreContractOptions {
  /** Shown in the suite's name: `EventStore contract: <name>`. */
  readonly name: string
  /**
   * A layer giving a fresh, empty store. Called once per test; the layer is released (the store closed) when the
   * test ends. Leases must read the time from the `Clock` of the calling effect: the lease tests drive it with
   * `TestClock`.
   */
  readonly makeLayer: () => Layer.Layer<EventStore, unknown>
  /** Per-test timeout in ms. Default 30,000. */
  readonly timeoutMs?: number
}

/** Namespace of the suite's event ids, so they are UUIDs derived from readable names. */
const CONTRACT_NAMESPACE = "9a3f6d2e-1c4b-4e8a-b7d5-0f2e6c1a9b34"

/** The UUID the suite uses for an event it calls `name`. */
export const contractEventId = (name: string): string => nameUuid(CONTRACT_NAMESPACE, name)

const ev = (name: string, data: Json = { n: name }, metadata: Json = { step: "s" }, type = "Happened"): EventData => ({
  id: contractEventId(name),
  type,
  data,
  metadata
})

type Store = EventStore["Service"]

const read = (store: Store, stream: string, options?: ReadOptions) => Stream.runCollect(store.read(stream, options))
const readLog = (store: Store, options?: LogOptions & { readonly maxCount?: number }) =>
  Stream.runCollect(store.readAll(options))
const idsOf = (events: ReadonlyArray<StoredEvent>) => events.map((e) => e.id)
const idsFor = (...names: ReadonlyArray<string>) => names.map(contractEventId)
const revisionsOf = (events: ReadonlyArray<StoredEvent>) => events.map((e) => e.revision)
const range = (from: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => from + i * step)

/** The typed error of a failed effect. */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) assert.fail(`expected a failure, got ${String(exit.value)}`)
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) assert.fail(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return error.value
  })

/** Asserts that `actual` has at least these fields, each deep-equal. */
const assertFields = (actual: unknown, expected: Record<string, unknown>, message?: string) => {
  assert.ok(typeof actual === "object" && actual !== null, message ?? "expected an object")
  for (const [key, value] of Object.entries(expected)) {
    assert.deepStrictEqual((actual as Record<string, unknown>)[key], value, `${message ?? ""} field ${key}`)
  }
}

const assertStoreError = (error: unknown, operation: string, stream?: string) =>
  assertFields(error, { _tag: "StoreError", operation, ...(stream === undefined ? {} : { stream }) })

const assertConflict = (error: unknown, stream: string, expected: number, actual: number) =>
  assertFields(error, { _tag: "WrongExpectedRevision", stream, expected, actual })

const assertIncreasing = (positions: ReadonlyArray<Position>) => {
  for (let i = 1; i < positions.length; i++) {
    assert.ok(positions[i - 1]! < positions[i]!, `positions must increase: ${positions[i - 1]} then ${positions[i]}`)
  }
}

/**
 * Appends `count` events one at a time (each awaited, then yielding to other fibers), to the given streams in
 * turn, counting them in `progress.done`.
 */
const appendOneByOne = (store: Store, streams: ReadonlyArray<string>, count: number, progress: { done: number }) => {
  const revisions = new Map<string, number>()
  return Effect.forEach(
    range(0, count),
    (i) => {
      const stream = streams[i % streams.length]!
      const expected = revisions.get(stream) ?? NoStream
      return Effect.andThen(
        Effect.map(store.append(stream, expected, [ev(`race-${i}`, i)]), (r) => {
          revisions.set(stream, r.nextExpectedRevision)
          progress.done++
        }),
        Effect.yieldNow
      )
    },
    { discard: true }
  )
}

/** Waits (polling, without a deadline of its own: the test timeout bounds it) until `condition` holds. */
const waitUntil = (condition: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (condition() ? Effect.void : Effect.flatMap(Effect.sleep(1), () => waitUntil(condition))))

const row = (fields: InstanceRecord): InstanceRecord => fields

/**
 * Registers the contract suite for one backend.
 *
 * @example
 * ```ts
 * // test/myStore.test.ts (vitest; jest and mocha the same)
 * import { describe, it } from "vitest"
 * import { storeContract } from "durable-monad/testing"
 * import { MyStore } from "../src/MyStore.js"
 *
 * storeContract({ describe, it }, { name: "my store", makeLayer: () => MyStore.layer({ url: process.env.URL! }) })
 *
 * // node:test: its `it` takes the timeout in an options object
 * import { describe, it } from "node:test"
 * storeContract({ describe, it: (name, body, timeout) => it(name, { timeout }, body) }, { name, makeLayer })
 * ```
 */
export const storeContract = (framework: TestFramework, options: StoreContractOptions): void => {
  const { describe } = framework
  const timeout = options.timeoutMs ?? 30_000
  const it = (name: string, body: (store: Store) => Effect.Effect<void, unknown, EventStore>) =>
    framework.it(
      name,
      () =>
        Effect.runPromise(
          Effect.scoped(
            Effect.provide(Effect.flatMap(EventStore, body), options.makeLayer()) as Effect.Effect<void, unknown>
          )
        ),
      timeout
    )
  /** The body runs with a TestClock starting at 0 (the store itself was built with the real one). */
  const itWithTestClock = (name: string, body: (store: Store) => Effect.Effect<void, unknown, EventStore>) =>
    it(name, (store) => Effect.provide(body(store), TestClock.layer()))

  describe(`EventStore contract: ${options.name}`, () => {
    describe("append and read", () => {
      it("round-trips events: UUID ids, types, data, metadata, stream, revisions and positions", (store) =>
        Effect.gen(function* () {
          const before = Date.now()
          const r1 = yield* store.append("order-1", NoStream, [ev("a"), ev("b", { nested: [1, 2.5, null, true] })])
          const r2 = yield* store.append("order-1", 1, [ev("c", "just a string", { step: "t", at: 3 }, "Other")])
          const events = yield* read(store, "order-1")
          assert.deepStrictEqual(
            events.map(({ created: _, position: __, ...rest }) => rest),
            [
              { id: contractEventId("a"), type: "Happened", data: { n: "a" }, metadata: { step: "s" } },
              {
                id: contractEventId("b"),
                type: "Happened",
                data: { nested: [1, 2.5, null, true] },
                metadata: { step: "s" }
              },
              { id: contractEventId("c"), type: "Other", data: "just a string", metadata: { step: "t", at: 3 } }
            ].map((e, revision) => ({ ...e, stream: "order-1", revision }))
          )
          assert.deepStrictEqual(r1, { nextExpectedRevision: 1, position: events[1]!.position })
          assert.deepStrictEqual(r2, { nextExpectedRevision: 2, position: events[2]!.position })
          assertIncreasing(events.map((e) => e.position))
          for (const e of events) {
            assert.equal(typeof e.position, "bigint")
            assert.ok(e.created >= before - 5000 && e.created <= Date.now() + 5000, `created ${e.created}`)
          }
        }))

      it("a stream that does not exist reads as empty, in both directions and from any revision", (store) =>
        Effect.gen(function* () {
          for (const options of [
            undefined,
            { fromRevision: 5 },
            { fromRevision: "end" as const },
            { direction: "backwards" as const },
            { direction: "backwards" as const, fromRevision: 3 }
          ]) {
            assert.deepStrictEqual(yield* read(store, "nothing-here", options), [], JSON.stringify(options))
          }
        }))

      it("streams are independent: revisions count per stream", (store) =>
        Effect.gen(function* () {
          yield* store.append("a-1", NoStream, [ev("x1")])
          yield* store.append("a-2", NoStream, [ev("y1"), ev("y2")])
          yield* store.append("a-1", 0, [ev("x2")])
          const a1 = yield* read(store, "a-1")
          const a2 = yield* read(store, "a-2")
          assert.deepStrictEqual([idsOf(a1), revisionsOf(a1)], [idsFor("x1", "x2"), [0, 1]])
          assert.deepStrictEqual([idsOf(a2), revisionsOf(a2)], [idsFor("y1", "y2"), [0, 1]])
        }))

      it("an append needs the exact revision: NoStream for a new stream, the last revision otherwise", (store) =>
        Effect.gen(function* () {
          assertConflict(yield* failure(store.append("s-1", 0, [ev("a")])), "s-1", 0, -1)
          assert.deepStrictEqual(yield* read(store, "s-1"), [])
          yield* store.append("s-1", NoStream, [ev("a"), ev("b")])
          assertConflict(yield* failure(store.append("s-1", NoStream, [ev("c")])), "s-1", -1, 1)
          assertConflict(yield* failure(store.append("s-1", 0, [ev("c")])), "s-1", 0, 1)
          // past the end: out of range is a conflict, not a gap
          assertConflict(yield* failure(store.append("s-1", 7, [ev("c")])), "s-1", 7, 1)
          assert.deepStrictEqual(idsOf(yield* read(store, "s-1")), idsFor("a", "b"))
          // the same for a stream that is no workflow's (no registry row)
          yield* store.append("plain", NoStream, [ev("p1")])
          assertConflict(yield* failure(store.append("plain", NoStream, [ev("p2")])), "plain", -1, 0)
          assert.equal((yield* store.append("plain", 0, [ev("p2")])).nextExpectedRevision, 1)
          assertConflict(yield* failure(store.append("plain", 0, [ev("p3")])), "plain", 0, 1)
        }))

      it("an invalid append (revision, empty, ids, shape) is a StoreError and writes nothing", (store) =>
        Effect.gen(function* () {
          yield* store.append("bad-1", NoStream, [ev("seed")])
          const logBefore = yield* readLog(store)
          const attempts: ReadonlyArray<readonly [number, ReadonlyArray<unknown>]> = [
            [-2, [ev("x")]],
            [0.5, [ev("x")]],
            [Number.NaN, [ev("x")]],
            [Number.POSITIVE_INFINITY, [ev("x")]],
            ["0" as never, [ev("x")]],
            [0, []],
            [0, [{ ...ev("x"), id: "not-a-uuid" }]],
            [0, [{ ...ev("x"), id: contractEventId("x").toUpperCase() }]],
            [0, [ev("x"), { ...ev("y"), id: 42 }]],
            [0, [{ ...ev("x"), type: "" }]],
            [0, [null]],
            [0, "not an array" as never]
          ]
          for (const [expected, events] of attempts) {
            const error = yield* failure(store.append("bad-1", expected, events as ReadonlyArray<EventData>))
            assertStoreError(error, "append", "bad-1")
          }
          assertStoreError(yield* failure(store.append("", NoStream, [ev("x")])), "append")
          assert.deepStrictEqual(yield* readLog(store), logBefore)
          // and the store keeps working
          assert.equal((yield* store.append("bad-1", 0, [ev("next")])).nextExpectedRevision, 1)
        }))

      it("a multi-event append is atomic: a conflicting batch writes none of its events", (store) =>
        Effect.gen(function* () {
          yield* store.append("atom-1", NoStream, [ev("a")])
          const batch = range(0, 50).map((i) => ev(`batch-${i}`))
          assertConflict(yield* failure(store.append("atom-1", NoStream, batch)), "atom-1", -1, 0)
          assert.deepStrictEqual(idsOf(yield* read(store, "atom-1")), idsFor("a"))
          assert.equal((yield* store.append("atom-1", 0, batch)).nextExpectedRevision, 50)
          const events = yield* read(store, "atom-1")
          assert.deepStrictEqual(revisionsOf(events), range(0, 51))
          assert.deepStrictEqual(idsOf(events.slice(1)), idsOf(batch as Array<StoredEvent>))
        }))

      it("concurrent appends at the same expected revision: exactly one wins, the others conflict", (store) =>
        Effect.gen(function* () {
          yield* store.append("race-1", NoStream, [ev("seed")])
          const exits = yield* Effect.forEach(
            range(0, 8),
            (i) => Effect.exit(store.append("race-1", 0, [ev(`w${i}-1`), ev(`w${i}-2`)])),
            { concurrency: "unbounded" }
          )
          const winners = range(0, 8).filter((i) => Exit.isSuccess(exits[i]!))
          assert.equal(winners.length, 1)
          for (const exit of exits) {
            if (Exit.isFailure(exit))
              assertConflict(Option.getOrThrow(Cause.findErrorOption(exit.cause)), "race-1", 0, 2)
          }
          const w = winners[0]!
          assert.deepStrictEqual(idsOf(yield* read(store, "race-1")), idsFor("seed", `w${w}-1`, `w${w}-2`))
        }))

      it("a retried append (same ids at the same revisions) succeeds with the first result and writes nothing", (store) =>
        Effect.gen(function* () {
          const first = yield* store.append("idem-1", NoStream, [ev("a"), ev("b")])
          const second = yield* store.append("idem-1", 1, [ev("c")])
          const logBefore = yield* readLog(store)
          assert.deepStrictEqual(yield* store.append("idem-1", NoStream, [ev("a"), ev("b")]), first)
          assert.deepStrictEqual(yield* store.append("idem-1", 1, [ev("c")]), second)
          assert.deepStrictEqual(yield* readLog(store), logBefore)
          // other ids at those revisions are a real conflict, and so is a batch that only partly overlaps
          assertConflict(yield* failure(store.append("idem-1", 1, [ev("z")])), "idem-1", 1, 2)
          assertConflict(yield* failure(store.append("idem-1", 1, [ev("c"), ev("d")])), "idem-1", 1, 2)
          assert.deepStrictEqual(idsOf(yield* read(store, "idem-1")), idsFor("a", "b", "c"))
        }))

      it("reads forwards are ordered and honour fromRevision, maxCount and 'end', across pages", (store) =>
        Effect.gen(function* () {
          const total = 3000
          let revision = NoStream
          for (let i = 0; i < total; i += 500) {
            const batch = range(i, 500).map((n) => ev(`e${n}`, n))
            revision = (yield* store.append("long-1", revision, batch)).nextExpectedRevision
          }
          assert.equal(revision, total - 1)
          const all = yield* read(store, "long-1")
          assert.equal(all.length, total)
          assert.ok(all.every((e, i) => e.revision === i && e.data === i && e.id === contractEventId(`e${i}`)))
          assertIncreasing(all.map((e) => e.position))
          assert.deepStrictEqual(revisionsOf(yield* read(store, "long-1", { fromRevision: 2995 })), range(2995, 5))
          assert.deepStrictEqual(
            revisionsOf(yield* read(store, "long-1", { fromRevision: 1020, maxCount: 10 })),
            range(1020, 10)
          )
          assert.deepStrictEqual(
            revisionsOf(yield* read(store, "long-1", { fromRevision: 500, maxCount: 2100 })),
            range(500, 2100)
          )
          assert.deepStrictEqual(revisionsOf(yield* read(store, "long-1", { fromRevision: "end" })), [total - 1])
          assert.deepStrictEqual(yield* read(store, "long-1", { fromRevision: total }), [])
          assert.deepStrictEqual(yield* read(store, "long-1", { maxCount: 0 }), [])
        }))

      it("reads backwards from the end or a revision, with maxCount, across pages", (store) =>
        Effect.gen(function* () {
          const total = 2500
          yield* store.append(
            "back-1",
            NoStream,
            range(0, total).map((n) => ev(`b${n}`, n))
          )
          const backwards = { direction: "backwards" } as const
          const all = yield* read(store, "back-1", backwards)
          assert.deepStrictEqual(revisionsOf(all), range(total - 1, total, -1))
          assert.ok(all.every((e) => e.data === e.revision && e.id === contractEventId(`b${e.revision}`)))
          assert.deepStrictEqual(
            revisionsOf(yield* read(store, "back-1", { ...backwards, fromRevision: "end", maxCount: 3 })),
            [2499, 2498, 2497]
          )
          assert.deepStrictEqual(
            revisionsOf(yield* read(store, "back-1", { ...backwards, fromRevision: 1500, maxCount: 1200 })),
            range(1500, 1200, -1)
          )
          assert.deepStrictEqual(revisionsOf(yield* read(store, "back-1", { ...backwards, fromRevision: 0 })), [0])
          // past the end: from the last event
          assert.deepStrictEqual(
            revisionsOf(yield* read(store, "back-1", { ...backwards, fromRevision: 99_999, maxCount: 2 })),
            [2499, 2498]
          )
          assert.deepStrictEqual(yield* read(store, "back-1", { ...backwards, maxCount: 0 }), [])
          // the same events as forwards, positions included
          assert.deepStrictEqual([...all].reverse(), yield* read(store, "back-1"))
        }))

      it("invalid read options are a StoreError", (store) =>
        Effect.gen(function* () {
          yield* store.append("opt-1", NoStream, [ev("a")])
          for (const options of [
            { fromRevision: -1 },
            { fromRevision: 1.5 },
            { fromRevision: Number.NaN },
            { fromRevision: "start" },
            { maxCount: -1 },
            { maxCount: 2.5 },
            { direction: "sideways" },
            { direction: "backwards", fromRevision: -1 }
          ]) {
            assertStoreError(yield* failure(read(store, "opt-1", options as ReadOptions)), "read", "opt-1")
          }
        }))

      it("large and unusual payloads round-trip exactly", (store) =>
        Effect.gen(function* () {
          const big = "x".repeat(700 * 1024)
          const unicode = 'Zürich — 東京 — emoji 🚀 — quote " backslash \\ newline \n nul-free'
          const deep: Json = { a: { b: { c: { d: [[[{ e: "deep" }]]] } } } }
          const scalars: Json = [0, -1, 1.5e300, -2.25, false, null, ""]
          yield* store.append("big-1", NoStream, [
            ev("big", { big }),
            ev("unicode", unicode, { note: unicode }, "Unicode"),
            ev("deep", deep),
            ev("scalars", scalars, {}, "Scalars")
          ])
          const events = yield* read(store, "big-1")
          assert.deepStrictEqual(
            events.map((e) => [e.type, e.data, e.metadata]),
            [
              ["Happened", { big }, { step: "s" }],
              ["Unicode", unicode, { note: unicode }],
              ["Happened", deep, { step: "s" }],
              ["Scalars", scalars, {}]
            ]
          )
        }))

      it("stored events do not change when the appended objects are mutated afterwards", (store) =>
        Effect.gen(function* () {
          const data = { list: [1, 2] }
          const metadata = { status: "Running" }
          yield* store.append("mut-1", NoStream, [{ id: contractEventId("m"), type: "T", data, metadata }])
          data.list.push(3)
          metadata.status = "Changed"
          const [event] = yield* read(store, "mut-1")
          assert.deepStrictEqual([event!.data, event!.metadata], [{ list: [1, 2] }, { status: "Running" }])
          assert.equal(Option.getOrThrow(yield* store.instance("mut-1")).status, "Running")
        }))
    })

    describe("the log: positions, readAll, subscribe", () => {
      it("positions follow commit order across streams; each append's result is its last event's position", (store) =>
        Effect.gen(function* () {
          const results = [
            yield* store.append("order-1", NoStream, [ev("o1")]),
            yield* store.append("pay-1", NoStream, [ev("p1"), ev("p2")]),
            yield* store.append("order-1", 0, [ev("o2")]),
            yield* store.append("ship-1", NoStream, [ev("s1")])
          ]
          const log = yield* readLog(store)
          assert.deepStrictEqual(idsOf(log), idsFor("o1", "p1", "p2", "o2", "s1"))
          assert.deepStrictEqual(
            log.map((e) => [e.stream, e.revision]),
            [
              ["order-1", 0],
              ["pay-1", 0],
              ["pay-1", 1],
              ["order-1", 1],
              ["ship-1", 0]
            ]
          )
          assertIncreasing(log.map((e) => e.position))
          assert.deepStrictEqual(
            results.map((r) => r.position),
            [log[0]!.position, log[2]!.position, log[3]!.position, log[4]!.position]
          )
          // the same events, positions included, as the stream reads give
          assert.deepStrictEqual(yield* read(store, "order-1"), [log[0], log[3]])
        }))

      it("readAll starts after fromPosition, filters by stream prefix and stops at maxCount", (store) =>
        Effect.gen(function* () {
          yield* store.append("order-1", NoStream, [ev("o1"), ev("o2")])
          yield* store.append("pay-1", NoStream, [ev("p1")])
          yield* store.append("orderx-1", NoStream, [ev("x1")])
          yield* store.append("order-2", NoStream, [ev("o3")])
          const log = yield* readLog(store)
          assert.deepStrictEqual(
            idsOf(yield* readLog(store, { fromPosition: log[1]!.position })),
            idsFor("p1", "x1", "o3")
          )
          assert.deepStrictEqual(yield* readLog(store, { fromPosition: log[4]!.position }), [])
          assert.deepStrictEqual(idsOf(yield* readLog(store, { fromPosition: 0n })), idsOf(log))
          const filter = (...streamPrefixes: Array<string>) => ({ filter: { streamPrefixes } })
          assert.deepStrictEqual(idsOf(yield* readLog(store, filter("order-"))), idsFor("o1", "o2", "o3"))
          assert.deepStrictEqual(idsOf(yield* readLog(store, filter("order"))), idsFor("o1", "o2", "x1", "o3"))
          assert.deepStrictEqual(idsOf(yield* readLog(store, filter("pay-", "orderx-"))), idsFor("p1", "x1"))
          assert.deepStrictEqual(yield* readLog(store, filter()), [])
          assert.deepStrictEqual(yield* readLog(store, filter("none-")), [])
          assert.deepStrictEqual(idsOf(yield* readLog(store, { maxCount: 2 })), idsFor("o1", "o2"))
          assert.deepStrictEqual(yield* readLog(store, { maxCount: 0 }), [])
          assert.deepStrictEqual(
            idsOf(yield* readLog(store, { ...filter("order-"), fromPosition: log[0]!.position, maxCount: 1 })),
            idsFor("o2")
          )
        }))

      it("readAll pages through a long log in order, with a filter and maxCount", (store) =>
        Effect.gen(function* () {
          for (let i = 0; i < 3; i++) {
            yield* store.append(
              `big-${i}`,
              NoStream,
              range(0, 1200).map((n) => ev(`big-${i}-${n}`, n))
            )
            yield* store.append(`other-${i}`, NoStream, [ev(`other-${i}`)])
          }
          const log = yield* readLog(store)
          assert.equal(log.length, 3603)
          assertIncreasing(log.map((e) => e.position))
          const filtered = yield* readLog(store, { filter: { streamPrefixes: ["big-"] }, maxCount: 2500 })
          assert.deepStrictEqual(
            idsOf(filtered),
            range(0, 2500).map((k) => contractEventId(`big-${Math.floor(k / 1200)}-${k % 1200}`))
          )
        }))

      it("invalid log options are a StoreError", (store) =>
        Effect.gen(function* () {
          for (const options of [
            { fromPosition: -1n },
            { fromPosition: 1 },
            { maxCount: -1 },
            { filter: { streamPrefixes: "order-" } },
            { filter: { streamPrefixes: [1] } }
          ]) {
            assertStoreError(yield* failure(readLog(store, options as never)), "read")
          }
          for (const options of [{ fromPosition: -1n }, { filter: { streamPrefixes: "order-" } }]) {
            assertStoreError(
              yield* failure(Stream.runCollect(Stream.take(store.subscribe(options as never), 1))),
              "subscribe"
            )
          }
        }))

      it("subscribe catches up, then delivers later appends as they commit", (store) =>
        Effect.gen(function* () {
          yield* store.append("sub-1", NoStream, [ev("a"), ev("b")])
          yield* store.append("sub-2", NoStream, [ev("c")])
          const seen: Array<StoredEvent> = []
          const subscriber = yield* Effect.forkChild(
            Stream.runCollect(
              Stream.take(
                Stream.tap(store.subscribe(), (e) => Effect.sync(() => seen.push(e))),
                5
              )
            )
          )
          yield* waitUntil(() => seen.length === 3)
          yield* store.append("sub-1", 1, [ev("d")])
          yield* store.append("sub-3", NoStream, [ev("e")])
          const events = yield* Fiber.join(subscriber)
          assert.deepStrictEqual(events, yield* readLog(store))
          assert.deepStrictEqual(idsOf(events), idsFor("a", "b", "c", "d", "e"))
        }))

      it("subscribe from a position with a filter: only later, matching events", (store) =>
        Effect.gen(function* () {
          yield* store.append("order-1", NoStream, [ev("o1")])
          const { position } = yield* store.append("pay-1", NoStream, [ev("p1")])
          yield* store.append("order-2", NoStream, [ev("o2")])
          const subscriber = yield* Effect.forkChild(
            Stream.runCollect(
              Stream.take(store.subscribe({ fromPosition: position, filter: { streamPrefixes: ["order-"] } }), 3)
            )
          )
          yield* store.append("pay-1", 0, [ev("p2")])
          yield* store.append("order-1", 0, [ev("o3")])
          yield* store.append("ship-1", NoStream, [ev("s1")])
          yield* store.append("order-3", NoStream, [ev("o4")])
          assert.deepStrictEqual(idsOf(yield* Fiber.join(subscriber)), idsFor("o2", "o3", "o4"))
        }))

      it("appends racing the hand-over from catch-up to live: no gap, no duplicate, in position order", (store) =>
        Effect.gen(function* () {
          const streams = ["race-a", "race-b", "race-c"]
          const total = 400
          const progress = { done: 0 }
          const writer = yield* Effect.forkChild(appendOneByOne(store, streams, total, progress))
          // The subscriptions start while the writer is busy, so some events are caught up and the rest live.
          yield* waitUntil(() => progress.done >= 20)
          const early = yield* Effect.forkChild(Stream.runCollect(Stream.take(store.subscribe(), total)))
          const filtered = yield* Effect.forkChild(
            Stream.runCollect(Stream.take(store.subscribe({ filter: { streamPrefixes: ["race-b"] } }), total / 4))
          )
          yield* waitUntil(() => progress.done >= 200)
          const late = yield* Effect.forkChild(Stream.runCollect(Stream.take(store.subscribe(), total)))
          yield* Fiber.join(writer)
          const log = yield* readLog(store)
          assert.equal(log.length, total)
          assert.deepStrictEqual(yield* Fiber.join(early), log)
          assert.deepStrictEqual(yield* Fiber.join(late), log)
          const raceB = log.filter((e) => e.stream === "race-b")
          assert.deepStrictEqual(yield* Fiber.join(filtered), raceB.slice(0, total / 4))
        }))
    })

    describe("the registry", () => {
      it("an instance's row comes from its events' metadata and is current as soon as an append returns", (store) =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* store.instance("order-1"), Option.none())
          const first = yield* store.append("order-1", NoStream, [
            ev("o1", {}, { step: "start", status: "Running", wakeAt: null }),
            ev("o2", {}, { step: "wait", status: "Waiting", wakeAt: 5000 })
          ])
          const [e1, e2] = yield* read(store, "order-1")
          const expected = row({
            stream: "order-1",
            workflow: "order",
            instanceId: "1",
            status: "Waiting",
            revision: 1,
            position: first.position,
            created: e1!.created,
            updated: e2!.created,
            wakeAt: 5000
          })
          assert.deepStrictEqual(yield* store.instance("order-1"), Option.some(expected))
          const second = yield* store.append("order-1", 1, [ev("o3", {}, { step: "end", status: "Completed" })])
          const e3 = (yield* read(store, "order-1", { fromRevision: 2 }))[0]!
          assert.deepStrictEqual(
            yield* store.instance("order-1"),
            Option.some({
              ...expected,
              status: "Completed",
              revision: 2,
              position: second.position,
              updated: e3.created,
              wakeAt: undefined
            })
          )
          // a retried append changes nothing
          yield* store.append("order-1", 1, [ev("o3", {}, { step: "end", status: "Completed" })])
          assert.equal(Option.getOrThrow(yield* store.instance("order-1")).revision, 2)
        }))

      it("the instance id is everything after the first dash; missing status reads as Unknown; streams without a workflow have no row", (store) =>
        Effect.gen(function* () {
          yield* store.append("pull-request-42-b", NoStream, [ev("a", {}, { step: "s" })])
          yield* store.append("order-7", NoStream, [ev("b", {}, null)])
          yield* store.append("order-8", NoStream, [ev("c", {}, { status: "", wakeAt: "soon" })])
          for (const stream of ["nodash", "-leading", "trailing-"]) {
            yield* store.append(stream, NoStream, [ev(`x-${stream}`, {}, { status: "Running" })])
            assert.deepStrictEqual(yield* store.instance(stream), Option.none(), stream)
          }
          const pick = (r: Option.Option<InstanceRecord>) => {
            const { stream, workflow, instanceId, status, wakeAt } = Option.getOrThrow(r)
            return { stream, workflow, instanceId, status, wakeAt }
          }
          assert.deepStrictEqual(pick(yield* store.instance("pull-request-42-b")), {
            stream: "pull-request-42-b",
            workflow: "pull",
            instanceId: "request-42-b",
            status: "Unknown",
            wakeAt: undefined
          })
          assert.deepStrictEqual(pick(yield* store.instance("order-7")), {
            stream: "order-7",
            workflow: "order",
            instanceId: "7",
            status: "Unknown",
            wakeAt: undefined
          })
          assert.equal(pick(yield* store.instance("order-8")).status, "Unknown")
          assert.equal(pick(yield* store.instance("order-8")).wakeAt, undefined)
          assert.deepStrictEqual(
            (yield* Stream.runCollect(store.instances())).map((r) => r.stream),
            ["order-7", "order-8", "pull-request-42-b"]
          )
        }))

      it("instances: in stream order, by workflow, status, afterStream and limit", (store) =>
        Effect.gen(function* () {
          const statuses: Record<string, string> = {
            "pr-2": "Running",
            "pr-10": "Completed",
            "pr-1": "Waiting",
            "order-1": "Running",
            "prx-1": "Running",
            "pr-3": "Failed"
          }
          for (const [stream, status] of Object.entries(statuses)) {
            yield* store.append(stream, NoStream, [ev(stream, {}, { status })])
          }
          const list = (query?: Parameters<Store["instances"]>[0]) =>
            Effect.map(Stream.runCollect(store.instances(query)), (rows) => rows.map((r) => r.stream))
          assert.deepStrictEqual(yield* list(), ["order-1", "pr-1", "pr-10", "pr-2", "pr-3", "prx-1"])
          assert.deepStrictEqual(yield* list({ workflow: "pr" }), ["pr-1", "pr-10", "pr-2", "pr-3"])
          assert.deepStrictEqual(yield* list({ workflow: "p" }), [])
          assert.deepStrictEqual(yield* list({ status: ["Running"] }), ["order-1", "pr-2", "prx-1"])
          assert.deepStrictEqual(yield* list({ workflow: "pr", status: ["Running", "Failed"] }), ["pr-2", "pr-3"])
          assert.deepStrictEqual(yield* list({ status: [] }), [])
          assert.deepStrictEqual(yield* list({ workflow: "pr", afterStream: "pr-10" }), ["pr-2", "pr-3"])
          assert.deepStrictEqual(yield* list({ afterStream: "pr-3" }), ["prx-1"])
          assert.deepStrictEqual(yield* list({ limit: 2 }), ["order-1", "pr-1"])
          assert.deepStrictEqual(yield* list({ limit: 0 }), [])
          assert.deepStrictEqual(
            yield* list({ workflow: "pr", status: ["Running", "Waiting", "Failed"], afterStream: "pr-1", limit: 1 }),
            ["pr-2"]
          )
          // keyset paging visits every row once
          const paged: Array<string> = []
          let after: string | undefined
          for (;;) {
            const page = yield* list({ limit: 4, ...(after === undefined ? {} : { afterStream: after }) })
            if (page.length === 0) break
            paged.push(...page)
            after = page.at(-1)
          }
          assert.deepStrictEqual(paged, yield* list())
          for (const query of [{ limit: -1 }, { limit: 1.5 }, { status: "Running" }, { workflow: 3 }]) {
            assertStoreError(yield* failure(list(query as never)), "registry")
          }
        }))

      it("a registry row reflects a status change of an existing instance under a status filter", (store) =>
        Effect.gen(function* () {
          yield* store.append("job-1", NoStream, [ev("j1", {}, { status: "Running" })])
          yield* store.append("job-2", NoStream, [ev("j2", {}, { status: "Running" })])
          yield* store.append("job-1", 0, [ev("j3", {}, { status: "Completed" })])
          const list = (status: string) =>
            Effect.map(Stream.runCollect(store.instances({ status: [status] })), (rows) => rows.map((r) => r.stream))
          assert.deepStrictEqual(yield* list("Running"), ["job-2"])
          assert.deepStrictEqual(yield* list("Completed"), ["job-1"])
        }))

      it("wakeUps: earliest first (ties by stream), until inclusive, by workflow, with limit", (store) =>
        Effect.gen(function* () {
          const wake = (stream: string, wakeAt: number | null, expected = NoStream, name = stream) =>
            store.append(stream, expected, [ev(name, {}, { status: "Waiting", wakeAt })])
          yield* wake("order-1", 3000)
          yield* wake("order-2", 1000)
          yield* wake("pay-1", 2000)
          yield* wake("pay-2", 1000)
          yield* wake("ship-1", null)
          yield* wake("order-3", 500)
          // the latest event decides: order-3 no longer waits, order-1 moved earlier
          yield* wake("order-3", null, 0, "order-3-done")
          yield* wake("order-1", 1500, 0, "order-1-moved")
          const due = (query?: Parameters<Store["wakeUps"]>[0]) =>
            Effect.map(Stream.runCollect(store.wakeUps(query)), (rows) => rows.map((r) => [r.stream, r.wakeAt]))
          assert.deepStrictEqual(yield* due(), [
            ["order-2", 1000],
            ["pay-2", 1000],
            ["order-1", 1500],
            ["pay-1", 2000]
          ])
          assert.deepStrictEqual(yield* due({ until: 1500 }), [
            ["order-2", 1000],
            ["pay-2", 1000],
            ["order-1", 1500]
          ])
          assert.deepStrictEqual(yield* due({ until: 999 }), [])
          assert.deepStrictEqual(yield* due({ workflows: ["pay"] }), [
            ["pay-2", 1000],
            ["pay-1", 2000]
          ])
          assert.deepStrictEqual(yield* due({ workflows: ["order", "ship"], until: 1200 }), [["order-2", 1000]])
          assert.deepStrictEqual(yield* due({ workflows: [] }), [])
          assert.deepStrictEqual(yield* due({ limit: 1 }), [["order-2", 1000]])
          for (const query of [{ until: Number.NaN }, { limit: -1 }, { workflows: "pay" }]) {
            assertStoreError(yield* failure(due(query as never)), "registry")
          }
        }))
    })

    describe("leases", () => {
      const now = Clock.currentTimeMillis

      itWithTestClock("a lease is exclusive until it expires (by the Clock), then another owner may take it", (store) =>
        Effect.gen(function* () {
          const t0 = yield* now
          const a = Option.getOrThrow(yield* store.acquireLease("order-1", "worker-a", 1000))
          // Version 1: no process ever held this key (the worker then knows nobody ran a step of the instance).
          assertFields(a, { key: "order-1", owner: "worker-a", expiresAt: t0 + 1000, version: 1 })
          assert.deepStrictEqual(yield* store.acquireLease("order-1", "worker-b", 1000), Option.none())
          // other keys are independent
          assert.ok(Option.isSome(yield* store.acquireLease("order-2", "worker-b", 1000)))
          yield* TestClock.adjust(999)
          assert.deepStrictEqual(yield* store.acquireLease("order-1", "worker-b", 1000), Option.none())
          yield* TestClock.adjust(1)
          const b = Option.getOrThrow(yield* store.acquireLease("order-1", "worker-b", 500))
          assertFields(b, { key: "order-1", owner: "worker-b", expiresAt: t0 + 1500 })
          assert.ok(b.version > a.version, "a new owner's version is higher (fencing)")
          // the old owner lost it: renewing fails, and so does acquiring it back
          assert.deepStrictEqual(yield* store.renewLease(a, 1000), Option.none())
          assert.deepStrictEqual(yield* store.acquireLease("order-1", "worker-a", 1000), Option.none())
        })
      )

      itWithTestClock("renewal extends a held lease and raises its version; a stale lease cannot renew", (store) =>
        Effect.gen(function* () {
          const a1 = Option.getOrThrow(yield* store.acquireLease("job-1", "worker-a", 1000))
          yield* TestClock.adjust(600)
          const a2 = Option.getOrThrow(yield* store.renewLease(a1, 1000))
          assert.deepStrictEqual(a2, {
            key: "job-1",
            owner: "worker-a",
            expiresAt: (yield* now) + 1000,
            version: a2.version
          })
          assert.ok(a2.version > a1.version)
          assert.deepStrictEqual(yield* store.renewLease(a1, 1000), Option.none())
          // acquiring again as the holder renews too
          yield* TestClock.adjust(600)
          const a3 = Option.getOrThrow(yield* store.acquireLease("job-1", "worker-a", 2000))
          assertFields(a3, { owner: "worker-a", expiresAt: (yield* now) + 2000 })
          assert.ok(a3.version > a2.version)
          // still held past the first expiry thanks to the renewals
          assert.deepStrictEqual(yield* store.acquireLease("job-1", "worker-b", 1000), Option.none())
          // expired but taken by nobody since: still the holder's to renew
          yield* TestClock.adjust(5000)
          const a4 = Option.getOrThrow(yield* store.renewLease(a3, 1000))
          assert.ok(a4.version > a3.version)
          assert.deepStrictEqual(yield* store.acquireLease("job-1", "worker-b", 1000), Option.none())
        })
      )

      itWithTestClock("release frees the key at once; releasing a lost or stale lease changes nothing", (store) =>
        Effect.gen(function* () {
          const a = Option.getOrThrow(yield* store.acquireLease("job-1", "worker-a", 60_000))
          yield* store.releaseLease(a)
          yield* store.releaseLease(a)
          assert.deepStrictEqual(yield* store.renewLease(a, 1000), Option.none())
          const b = Option.getOrThrow(yield* store.acquireLease("job-1", "worker-b", 60_000))
          assert.ok(b.version > a.version, "versions keep growing across a release")
          yield* store.releaseLease(a)
          assert.deepStrictEqual(yield* store.acquireLease("job-1", "worker-a", 1000), Option.none())
          const b2 = Option.getOrThrow(yield* store.renewLease(b, 1000))
          yield* store.releaseLease(b)
          assert.deepStrictEqual(yield* store.acquireLease("job-1", "worker-a", 1000), Option.none())
          yield* store.releaseLease(b2)
          const a2 = Option.getOrThrow(yield* store.acquireLease("job-1", "worker-a", 1000))
          assert.ok(a2.version > b2.version)
        })
      )

      itWithTestClock("concurrent acquisitions: exactly one owner wins", (store) =>
        Effect.gen(function* () {
          const results = yield* Effect.forEach(range(0, 10), (i) => store.acquireLease("hot-1", `worker-${i}`, 1000), {
            concurrency: "unbounded"
          })
          const winners = results.filter(Option.isSome).map((o) => o.value)
          assert.equal(winners.length, 1)
          const winner: Lease = winners[0]!
          assert.equal(winner.key, "hot-1")
        })
      )

      itWithTestClock("invalid lease arguments are a StoreError", (store) =>
        Effect.gen(function* () {
          for (const [key, owner, ttl] of [
            ["", "a", 1000],
            ["k", "", 1000],
            ["k", "a", 0],
            ["k", "a", -5],
            ["k", "a", 1.5],
            ["k", "a", Number.POSITIVE_INFINITY]
          ] as const) {
            assertStoreError(yield* failure(store.acquireLease(key, owner, ttl)), "lease")
          }
          const lease = Option.getOrThrow(yield* store.acquireLease("k", "a", 1000))
          assertStoreError(yield* failure(store.renewLease(lease, 0)), "lease")
          assert.ok(Option.isSome(yield* store.renewLease(lease, 1000)))
        })
      )
    })
  })
}
