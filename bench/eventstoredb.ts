/**
 * EventStoreDB adapter benchmarks, over the in-process test server (test/support/eventstoredb). They measure the
 * adapter, @eventstore/db-client and gRPC on loopback — NOT EventStoreDB: the test server keeps everything in memory,
 * never touches a disk and shares this process's CPU. Point EVENTSTORE_URL at a real server to measure that instead.
 *
 *   npm run bench:eventstoredb [-- --runs=N]
 *
 * - W1 eventstoredb: one instance's stream, one event per append, each append awaited (the runtime's pattern for
 *   sequential steps): appends/s and median ms per append. Then the same with the runtime on top: 20 workflows of
 *   100 sequential steps (as W1 sqlite/memory in bench/sequential.ts, smaller).
 * - W2 eventstoredb: 200 workflows of 10 steps started at once (as bench/concurrent.ts): concurrent appends share
 *   the client's one BatchAppend stream.
 * - Subscription: a log of CATCH_UP events in 200 instance streams; `subscribe` from the start, events/s until it
 *   has caught up; then live: one append at a time while subscribed, median ms from issuing the append to the
 *   event's delivery. Then a second store on the same log rebuilds its registry from all of $all (no registryFile):
 *   events/s of that rebuild, open included. Beside the catch-up, the raw client's own catch-up rate on the same log (`subscribeToAll`, no adapter),
 *   so the adapter's share is visible: most of the time goes to google-protobuf (de)serialisation and GC.
 */
import { EventStoreDBClient, START, streamNameFilter } from "@eventstore/db-client"
import { Effect, Fiber, Layer, Stream } from "effect"
import { type EventData, EventStore, NoStream, nameUuid, WorkflowRuntime } from "durable-monad"
import { EventStoreDB } from "durable-monad/eventstoredb"
import { startTestServer } from "../test/support/eventstoredb/TestServer.js"
import { counter, counterInput, type Figure, median, type Workload } from "./support.js"

const APPENDS = 2_000
const WORKFLOWS = 20
const STEPS = 100
const CATCH_UP = 20_000
const LIVE = 500
const NAMESPACE = "6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b"

const event = (stream: string, revision: number): EventData => ({
  id: nameUuid(NAMESPACE, `${stream}/${revision}`),
  type: "Ticked",
  data: { n: revision },
  metadata: { step: "tick", status: "Running" }
})

/** The store on a fresh test server (or on EVENTSTORE_URL, under a fresh namespace), with the server's teardown. */
const storeLayer = async () => {
  const url = process.env.EVENTSTORE_URL
  if (url !== undefined && url !== "") {
    const namespace = `bench${Date.now().toString(36)}.`
    return { layer: EventStoreDB.layer({ connectionString: url, namespace }), stop: async () => {}, url, namespace }
  }
  const server = await startTestServer()
  return { layer: EventStoreDB.layer(server.url), stop: () => server.stop(), url: server.url, namespace: "" }
}

const appendsW1 = async (): Promise<ReadonlyArray<Figure>> => {
  const { layer, stop } = await storeLayer()
  try {
    const latencies: Array<number> = []
    const seconds = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* EventStore
        const started = performance.now()
        let expected = NoStream
        for (let i = 0; i < APPENDS; i++) {
          const t = performance.now()
          expected = (yield* store.append("counter-w1", expected, [event("counter-w1", i)])).nextExpectedRevision
          latencies.push(performance.now() - t)
        }
        return (performance.now() - started) / 1000
      }).pipe(Effect.provide(layer))
    )
    return [
      { workload: "W1 eventstoredb (store)", metric: "appends/s", value: APPENDS / seconds, kind: "rate" },
      { workload: "W1 eventstoredb (store)", metric: "median ms/append", value: median(latencies), kind: "time" }
    ]
  } finally {
    await stop()
  }
}

