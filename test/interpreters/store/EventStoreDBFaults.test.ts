// What the EventStoreDB adapter does when things go wrong — and what the contract suite cannot see: the wire
// metadata, the registry's persisted checkpoint, foreign events in the log.
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { binaryEvent, EventStoreDBClient, jsonEvent, NO_STREAM } from "@eventstore/db-client"
import { Cause, Effect, Exit, Fiber, Option, type Scope, Stream } from "effect"
import { type EventStore, type EventData, NoStream, type StoredEvent } from "durable-monad"
import { EventStoreDB, type EventStoreDBOptions, isUnavailable } from "durable-monad/eventstoredb"
import { TestClock } from "effect/testing"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../../support/eventstoredb/TestServer.js"

const servers: Array<TestServer> = []
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-esdb-"))
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const server = async (options: Parameters<typeof startTestServer>[0] = {}) => {
  const s = await startTestServer(options)
  servers.push(s)
  return s
}

const ids = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`
const ev = (n: number, metadata: EventData["metadata"] = { step: `step-${n}`, status: "Running" }): EventData => ({
  id: ids(n),
  type: "Happened",
  data: { n },
  metadata
})

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

const failureOf = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => {
  const exit = await Effect.runPromise(Effect.scoped(Effect.exit(effect)))
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return error.value
}

/** A port on which nothing listens. */
const closedPort = async () => {
  const probe = Net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  const { port } = probe.address() as Net.AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** A TCP server that accepts connections and never answers: a hung or firewalled server. */
const blackHole = async (port = 0) => {
  const sockets = new Set<Net.Socket>()
  const hole = Net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => hole.listen(port, "127.0.0.1", resolve))
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        hole.close(resolve)
      })
  )
  return (hole.address() as Net.AddressInfo).port
}

describe("EventStoreDB adapter: an unreachable server is a typed error within the deadline", () => {
  it("nothing listening: opening the store fails with a StoreError whose cause is StoreUnavailable", async () => {
    const port = await closedPort()
    const started = Date.now()
    const error = await failureOf(
      EventStoreDB.make({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, operationTimeoutMs: 2000 })
    )
    expect(Date.now() - started).toBeLessThan(2500)
    expect(error).toMatchObject({ _tag: "StoreError", operation: "open" })
    expect(isUnavailable(error)).toBe(true)
    expect((error as Error).message).toContain(`EventStoreDB at 127.0.0.1:${port} is unavailable`)
  })

  it("a server that accepts connections and never answers: open fails once operationTimeoutMs has passed", async () => {
    const port = await blackHole()
    const started = Date.now()
    const error = await failureOf(
      EventStoreDB.make({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, operationTimeoutMs: 300 })
    )
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(2000)
    expect(isUnavailable(error)).toBe(true)
    expect((error as Error).message).toContain("no answer within 300 ms")
  })

  it("the server goes away after opening: append, read and registry fail with StoreUnavailable, none hangs", async () => {
    const s = await server()
    const error = await failureOf(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make({ connectionString: s.url, operationTimeoutMs: 300 })
        yield* store.append("order-1", NoStream, [ev(1)])
        yield* Effect.promise(() => s.stop())
        // Now a black hole on the same port: connections open, nothing answers.
        yield* Effect.promise(() => blackHole(s.port))
        const outcomes = yield* Effect.all(
          [
            Effect.flip(store.append("order-1", 0, [ev(2)])),
            Effect.flip(Stream.runCollect(store.read("order-1"))),
            Effect.flip(store.instance("order-1"))
          ],
          { concurrency: "unbounded" }
        )
        for (const outcome of outcomes) expect(isUnavailable(outcome)).toBe(true)
        expect(outcomes.map((o) => (o as { operation?: string }).operation)).toEqual(["append", "read", "registry"])
        expect(outcomes[0]!.message).toContain("retrying it is safe")
        return yield* Effect.fail(outcomes[0]!)
      })
    )
    expect(error).toMatchObject({ _tag: "StoreError", operation: "append", stream: "order-1" })
    servers.splice(servers.indexOf(s), 1)
  })

  it("deadlines run on real time: under a TestClock that never advances, a hung server still fails the call", async () => {
    const s = await server()
    const error = await failureOf(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make({ connectionString: s.url, operationTimeoutMs: 300 })
        yield* Effect.promise(() => s.stop())
        yield* Effect.promise(() => blackHole(s.port))
        return yield* Effect.provide(store.acquireLease("order-1", "worker-a", 1000), TestClock.layer())
      })
    )
    expect(isUnavailable(error)).toBe(true)
    expect(error).toMatchObject({ _tag: "StoreError", operation: "lease" })
    servers.splice(servers.indexOf(s), 1)
  })

  it("an invalid connection string or option is a StoreError of operation open", async () => {
    for (const options of [
      "http://localhost:2113",
      { connectionString: "esdb://localhost:2113?tls=false", operationTimeoutMs: 0 },
      { connectionString: "esdb://localhost:2113?tls=false", maxAppendSize: -1 },
      { connectionString: "esdb://localhost:2113?tls=false", namespace: "a-b" },
      "esdb://localhost:2113?tls=maybe"
    ]) {
      const error = await failureOf(EventStoreDB.make(options))
      expect(error).toMatchObject({ _tag: "StoreError", operation: "open" })
      expect(isUnavailable(error)).toBe(false)
    }
  })
})

describe("EventStoreDB adapter: appends over the per-append cap", () => {
  it("are refused before anything is sent, with the size and the cap in the message", async () => {
    const s = await server()
    const big: EventData = { ...ev(1), data: { blob: "x".repeat(1024 * 1024) } }
    const error = await failureOf(
      Effect.flatMap(EventStoreDB.make(s.url), (store) => store.append("order-1", NoStream, [big]))
    )
    expect(error).toMatchObject({ _tag: "StoreError", operation: "append", stream: "order-1" })
    expect((error as Error).message).toMatch(
      /the append is 10\d{5} bytes of data and metadata, over EventStoreDB's per-append cap of 1048576 bytes/
    )
    expect(s.log.current("order-1")).toBe("noStream")
    expect(s.log.all.some((r) => r.stream === "order-1")).toBe(false)
  })

  it("counts a batch as a whole: two events under the cap each, over it together", async () => {
    const s = await server()
    const half = (n: number): EventData => ({ ...ev(n), data: { blob: "x".repeat(600 * 1024) } })
    const error = await failureOf(
      Effect.flatMap(EventStoreDB.make(s.url), (store) => store.append("order-1", NoStream, [half(1), half(2)]))
    )
    expect((error as Error).message).toContain("per-append cap of 1048576 bytes")
    expect(s.log.current("order-1")).toBe("noStream")
  })

  it("a server with a smaller cap than configured refuses the append: a StoreError naming its cap", async () => {
    const s = await server({ maxAppendSize: 1000 })
    const error = await failureOf(
      Effect.flatMap(EventStoreDB.make(s.url), (store) =>
        store.append("order-1", NoStream, [{ ...ev(1), data: { blob: "x".repeat(2000) } }])
      )
    )
    expect(error).toMatchObject({ _tag: "StoreError", operation: "append", stream: "order-1" })
    expect((error as Error).message).toContain("over its 1000-byte cap")
    expect(s.log.current("order-1")).toBe("noStream")
  })
})

describe("EventStoreDB adapter: bad input is a typed error and sends nothing", () => {
  it("a stream name or type that is not well-formed Unicode, data that is not JSON: StoreError, nothing written", async () => {
    const s = await server()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const hostile = Object.defineProperty({}, "step", {
      enumerable: true,
      get: () => {
        throw new Error("no")
      }
    })
    const errors = await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        return yield* Effect.all([
          Effect.flip(store.append("order-\ud800", NoStream, [ev(1)])),
          Effect.flip(store.append("order-1", NoStream, [{ ...ev(1), type: "Bad\udc00" }])),
          Effect.flip(store.append("order-1", NoStream, [{ ...ev(1), data: cyclic as never }])),
          Effect.flip(store.append("order-1", NoStream, [{ ...ev(1), data: undefined as never }])),
          Effect.flip(store.append("order-1", NoStream, [{ ...ev(1), metadata: hostile }]))
        ])
      })
    )
    expect(errors.map((e) => [e._tag, e.message])).toEqual([
      ["StoreError", "append order-\ud800: the stream name must be a well-formed Unicode string"],
      ["StoreError", `append order-1: event 0 (id ${ids(1)}): the type must be a well-formed Unicode string`],
      [
        "StoreError",
        expect.stringContaining(`append order-1: event 0 (id ${ids(1)}): the data cannot be encoded as JSON`)
      ],
      ["StoreError", `append order-1: event 0 (id ${ids(1)}): the data is not a JSON value (got undefined)`],
      ["StoreError", `append order-1: event 0 (id ${ids(1)}): the metadata cannot be read: no`]
    ])
    expect(s.log.all.filter((r) => !r.stream.startsWith("$"))).toEqual([])
  })
})

describe("EventStoreDB adapter: dropped subscriptions reconnect and resume", () => {
  const collectInBackground = (store: EventStore["Service"], seen: Array<StoredEvent>) =>
    Effect.forkScoped(Stream.runForEach(store.subscribe(), (e) => Effect.sync(() => seen.push(e))))
  const waitFor = (condition: () => boolean) => Effect.promise(() => waitUntil(condition, 10_000))

  it("the server drops the subscription: it resumes after the last delivered event, no gap, no duplicate", async () => {
    const s = await server()
    const seen: Array<StoredEvent> = []
    await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        yield* store.append("order-1", NoStream, [ev(1), ev(2)])
        yield* collectInBackground(store, seen)
        yield* waitFor(() => seen.length === 2)
        s.dropSubscriptions()
        yield* store.append("order-1", 1, [ev(3)])
        s.dropSubscriptions()
        yield* store.append("order-2", NoStream, [ev(4)])
        yield* waitFor(() => seen.length >= 4)
      })
    )
    expect(seen.map((e) => e.id)).toEqual([1, 2, 3, 4].map(ids))
  })

  it("a server that re-sends the resume position's event after a drop: the event is not delivered twice", async () => {
    const s = await server({ resendFromPosition: true })
    const seen: Array<StoredEvent> = []
    await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        yield* store.append("order-1", NoStream, [ev(1), ev(2)])
        yield* collectInBackground(store, seen)
        yield* waitFor(() => seen.length === 2)
        s.dropSubscriptions()
        yield* store.append("order-1", 1, [ev(3)])
        yield* waitFor(() => seen.length >= 3)
        // The registry projection resumed the same way: its row is at the last revision.
        expect(Option.getOrThrow(yield* store.instance("order-1")).revision).toBe(2)
      })
    )
    expect(seen.map((e) => e.id)).toEqual([1, 2, 3].map(ids))
  })

  it("the server restarts: the subscription retries until it is back, then resumes", async () => {
    const first = await server()
    const seen: Array<StoredEvent> = []
    await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(first.url)
        yield* store.append("order-1", NoStream, [ev(1)])
        yield* collectInBackground(store, seen)
        yield* waitFor(() => seen.length === 1)
        yield* Effect.promise(() => first.stop())
        servers.splice(servers.indexOf(first), 1)
        yield* Effect.sleep(300)
        const second = yield* Effect.promise(() => server({ log: first.log, port: first.port }))
        // Written behind the adapter's back while it was disconnected.
        second.log.append("order-1", { _tag: "revision", revision: 0n }, [
          {
            id: ids(2),
            type: "Happened",
            contentType: "application/json",
            data: Buffer.from('{"n":2}'),
            metadata: Buffer.from("{}")
          }
        ])
        yield* store.append("order-1", 1, [ev(3)])
        yield* waitFor(() => seen.length >= 3)
      })
    )
    expect(seen.map((e) => e.id)).toEqual([1, 2, 3].map(ids))
  })
})

/** Through a store closed afterwards: one event appended to each new stream. */
const appendEach = (options: EventStoreDBOptions | string, streams: ReadonlyArray<string>) =>
  run(
    Effect.flatMap(EventStoreDB.make(options), (store) =>
      Effect.forEach(streams, (stream, i) => store.append(stream, NoStream, [ev(i + 1)]))
    )
  )

/** Open a store, append one event to a new stream, and list the registry's streams. */
const registryAfterAppend = (options: EventStoreDBOptions | string, stream: string) =>
  run(
    Effect.gen(function* () {
      const store = yield* EventStoreDB.make(options)
      yield* store.append(stream, NoStream, [ev(99)])
      return [...(yield* Stream.runCollect(store.instances()))].map((row) => row.stream)
    })
  )

describe("EventStoreDB adapter: the registry projection and its checkpoint", () => {
  it("with registryFile, a restarted store resumes the projection from its checkpoint instead of re-reading $all", async () => {
    const s = await server()
    const registryFile = Path.join(dir, "registry-restart.db")
    const open = EventStoreDB.make({ connectionString: s.url, registryFile })
    await run(
      Effect.gen(function* () {
        const store = yield* open
        for (let i = 0; i < 50; i++) yield* store.append(`order-${i}`, NoStream, [ev(i)])
        expect(Option.getOrThrow(yield* store.instance("order-49")).status).toBe("Running")
      })
    )
    const before = s.subscriptionEventsSent()
    await run(
      Effect.gen(function* () {
        const store = yield* open
        const rows = yield* Stream.runCollect(store.instances({ workflow: "order" }))
        expect(rows.length).toBe(50)
        expect(s.subscriptionEventsSent() - before).toBe(0)
        yield* store.append("order-50", NoStream, [ev(50)])
        expect(Option.isSome(yield* store.instance("order-50"))).toBe(true)
        expect(s.subscriptionEventsSent() - before).toBe(1)
      })
    )
  })

  it("a registry file built from another server is reset and rebuilt", async () => {
    const a = await server()
    const b = await server()
    const registryFile = Path.join(dir, "registry-moved.db")
    await appendEach({ connectionString: a.url, registryFile }, ["order-a"])
    expect(await registryAfterAppend({ connectionString: b.url, registryFile }, "order-b")).toEqual(["order-b"])
  })

  it("a server wiped and re-created at the same address: the registry notices its checkpoint is past the end and rebuilds", async () => {
    const first = await server()
    const registryFile = Path.join(dir, "registry-wiped.db")
    await appendEach({ connectionString: first.url, registryFile }, ["order-1", "order-2", "order-3"])
    await first.stop()
    servers.splice(servers.indexOf(first), 1)
    const wiped = await server({ port: first.port })
    expect(await registryAfterAppend({ connectionString: wiped.url, registryFile }, "order-9")).toEqual(["order-9"])
  })

  it("without registryFile, every start rebuilds the registry from the whole log", async () => {
    const s = await server()
    await appendEach(s.url, ["order-1", "order-2", "order-3"])
    const before = s.subscriptionEventsSent()
    const rows = await run(Effect.flatMap(EventStoreDB.make(s.url), (store) => Stream.runCollect(store.instances())))
    expect(rows.map((r) => r.stream)).toEqual(["order-1", "order-2", "order-3"])
    expect(s.subscriptionEventsSent() - before).toBeGreaterThanOrEqual(3)
  })
})

describe("EventStoreDB adapter: what lands on the server", () => {
  it("one stream per instance; metadata carries $correlationId (the instance) and $causationId (the step)", async () => {
    const s = await server()
    const stored = await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        yield* store.append("order-42", NoStream, [ev(1), ev(2, ["not", "an", "object"])])
        return yield* Stream.runCollect(store.read("order-42"))
      })
    )
    const onServer = s.log.all
      .filter((r) => r.stream === "order-42")
      .map((r) => ({ type: r.contentType, metadata: JSON.parse(Buffer.from(r.metadata).toString()) }))
    expect(onServer).toEqual([
      {
        type: "application/json",
        metadata: { step: "step-1", status: "Running", $correlationId: "order-42", $causationId: "step-1" }
      },
      {
        type: "application/json",
        metadata: { $correlationId: "order-42", $causationId: ids(2), $durableMonadMetadata: ["not", "an", "object"] }
      }
    ])
    // Read back exactly as appended.
    expect(stored.map((e) => e.metadata)).toEqual([{ step: "step-1", status: "Running" }, ["not", "an", "object"]])
  })

  it("foreign events: readAll skips other apps' binary events and system streams; reading a non-JSON stream is a StoreError", async () => {
    const s = await server()
    const client = EventStoreDBClient.connectionString(s.url)
    cleanups.push(() => client.dispose())
    await client.appendToStream("legacy-1", [binaryEvent({ type: "Blob", data: new Uint8Array([1, 2, 3]) })], {
      expectedRevision: NO_STREAM
    })
    await client.appendToStream("order-1", [jsonEvent({ id: ids(1), type: "Happened", data: { n: 1 } })], {
      expectedRevision: NO_STREAM
    })
    await client.deleteStream("order-1")
    const [log, error] = await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        const log = yield* Stream.runCollect(store.readAll())
        const error = yield* Effect.flip(Stream.runCollect(store.read("legacy-1")))
        return [log, error] as const
      })
    )
    expect(log.map((e) => e.stream)).toEqual(["order-1"])
    expect(error).toMatchObject({ _tag: "StoreError", operation: "read", stream: "legacy-1" })
    expect(error.message).toContain("is not JSON")
  })

  it("a tombstoned stream reads as a StoreError saying it is deleted", async () => {
    const s = await server()
    s.log.tombstone("order-1", { _tag: "any" })
    const error = await failureOf(
      Effect.flatMap(EventStoreDB.make(s.url), (store) => Stream.runCollect(store.read("order-1")))
    )
    expect(error).toMatchObject({ _tag: "StoreError", operation: "read", stream: "order-1" })
    expect((error as Error).message).toContain("is deleted")
  })

  it("a server that sends no positions on stream reads: appends work, reads fail with a StoreError saying why", async () => {
    const s = await server({ streamReadPositions: false })
    const [appended, error, log] = await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        const appended = yield* store.append("order-1", NoStream, [ev(1)])
        const error = yield* Effect.flip(Stream.runCollect(store.read("order-1")))
        const log = yield* Stream.runCollect(store.readAll())
        return [appended, error, log] as const
      })
    )
    expect(appended.nextExpectedRevision).toBe(0)
    expect([...log].map((e) => [e.stream, e.position])).toEqual([["order-1", appended.position]])
    expect(error).toMatchObject({ _tag: "StoreError", operation: "read", stream: "order-1" })
    expect(error.message).toContain("without its $all position")
  })

  it("the Append fallback (a server without BatchAppend) behaves the same: conflicts are WrongExpectedRevision", async () => {
    const s = await server({ batchAppend: false })
    const error = await failureOf(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        yield* store.append("order-1", NoStream, [ev(1)])
        yield* store.append("order-1", NoStream, [ev(2)])
      })
    )
    expect(error).toMatchObject({ _tag: "WrongExpectedRevision", stream: "order-1", expected: -1, actual: 0 })
  })

  it("interrupting a subscriber ends its server subscription", async () => {
    const s = await server()
    await run(
      Effect.gen(function* () {
        const store = yield* EventStoreDB.make(s.url)
        // The registry projection holds one subscription; the subscriber a second one.
        const fiber = yield* Effect.forkScoped(Stream.runDrain(store.subscribe()))
        yield* Effect.promise(() => waitUntil(() => s.subscriptions() === 2))
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => waitUntil(() => s.subscriptions() === 1))
      })
    )
  })
})

/** Polls `condition` every 5 ms (real time) until it holds; rejects after `timeoutMs`. */
const waitUntil = (condition: () => boolean, timeoutMs = 5000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const poll = () =>
      condition()
        ? resolve()
        : Date.now() - started > timeoutMs
          ? reject(new Error("timed out waiting"))
          : setTimeout(poll, 5)
    poll()
  })
