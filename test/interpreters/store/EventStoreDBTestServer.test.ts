// The test server checked with the real client: every rule the adapter relies on, as @eventstore/db-client sees it.
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  NO_STREAM,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  streamNameFilter,
  UnavailableError,
  WrongExpectedVersionError
} from "@eventstore/db-client"
import { afterEach, describe, expect, it } from "vitest"
import { startTestServer, type TestServer } from "../../support/eventstoredb/TestServer.js"

const servers: Array<TestServer> = []
const clients: Array<EventStoreDBClient> = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()))
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

const connect = async (options: Parameters<typeof startTestServer>[0] = {}) => {
  const server = await startTestServer(options)
  servers.push(server)
  const client = EventStoreDBClient.connectionString(server.url)
  clients.push(client)
  return { server, client }
}

const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`
const ev = (n: number, type = "Happened") => jsonEvent({ id: id(n), type, data: { n }, metadata: { m: n } })

const collect = async (iterable: AsyncIterable<ResolvedEvent>) => {
  const out: Array<{ stream: string; revision: bigint; id: string; type: string; data: unknown; metadata: unknown }> =
    []
  for await (const { event } of iterable) {
    if (event !== undefined) {
      out.push({
        stream: event.streamId,
        revision: event.revision,
        id: event.id,
        type: event.type,
        data: event.data,
        metadata: event.metadata
      })
    }
  }
  return out
}

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected a failure")
}

describe.each([
  { path: "BatchAppend", batchAppend: true },
  { path: "Append", batchAppend: false }
])("test server appends through $path", ({ batchAppend }) => {
  it("appends with exact expected revisions and reads back what was written", async () => {
    const { client } = await connect({ batchAppend })
    expect(await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })).toMatchObject({
      success: true,
      nextExpectedRevision: 1n
    })
    await client.appendToStream("order-1", [ev(3)], { expectedRevision: 1n })
    expect(await collect(client.readStream("order-1"))).toEqual(
      [1, 2, 3].map((n) => ({
        stream: "order-1",
        revision: BigInt(n - 1),
        id: id(n),
        type: "Happened",
        data: { n },
        metadata: { m: n }
      }))
    )
  })

  it("rejects a wrong expected revision with WrongExpectedVersionError naming stream, expected and actual", async () => {
    const { client } = await connect({ batchAppend })
    await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })
    const behind = await failure(client.appendToStream("order-1", [ev(3)], { expectedRevision: 0n }))
    expect(behind).toBeInstanceOf(WrongExpectedVersionError)
    expect(behind).toMatchObject({ streamName: "order-1", expectedVersion: 0n, actualVersion: 1n })
    const ahead = await failure(client.appendToStream("order-1", [ev(3)], { expectedRevision: 5n }))
    expect(ahead).toMatchObject({ streamName: "order-1", expectedVersion: 5n, actualVersion: 1n })
    const exists = await failure(client.appendToStream("order-1", [ev(3)], { expectedRevision: NO_STREAM }))
    expect(exists).toMatchObject({ expectedVersion: "no_stream", actualVersion: 1n })
    const missing = await failure(client.appendToStream("order-2", [ev(3)], { expectedRevision: 0n }))
    expect(missing).toMatchObject({ streamName: "order-2", expectedVersion: 0n, actualVersion: "no_stream" })
    const notThere = await failure(client.appendToStream("order-2", [ev(3)], { expectedRevision: STREAM_EXISTS }))
    expect(notThere).toMatchObject({ expectedVersion: "stream_exists", actualVersion: "no_stream" })
    expect((await collect(client.readStream("order-1"))).map((e) => e.id)).toEqual([id(1), id(2)])
  })

  it("treats a retried append (same ids at the same revisions) as a success that writes nothing", async () => {
    const { client } = await connect({ batchAppend })
    await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })
    await client.appendToStream("order-1", [ev(3)], { expectedRevision: 1n })
    expect(await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })).toMatchObject({
      success: true,
      nextExpectedRevision: 1n
    })
    expect(await client.appendToStream("order-1", [ev(3)], { expectedRevision: 1n })).toMatchObject({
      nextExpectedRevision: 2n
    })
    // Same revision, other ids: a real conflict. Same ids shifted, or only partly stored: also a conflict.
    expect(await failure(client.appendToStream("order-1", [ev(9)], { expectedRevision: 1n }))).toBeInstanceOf(
      WrongExpectedVersionError
    )
    expect(await failure(client.appendToStream("order-1", [ev(2)], { expectedRevision: 1n }))).toBeInstanceOf(
      WrongExpectedVersionError
    )
    expect(await failure(client.appendToStream("order-1", [ev(3), ev(4)], { expectedRevision: 1n }))).toBeInstanceOf(
      WrongExpectedVersionError
    )
    expect((await collect(client.readStream("order-1"))).map((e) => e.revision)).toEqual([0n, 1n, 2n])
  })

  it("refuses an append over the per-append cap with MaxAppendSizeExceededError and writes nothing", async () => {
    const { client, server } = await connect({ batchAppend })
    const big = jsonEvent({ id: id(1), type: "Big", data: { blob: "x".repeat(server.log.maxAppendSize) } })
    const error = await failure(client.appendToStream("order-1", [big], { expectedRevision: NO_STREAM }))
    expect(error).toBeInstanceOf(MaxAppendSizeExceededError)
    expect(error).toMatchObject({ maxAppendSize: 1024 * 1024 })
    expect(await failure(collect(client.readStream("order-1")))).toBeInstanceOf(StreamNotFoundError)
  })

  it("answers StreamDeleted for appends to a tombstoned stream", async () => {
    const { client } = await connect({ batchAppend })
    await client.appendToStream("order-1", [ev(1)], { expectedRevision: NO_STREAM })
    await client.tombstoneStream("order-1", { expectedRevision: 0n })
    const error = await failure(client.appendToStream("order-1", [ev(2)], { expectedRevision: 0n }))
    expect(error).toBeInstanceOf(StreamDeletedError)
    expect(error).toMatchObject({ streamName: "order-1" })
  })
})

describe("test server reads", () => {
  it("reads one stream forwards and backwards, from start, end or a revision, at most maxCount events", async () => {
    const { client } = await connect()
    await client.appendToStream(
      "order-1",
      [1, 2, 3, 4, 5].map((n) => ev(n)),
      { expectedRevision: NO_STREAM }
    )
    const revisions = async (options: Parameters<EventStoreDBClient["readStream"]>[1]) =>
      (await collect(client.readStream("order-1", options))).map((e) => Number(e.revision))
    expect(await revisions({ fromRevision: 2n, maxCount: 2 })).toEqual([2, 3])
    expect(await revisions({ fromRevision: START, maxCount: 10 })).toEqual([0, 1, 2, 3, 4])
    expect(await revisions({ fromRevision: END })).toEqual([])
    expect(await revisions({ fromRevision: 7n })).toEqual([])
    expect(await revisions({ direction: BACKWARDS, fromRevision: END, maxCount: 2 })).toEqual([4, 3])
    expect(await revisions({ direction: BACKWARDS, fromRevision: 1n })).toEqual([1, 0])
  })

  it("throws StreamNotFoundError while iterating a stream that does not exist", async () => {
    const { client } = await connect()
    const error = await failure(collect(client.readStream("order-404")))
    expect(error).toBeInstanceOf(StreamNotFoundError)
    expect(error).toMatchObject({ streamName: "order-404" })
  })

  it("reads $all in commit order with positions; one append shares a commit position", async () => {
    const { client } = await connect()
    const first = await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })
    await client.appendToStream("invoice-1", [ev(3)], { expectedRevision: NO_STREAM })
    const all: Array<ResolvedEvent> = []
    for await (const e of client.readAll()) all.push(e)
    expect(all.map((e) => e.event?.streamId)).toEqual(["$epochs", "order-1", "order-1", "invoice-1"])
    const [, a, b, c] = all.map((e) => e.event!.position!)
    expect(a!.commit).toBe(b!.commit)
    expect(a!.prepare < b!.prepare && b!.prepare < c!.commit).toBe(true)
    expect(first.position).toEqual(b)
    const back: Array<string> = []
    for await (const e of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 2 }))
      back.push(e.event!.id)
    expect(back).toEqual([id(3), id(2)])
    const from: Array<string> = []
    for await (const e of client.readAll({ fromPosition: b!, maxCount: 5 })) from.push(e.event!.id)
    expect(from).toEqual([id(2), id(3)])
  })

  it("soft delete: reads answer StreamNotFound, the next append continues the revisions", async () => {
    const { client } = await connect()
    await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })
    const wrong = await failure(client.deleteStream("order-1", { expectedRevision: 0n }))
    expect(wrong).toBeInstanceOf(WrongExpectedVersionError)
    expect(wrong).toMatchObject({ streamName: "order-1", expectedVersion: 0n, actualVersion: 1n })
    await client.deleteStream("order-1", { expectedRevision: 1n })
    expect(await failure(collect(client.readStream("order-1")))).toBeInstanceOf(StreamNotFoundError)
    await client.appendToStream("order-1", [ev(3)], { expectedRevision: NO_STREAM })
    expect((await collect(client.readStream("order-1"))).map((e) => e.revision)).toEqual([2n])
  })

  it("tombstone: reads fail with StreamDeletedError", async () => {
    const { client } = await connect()
    await client.appendToStream("order-1", [ev(1)], { expectedRevision: NO_STREAM })
    await client.tombstoneStream("order-1")
    const error = await failure(collect(client.readStream("order-1")))
    expect(error).toBeInstanceOf(StreamDeletedError)
    expect(error).toMatchObject({ streamName: "order-1" })
    expect(await failure(client.tombstoneStream("order-1"))).toBeInstanceOf(StreamDeletedError)
  })
})

describe("test server subscriptions", () => {
  const eventually = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now()
      const poll = () =>
        done() ? resolve() : Date.now() - started > 5000 ? reject(new Error("timeout")) : setTimeout(poll, 5)
      poll()
    })
  const until = (items: Array<unknown>, n: number) => eventually(() => items.length >= n)

  it("$all with a stream-prefix filter: catch-up, caughtUp, then live events, with positions", async () => {
    const { client } = await connect()
    await client.appendToStream("order-1", [ev(1)], { expectedRevision: NO_STREAM })
    await client.appendToStream("invoice-1", [ev(2)], { expectedRevision: NO_STREAM })
    const seen: Array<string> = []
    let caughtUpAfter = -1
    const subscription = client.subscribeToAll({ filter: streamNameFilter({ prefixes: ["order-"] }) })
    subscription.on("caughtUp", () => {
      caughtUpAfter = seen.length
    })
    subscription.on("data", (e: ResolvedEvent) => seen.push(`${e.event!.streamId}@${e.event!.revision}`))
    await until(seen, 1)
    await client.appendToStream("order-1", [ev(3)], { expectedRevision: 0n })
    await client.appendToStream("invoice-1", [ev(4)], { expectedRevision: 0n })
    await client.appendToStream("order-2", [ev(5)], { expectedRevision: NO_STREAM })
    await until(seen, 3)
    await subscription.unsubscribe()
    expect(seen).toEqual(["order-1@0", "order-1@1", "order-2@0"])
    expect(caughtUpAfter).toBe(1)
  })

  it("$all fromPosition is exclusive; a filtered subscription reports checkpoints over unmatched events", async () => {
    const { client } = await connect()
    const first = await client.appendToStream("order-1", [ev(1)], { expectedRevision: NO_STREAM })
    for (let n = 2; n < 40; n++) await client.appendToStream(`invoice-${n}`, [ev(n)], { expectedRevision: NO_STREAM })
    await client.appendToStream("order-1", [ev(40)], { expectedRevision: 0n })
    const seen: Array<string> = []
    const checkpoints: Array<bigint> = []
    const subscription = client.subscribeToAll({
      fromPosition: first.position!,
      filter: streamNameFilter({
        prefixes: ["order-"],
        checkpointReached: (_s, position) => {
          checkpoints.push(position.commit)
        }
      })
    })
    subscription.on("data", (e: ResolvedEvent) => seen.push(e.event!.id))
    await until(seen, 1)
    await subscription.unsubscribe()
    expect(seen).toEqual([id(40)])
    expect(checkpoints.length).toBe(1)
    expect(checkpoints[0]! > first.position!.commit).toBe(true)
  })

  it("one stream: fromRevision is exclusive, then live", async () => {
    const { client } = await connect()
    await client.appendToStream("order-1", [ev(1), ev(2)], { expectedRevision: NO_STREAM })
    const seen: Array<bigint> = []
    const subscription = client.subscribeToStream("order-1", { fromRevision: 0n })
    subscription.on("data", (e: ResolvedEvent) => seen.push(e.event!.revision))
    await until(seen, 1)
    await client.appendToStream("order-1", [ev(3)], { expectedRevision: 1n })
    await until(seen, 2)
    await subscription.unsubscribe()
    expect(seen).toEqual([1n, 2n])
  })

  it("a dropped subscription ends with UnavailableError", async () => {
    const { client, server } = await connect()
    const subscription = client.subscribeToAll({ fromPosition: END })
    const errors: Array<unknown> = []
    subscription.on("error", (e) => errors.push(e))
    subscription.on("data", () => {})
    await eventually(() => server.subscriptions() === 1)
    server.dropSubscriptions()
    await until(errors, 1)
    expect(errors[0]).toBeInstanceOf(UnavailableError)
  })

  it("a restarted server on the same port serves the same log, and the client reconnects", async () => {
    const { client, server } = await connect()
    await client.appendToStream("order-1", [ev(1)], { expectedRevision: NO_STREAM })
    await server.stop()
    servers.splice(servers.indexOf(server), 1)
    expect(await failure(collect(client.readStream("order-1")))).toBeInstanceOf(UnavailableError)
    servers.push(await startTestServer({ log: server.log, port: server.port }))
    expect((await collect(client.readStream("order-1"))).map((e) => e.id)).toEqual([id(1)])
  })
})