const runtimeW1 = async (): Promise<ReadonlyArray<Figure>> => {
  const { layer, stop } = await storeLayer()
  try {
    const seconds = await Effect.runPromise(
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const started = performance.now()
        for (let i = 0; i < WORKFLOWS; i++) {
          const instance = yield* runtime.start(counter, { id: `w${i}`, input: counterInput(STEPS) })
          const status = yield* instance.status
          if (status._tag !== "Completed") return yield* Effect.die(new Error(`w${i} ended ${status._tag}`))
        }
        return (performance.now() - started) / 1000
      }).pipe(Effect.provide(WorkflowRuntime.layer.pipe(Layer.provideMerge(layer))))
    )
    return [
      { workload: "W1 eventstoredb (runtime)", metric: "steps/s", value: (WORKFLOWS * STEPS) / seconds, kind: "rate" }
    ]
  } finally {
    await stop()
  }
}

const W2_WORKFLOWS = 200
const W2_STEPS = 10

const runtimeW2 = async (): Promise<ReadonlyArray<Figure>> => {
  const { layer, stop } = await storeLayer()
  try {
    const seconds = await Effect.runPromise(
      Effect.gen(function* () {
        const runtime = yield* WorkflowRuntime
        const ids = Array.from({ length: W2_WORKFLOWS }, (_, i) => `w2-${i}`)
        const started = performance.now()
        const instances = yield* Effect.forEach(
          ids,
          (id) => runtime.start(counter, { id, input: counterInput(W2_STEPS) }),
          { concurrency: "unbounded" }
        )
        const seconds = (performance.now() - started) / 1000
        for (const instance of instances) {
          const status = yield* instance.status
          if (status._tag !== "Completed") return yield* Effect.die(new Error(`${instance.id} ended ${status._tag}`))
        }
        return seconds
      }).pipe(Effect.provide(WorkflowRuntime.layer.pipe(Layer.provideMerge(layer))))
    )
    return [
      {
        workload: "W2 eventstoredb (runtime)",
        metric: "steps/s",
        value: (W2_WORKFLOWS * W2_STEPS) / seconds,
        kind: "rate"
      }
    ]
  } finally {
    await stop()
  }
}

/** Events/s of the bare client's `subscribeToAll` from the start until it has seen `count` events. */
const rawCatchUp = async (url: string, prefix: string, count: number): Promise<number> => {
  const client = EventStoreDBClient.connectionString(url)
  const started = performance.now()
  const sub = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [prefix] }) })
  let seen = 0
  await new Promise<void>((resolve) => {
    sub.on("data", () => {
      if (++seen === count) resolve()
    })
  })
  const seconds = (performance.now() - started) / 1000
  await sub.unsubscribe()
  await client.dispose()
  return count / seconds
}

