// The runtime on EventStoreDB (test server): both examples end to end with the same journals as on the memory store,
// recovery by a new runtime over a new connection, the registry after a restart, and two runtimes (each with its
// own connection, as two processes would have) racing on one instance.
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit, Layer, Option, Scope, Stream } from "effect"
import { EventStoreDB } from "durable-monad/eventstoredb"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { expenseReport, Paid, Payments, Policy, Review, Submitted } from "../../../examples/expense-report.js"
import { CreatePR, Empty, Merged, Pipeline, pullRequest, ReviewPR } from "../../../examples/pull-request.js"
import { type EventStore, WorkflowRuntime } from "../../../src/index.js"
import { startTestServer, type TestServer } from "../../support/eventstoredb/TestServer.js"
import { memoryStore, runOn } from "../../support.js"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "durable-esdb-runtime-"))
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))
const servers: Array<TestServer> = []
const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  for (const scope of scopes.splice(0).reverse()) await Effect.runPromise(Scope.close(scope, Exit.void))
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

const server = async () => {
  const s = await startTestServer()
  servers.push(s)
  return s
}

/** A store over its own connection (a process of its own, as far as the server can tell), closed after the test. */
const connect = async (
  options: Parameters<typeof EventStoreDB.make>[0]
): Promise<{ store: EventStore["Service"]; close: () => Promise<void> }> => {
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const store = await Effect.runPromise(Scope.provide(scope)(EventStoreDB.make(options)))
  return {
    store,
    close: async () => {
      scopes.splice(scopes.indexOf(scope), 1)
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
}

const pipeline = () => {
  const calls: Array<string> = []
  const layer = Layer.succeed(Pipeline, {
    run: (commit, key) =>
      Effect.sync(() => {
        calls.push(`${commit} ${key}`)
        return "all 12 checks passed"
      })
  })
  return { calls, layer }
}

const expenses = () => {
  const calls: Array<string> = []
  const layer = Layer.mergeAll(
    Layer.succeed(Policy, { check: (_, amount) => Effect.succeed(amount > 10_000 ? ["over the 10,000 limit"] : []) }),
    Layer.succeed(Payments, {
      schedule: (employee, amount, key) =>
        Effect.sync(() => {
          calls.push(`schedule ${employee} ${amount} ${key}`)
          return `PAY-${calls.length}`
        }),
      notify: (employee, message) => Effect.sync(() => void calls.push(`notify ${employee}: ${message}`))
    })
  )
  return { calls, layer }
}

const pullRequestScenario = (store: EventStore["Service"], id: string, ci: ReturnType<typeof pipeline>) =>
  runOn(
    store,
    Effect.gen(function* () {
      const pr = yield* (yield* WorkflowRuntime).start(pullRequest, { id, input: new Empty() })
      // Keyed signals: the journal records the sender's key instead of a random nonce, so two runs compare equal.
      yield* pr.signal(CreatePR, { commit: "a1b2c3" }, { idempotencyKey: "create" })
      yield* pr.signal(ReviewPR, { approve: true }, { idempotencyKey: "review" })
      return { journal: yield* pr.journal, state: yield* pr.state, status: yield* pr.status }
    }).pipe(Effect.provide(ci.layer))
  )

const expenseScenario = (store: EventStore["Service"], id: string, deps: ReturnType<typeof expenses>) =>
  runOn(
    store,
    Effect.gen(function* () {
      const report = yield* (yield* WorkflowRuntime).start(expenseReport, {
        id,
        input: new Submitted({ employee: "bob", amount: 500, rounds: 0 })
      })
      yield* report.signal(Review, { by: "carol", decision: "approve", comment: "fine" }, { idempotencyKey: "review" })
      return { journal: yield* report.journal, state: yield* report.state, status: yield* report.status }
    }).pipe(Effect.provide(deps.layer))
  )

const recoverState = <R>(
  store: EventStore["Service"],
  definition: typeof pullRequest | typeof expenseReport,
  id: string,
  layer: Layer.Layer<R>
) =>
  runOn(
    store,
    Effect.gen(function* () {
      const instance = yield* (yield* WorkflowRuntime).get(definition as typeof pullRequest, id)
      return { state: yield* instance.state, status: yield* instance.status }
    }).pipe(Effect.provide(layer as never))
  )

describe("runtime on EventStoreDB (test server)", () => {
  it("pull-request: the same journal as on the memory store; a new runtime over a new connection recovers it", async () => {
    const s = await server()
    const onMemory = await pullRequestScenario(memoryStore(), "42", pipeline())
    const first = await connect(s.url)
    const ci = pipeline()
    const onEsdb = await pullRequestScenario(first.store, "42", ci)
    expect(onEsdb).toEqual(onMemory)
    expect(onEsdb.state).toEqual(new Merged({ commit: "a1b2c3" }))
    expect(ci.calls).toEqual(["a1b2c3 pullRequest/42/run-pipeline/0"])
    await first.close()

    const second = await connect(s.url)
    const recovered = await recoverState(second.store, pullRequest, "42", ci.layer)
    expect(recovered).toEqual({ state: onEsdb.state, status: { _tag: "Completed" } })
    expect(ci.calls).toHaveLength(1)
    // On the server: one stream per instance, named <workflow>-<id>, each event correlated to it.
    const onServer = s.log.all.filter((r) => r.stream.startsWith("pullRequest-"))
    expect(new Set(onServer.map((r) => r.stream))).toEqual(new Set(["pullRequest-42"]))
    expect(onServer.map((r) => JSON.parse(Buffer.from(r.metadata).toString()).$correlationId)).toEqual(
      onServer.map(() => "pullRequest-42")
    )
  })

  it("expense-report: the same journal and side effects as on the memory store, and recovery", async () => {
    const s = await server()
    const memoryDeps = expenses()
    const onMemory = await expenseScenario(memoryStore(), "7", memoryDeps)
    const { store } = await connect(s.url)
    const deps = expenses()
    const onEsdb = await expenseScenario(store, "7", deps)
    expect(onEsdb).toEqual(onMemory)
    expect(onEsdb.state).toBeInstanceOf(Paid)
    expect(deps.calls).toEqual(memoryDeps.calls)
    const again = await connect(s.url)
    expect(await recoverState(again.store, expenseReport, "7", deps.layer)).toEqual({
      state: onEsdb.state,
      status: onEsdb.status
    })
    expect(deps.calls).toEqual(memoryDeps.calls)
  })

  it("the registry after a restart: list() over a restarted store with a registry file, without re-reading $all", async () => {
    const s = await server()
    const registryFile = Path.join(dir, "runtime-registry.db")
    const first = await connect({ connectionString: s.url, registryFile })
    for (const id of ["1", "2", "3"]) await pullRequestScenario(first.store, id, pipeline())
    await first.close()
    const sentBefore = s.subscriptionEventsSent()
    const second = await connect({ connectionString: s.url, registryFile })
    const listed = await runOn(
      second.store,
      Effect.flatMap(WorkflowRuntime, (runtime) => Stream.runCollect(runtime.list(pullRequest)))
    )
    expect([...listed]).toEqual(["1", "2", "3"])
    expect(s.subscriptionEventsSent() - sentBefore).toBe(0)
    // The same row as the memory store projects from the same history (status and wake-up from the runtime's metadata).
    const memory = memoryStore()
    await pullRequestScenario(memory, "2", pipeline())
    const expected = Option.getOrThrow(await Effect.runPromise(memory.instance("pullRequest-2")))
    const row = Option.getOrThrow(await Effect.runPromise(second.store.instance("pullRequest-2")))
    expect(row).toMatchObject({ workflow: "pullRequest", instanceId: "2", revision: 3 })
    expect({ status: row.status, wakeAt: row.wakeAt }).toEqual({ status: expected.status, wakeAt: expected.wakeAt })
  })

  it("two runtimes on two connections race on one instance: one append wins the revision, the loser reloads", async () => {
    const s = await server()
    const a = await connect(s.url)
    const b = await connect(s.url)
    const ci = pipeline()
    await runOn(
      a.store,
      Effect.asVoid(
        Effect.flatMap(WorkflowRuntime, (r) => r.start(pullRequest, { id: "race", input: new Empty() }))
      ).pipe(Effect.provide(ci.layer))
    )
    const signal = (store: EventStore["Service"], commit: string) =>
      runOn(
        store,
        Effect.gen(function* () {
          const pr = yield* (yield* WorkflowRuntime).get(pullRequest, "race")
          yield* pr.signal(CreatePR, { commit })
          return commit
        }).pipe(Effect.provide(ci.layer))
      )
    const outcomes = await Promise.allSettled([signal(a.store, "aaaaaa"), signal(b.store, "bbbbbb")])
    const winners = outcomes.filter((o) => o.status === "fulfilled").map((o) => o.value)
    const losers = outcomes.filter((o) => o.status === "rejected").map((o) => String(o.reason))
    expect(winners).toHaveLength(1)
    expect(losers).toHaveLength(1)
    expect(losers[0]).toMatch(/ConcurrencyConflict|another writer got there first|UnexpectedSignal|not expected/)
    const winner = winners[0]!
    // The loser's runtime reloads on its next use and carries on from the winner's event.
    const done = await runOn(
      winner === "aaaaaa" ? b.store : a.store,
      Effect.gen(function* () {
        const pr = yield* (yield* WorkflowRuntime).get(pullRequest, "race")
        yield* pr.signal(ReviewPR, { approve: true })
        return { state: yield* pr.state, status: yield* pr.status }
      }).pipe(Effect.provide(ci.layer))
    )
    expect(done).toEqual({ state: new Merged({ commit: winner }), status: { _tag: "Completed" } })
    const events = s.log.all.filter((r) => r.stream === "pullRequest-race")
    expect(events.map((r) => [Number(r.revision), r.type])).toEqual([
      [0, "WorkflowStarted"],
      [1, "PRCreated"],
      [2, "PipelineFinished"],
      [3, "PRReviewed"]
    ])
    expect(JSON.parse(Buffer.from(events[1]!.data).toString())).toEqual({ _tag: "PRCreated", commit: winner })
  })
})
