/**
 * The EventStore contract: every backend runs this suite unchanged.
 *
 * Usage, in a backend's test file:
 *   storeContract("memory", () => MemoryStore.layer)
 * `makeLayer` is called once per test and must give an empty store.
 */
import { Effect, Exit, type Layer, Stream } from "effect"
import { describe, expect, it } from "vitest"
import {
  type EventData,
  EventStore,
  type Json,
  NoStream,
  type StoredEvent,
  WrongExpectedRevision
} from "../../../src/interpreters/store/index.js"

const ev = (id: string, data: Json = { n: id }, type = "Happened", metadata: Json = { step: "s" }): EventData => ({
  id,
  type,
  data,
  metadata
})

const readAll = (stream: string, options?: { fromRevision?: number; maxCount?: number }) =>
  Effect.flatMap(EventStore, (s) => Stream.runCollect(s.read(stream, options)))

const strip = (events: ReadonlyArray<StoredEvent>) => events.map(({ created: _, ...rest }) => rest)

export const storeContract = (
  name: string,
  makeLayer: () => Layer.Layer<EventStore, unknown>,
  options: { readonly timeout?: number } = {}
): void => {
  const run = <A, E>(effect: Effect.Effect<A, E, EventStore>): Promise<A> =>
    Effect.runPromise(Effect.provide(effect, makeLayer()) as Effect.Effect<A, E>)
  const test = (title: string, body: () => Promise<void>) => it(title, body, options.timeout)

  describe(`EventStore contract: ${name}`, () => {
    test("round-trips events: ids, types, data, metadata, stream and revisions", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          const before = Date.now()
          const r1 = yield* store.append("order-1", NoStream, [ev("a"), ev("b", { nested: [1, 2.5, null, true] })])
          expect(r1).toEqual({ nextExpectedRevision: 1 })
          const r2 = yield* store.append("order-1", 1, [ev("c", "just a string", "Other", { step: "t", at: 3 })])
          expect(r2).toEqual({ nextExpectedRevision: 2 })
          const events = yield* readAll("order-1")
          expect(strip(events)).toEqual([
            { id: "a", type: "Happened", data: { n: "a" }, metadata: { step: "s" }, stream: "order-1", revision: 0 },
            {
              id: "b",
              type: "Happened",
              data: { nested: [1, 2.5, null, true] },
              metadata: { step: "s" },
              stream: "order-1",
              revision: 1
            },
            {
              id: "c",
              type: "Other",
              data: "just a string",
              metadata: { step: "t", at: 3 },
              stream: "order-1",
              revision: 2
            }
          ])
          for (const e of events) {
            expect(e.created).toBeGreaterThanOrEqual(before - 1000)
            expect(e.created).toBeLessThanOrEqual(Date.now() + 1000)
          }
        })
      ))

    test("reading a stream that does not exist gives no events", () =>
      run(
        Effect.gen(function* () {
          expect(yield* readAll("nothing-here")).toEqual([])
          expect(yield* readAll("nothing-here", { fromRevision: 5 })).toEqual([])
        })
      ))

    test("streams are independent: revisions count per stream", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          yield* store.append("a-1", NoStream, [ev("x1")])
          yield* store.append("a-2", NoStream, [ev("y1"), ev("y2")])
          yield* store.append("a-1", 0, [ev("x2")])
          expect((yield* readAll("a-1")).map((e) => [e.id, e.revision])).toEqual([
            ["x1", 0],
            ["x2", 1]
          ])
          expect((yield* readAll("a-2")).map((e) => [e.id, e.revision])).toEqual([
            ["y1", 0],
            ["y2", 1]
          ])
        })
      ))

    test("append to a new stream requires NoStream; a wrong expected revision is a typed error and writes nothing", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          const missing = yield* Effect.flip(store.append("s-1", 0, [ev("a")]))
          expect(missing).toBeInstanceOf(WrongExpectedRevision)
          expect(missing).toMatchObject({ _tag: "WrongExpectedRevision", stream: "s-1", expected: 0, actual: -1 })
          expect(yield* readAll("s-1")).toEqual([])

          yield* store.append("s-1", NoStream, [ev("a"), ev("b")])
          const exists = yield* Effect.flip(store.append("s-1", NoStream, [ev("c")]))
          expect(exists).toMatchObject({ _tag: "WrongExpectedRevision", stream: "s-1", expected: -1, actual: 1 })
          const stale = yield* Effect.flip(store.append("s-1", 0, [ev("c")]))
          expect(stale).toMatchObject({ _tag: "WrongExpectedRevision", stream: "s-1", expected: 0, actual: 1 })
          const ahead = yield* Effect.flip(store.append("s-1", 7, [ev("c")]))
          expect(ahead).toMatchObject({ _tag: "WrongExpectedRevision", stream: "s-1", expected: 7, actual: 1 })
          expect((yield* readAll("s-1")).map((e) => e.id)).toEqual(["a", "b"])
        })
      ))

    test("a multi-event append is atomic: a conflicting batch writes none of its events", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          yield* store.append("atom-1", NoStream, [ev("a")])
          const batch = Array.from({ length: 50 }, (_, i) => ev(`batch-${i}`))
          const exit = yield* Effect.exit(store.append("atom-1", NoStream, batch))
          expect(Exit.isFailure(exit)).toBe(true)
          expect((yield* readAll("atom-1")).map((e) => e.id)).toEqual(["a"])
          const ok = yield* store.append("atom-1", 0, batch)
          expect(ok).toEqual({ nextExpectedRevision: 50 })
          const events = yield* readAll("atom-1")
          expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 51 }, (_, i) => i))
          expect(events.slice(1).map((e) => e.id)).toEqual(batch.map((e) => e.id))
        })
      ))

    test("concurrent appends at the same expected revision: exactly one wins, the others conflict", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          yield* store.append("race-1", NoStream, [ev("seed")])
          const exits = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => i),
            (i) => Effect.exit(store.append("race-1", 0, [ev(`w${i}-1`), ev(`w${i}-2`)])),
            { concurrency: "unbounded" }
          )
          const winners = exits.filter(Exit.isSuccess)
          expect(winners).toHaveLength(1)
          for (const exit of exits.filter(Exit.isFailure)) {
            expect(Exit.isFailure(exit) && exit.cause.toString()).toContain("WrongExpectedRevision")
          }
          const events = yield* readAll("race-1")
          expect(events).toHaveLength(3)
          const writer = events[1]!.id.split("-")[0]
          expect(events.map((e) => e.id)).toEqual(["seed", `${writer}-1`, `${writer}-2`])
        })
      ))

    test("a retried append (same event ids at the same revisions) succeeds and writes nothing", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          yield* store.append("idem-1", NoStream, [ev("a"), ev("b")])
          yield* store.append("idem-1", 1, [ev("c")])
          expect(yield* store.append("idem-1", NoStream, [ev("a"), ev("b")])).toEqual({ nextExpectedRevision: 1 })
          expect(yield* store.append("idem-1", 1, [ev("c")])).toEqual({ nextExpectedRevision: 2 })
          expect((yield* readAll("idem-1")).map((e) => e.id)).toEqual(["a", "b", "c"])
          // other ids at those revisions are a real conflict
          const other = yield* Effect.flip(store.append("idem-1", 1, [ev("z")]))
          expect(other).toMatchObject({ _tag: "WrongExpectedRevision", stream: "idem-1", expected: 1, actual: 2 })
          // a batch that only partly overlaps what is stored is a conflict too
          const partly = yield* Effect.flip(store.append("idem-1", 1, [ev("c"), ev("d")]))
          expect(partly).toMatchObject({ _tag: "WrongExpectedRevision", expected: 1, actual: 2 })
          expect((yield* readAll("idem-1")).map((e) => e.id)).toEqual(["a", "b", "c"])
        })
      ))

    test("reads are ordered and honour fromRevision and maxCount, across many pages", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          const total = 5000
          let revision = NoStream
          for (let i = 0; i < total; i += 500) {
            const batch = Array.from({ length: 500 }, (_, j) => ev(`e${i + j}`, i + j))
            revision = (yield* store.append("long-1", revision, batch)).nextExpectedRevision
          }
          expect(revision).toBe(total - 1)
          const all = yield* readAll("long-1")
          expect(all).toHaveLength(total)
          expect(all.every((e, i) => e.revision === i && e.data === i && e.id === `e${i}`)).toBe(true)
          const tail = yield* readAll("long-1", { fromRevision: 4990 })
          expect(tail.map((e) => e.revision)).toEqual([4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999])
          const window = yield* readAll("long-1", { fromRevision: 1020, maxCount: 10 })
          expect(window.map((e) => e.revision)).toEqual([1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029])
          const crossing = yield* readAll("long-1", { fromRevision: 1000, maxCount: 2100 })
          expect(crossing.map((e) => e.revision)).toEqual(Array.from({ length: 2100 }, (_, i) => 1000 + i))
          expect(yield* readAll("long-1", { fromRevision: total })).toEqual([])
          expect(yield* readAll("long-1", { maxCount: 0 })).toEqual([])
        })
      ))

    test("large and unusual payloads round-trip exactly", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          const big = "x".repeat(700 * 1024)
          const unicode = 'Zürich — 東京 — emoji 🚀 — quote " backslash \\ newline \n nul-free'
          const deep: Json = { a: { b: { c: { d: [[[{ e: "deep" }]]] } } } }
          yield* store.append("big-1", NoStream, [
            ev("big", { big }),
            ev("unicode", unicode, "Unicode", { note: unicode }),
            ev("deep", deep),
            ev("scalars", [0, -1, 1.5e300, -2.25, false, null, ""], "Scalars", {})
          ])
          const events = yield* readAll("big-1")
          expect((events[0]!.data as { big: string }).big.length).toBe(big.length)
          expect(events[0]!.data).toEqual({ big })
          expect(events[1]!.data).toBe(unicode)
          expect(events[1]!.metadata).toEqual({ note: unicode })
          expect(events[2]!.data).toEqual(deep)
          expect(events[3]!.data).toEqual([0, -1, 1.5e300, -2.25, false, null, ""])
          expect(events[3]!.metadata).toEqual({})
        })
      ))

    test("stored events do not change when the appended objects are mutated afterwards", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          const data = { list: [1, 2] }
          yield* store.append("mut-1", NoStream, [{ id: "a", type: "T", data, metadata: {} }])
          data.list.push(3)
          expect((yield* readAll("mut-1"))[0]!.data).toEqual({ list: [1, 2] })
        })
      ))

    test("listStreams gives the non-empty streams with a prefix, in ascending order", () =>
      run(
        Effect.gen(function* () {
          const store = yield* EventStore
          for (const s of ["pr-2", "pr-10", "pr-1", "order-1", "prx-1"]) yield* store.append(s, NoStream, [ev(s)])
          const list = (prefix: string) => Stream.runCollect(store.listStreams(prefix))
          expect(yield* list("pr-")).toEqual(["pr-1", "pr-10", "pr-2"])
          expect(yield* list("pr")).toEqual(["pr-1", "pr-10", "pr-2", "prx-1"])
          expect(yield* list("order-")).toEqual(["order-1"])
          expect(yield* list("none-")).toEqual([])
          expect(yield* list("")).toEqual(["order-1", "pr-1", "pr-10", "pr-2", "prx-1"])
        })
      ))
  })
}