const subscription = async (): Promise<ReadonlyArray<Figure>> => {
  const { layer, stop, url, namespace } = await storeLayer()
  try {
    return await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const store = yield* EventStore
          // The log to catch up on, written in batches of 100 per stream to keep setup short.
          const streams = 200
          const perStream = CATCH_UP / streams
          for (let s = 0; s < streams; s++) {
            const name = `counter-sub${s}`
            for (let from = 0; from < perStream; from += 100) {
              const batch = Array.from({ length: 100 }, (_, i) => event(name, from + i))
              yield* store.append(name, from - 1, batch)
            }
          }
          // Let the store's own registry projection catch up first, so it does not compete for the CPU.
          yield* Stream.runDrain(store.instances({ limit: 1 }))
          let received = 0
          let caughtUpAt = 0
          const delivered: Array<number> = []
          const started = performance.now()
          const fiber = yield* Effect.forkScoped(
            Stream.runForEach(store.subscribe({ filter: { streamPrefixes: ["counter-"] } }), () =>
              Effect.sync(() => {
                received++
                if (received === CATCH_UP) caughtUpAt = performance.now()
                if (received > CATCH_UP) delivered.push(performance.now())
              })
            )
          )
          while (received < CATCH_UP) yield* Effect.sleep(1)
          const catchUpSeconds = (caughtUpAt - started) / 1000
          const latencies: Array<number> = []
          let expected = NoStream
          for (let i = 0; i < LIVE; i++) {
            // From issuing the append: the server pushes the event to subscribers before it answers the append.
            const issued = performance.now()
            expected = (yield* store.append("counter-live", expected, [event("counter-live", i)])).nextExpectedRevision
            while (delivered.length <= i) yield* Effect.yieldNow
            latencies.push(delivered[i]! - issued)
          }
          yield* Fiber.interrupt(fiber)
          const rawRate = yield* Effect.promise(() => rawCatchUp(url, `${namespace}counter-sub`, CATCH_UP))
          // A second store on the same log builds its registry (in memory) from the whole of $all.
          const registryStarted = performance.now()
          yield* Effect.scoped(
            Effect.flatMap(EventStoreDB.make({ connectionString: url, namespace }), (fresh) =>
              Stream.runDrain(fresh.instances({ limit: 1 }))
            )
          )
          const registrySeconds = (performance.now() - registryStarted) / 1000
          return [
            {
              workload: "registry eventstoredb",
              metric: "rebuild events/s",
              value: (CATCH_UP + LIVE) / registrySeconds,
              kind: "rate"
            },
            { workload: "subscription raw client", metric: "catch-up events/s", value: rawRate, kind: "rate" },
            {
              workload: "subscription eventstoredb",
              metric: "catch-up events/s",
              value: CATCH_UP / catchUpSeconds,
              kind: "rate"
            },
            {
              workload: "subscription eventstoredb",
              metric: "live median ms append→delivered",
              value: median(latencies),
              kind: "time"
            }
          ] satisfies ReadonlyArray<Figure>
        }).pipe(Effect.provide(layer))
      )
    )
  } finally {
    await stop()
  }
}

export const eventStoreDBWorkloads: ReadonlyArray<Workload> = [
  {
    name: "W1 eventstoredb (store)",
    description: `${APPENDS} sequential one-event appends to one stream`,
    run: appendsW1
  },
  {
    name: "W1 eventstoredb (runtime)",
    description: `${WORKFLOWS} workflows one after another, ${STEPS} steps each`,
    run: runtimeW1
  },
  {
    name: "W2 eventstoredb (runtime)",
    description: `${W2_WORKFLOWS} workflows of ${W2_STEPS} steps started at once`,
    run: runtimeW2
  },
  {
    name: "subscription eventstoredb",
    description: `catch-up over ${CATCH_UP} events, then ${LIVE} live appends`,
    run: subscription
  }
]

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(
    process.argv
      .slice(2)
      .find((a) => a.startsWith("--runs="))
      ?.slice("--runs=".length) ?? 3
  )
  const where = process.env.EVENTSTORE_URL
    ? `EVENTSTORE_URL=${process.env.EVENTSTORE_URL}`
    : "the in-process test server"
  console.log(`EventStoreDB adapter on ${where}: these figures measure the adapter, client and gRPC, not EventStoreDB.`)
  const samples = new Map<string, { figure: Figure; values: Array<number> }>()
  for (let rep = 0; rep <= runs; rep++) {
    for (const workload of eventStoreDBWorkloads) {
      for (const figure of await workload.run()) {
        console.log(JSON.stringify({ type: rep === 0 ? "warmup" : "sample", rep, ...figure }))
        if (rep === 0) continue
        const key = `${figure.workload} ${figure.metric}`
        const entry = samples.get(key) ?? { figure, values: [] }
        entry.values.push(figure.value)
        samples.set(key, entry)
      }
    }
  }
  for (const { figure, values } of samples.values()) {
    console.log(`${figure.workload.padEnd(28)} ${figure.metric.padEnd(32)} ${median(values).toFixed(2)}`)
  }
}
