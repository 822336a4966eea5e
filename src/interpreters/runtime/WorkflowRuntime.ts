/**
 * The v1 runtime API, kept for callers that provide a step's services with each call: `start`, `get`, `list`. It is
 * a facade over the worker's engine (`Worker`), with v1's policy: a step whose Effect fails is recorded as one
 * failed attempt and parked — `status` shows it, `resume` (or the next signal) tries again. New code should use
 * `Worker`, which binds services at registration and runs, retries and recovers instances by itself.
 */
import { Context, Effect, Layer, Stream } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import type { InstanceAlreadyExists, InvalidInput, StepFailed } from "../errors.js"
import { EventStore } from "../store/EventStore.js"
import type { StoreError } from "../store/errors.js"
import { type EngineOptions, makeEngine } from "./Engine.js"
import { handleOf } from "./handle.js"
import type { Instance, LoadError } from "./Instance.js"

/** Why `start` failed. Only `StoreError`s can leave doubt about whether the instance was created. */
export type StartError = InstanceAlreadyExists | InvalidInput | StepFailed | LoadError

export interface StartOptions<In> {
  /**
   * The instance id, unique per workflow. Starting the same id again with an equal input (by the input's Schema)
   * is a no-op that returns the instance; with another input it fails with `InstanceAlreadyExists`.
   */
  readonly id: string
  readonly input: In
}

/**
 * The workflow runtime service. Provide `WorkflowRuntime.layer` plus an `EventStore` layer.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { MemoryStore, WorkflowRuntime } from "durable-monad"
 * import { CreatePR, pullRequest, Pipeline } from "../examples/pull-request.js"
 *
 * const program = Effect.gen(function* () {
 *   const runtime = yield* WorkflowRuntime
 *   const pr = yield* runtime.start(pullRequest, { id: "42", input: { _tag: "Empty" } })
 *   yield* pr.signal(CreatePR, { commit: "a1b2c3" })
 *   return yield* pr.status
 * })
 * program.pipe(Effect.provide(WorkflowRuntime.layer.pipe(Layer.provide(MemoryStore.layer))))
 * ```
 */
export class WorkflowRuntime extends Context.Service<
  WorkflowRuntime,
  {
    /** Start an instance and run it until it waits for a signal, completes, fails or a step fails. */
    readonly start: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      options: StartOptions<NoInfer<In>>
    ) => Effect.Effect<Instance<In, Out, E, R, S>, StartError, R>
    /** A handle on an existing instance (loaded, i.e. recovered from its history, on first use). */
    readonly get: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      id: string
    ) => Effect.Effect<Instance<In, Out, E, R, S>, LoadError>
    /** Ids of the instances of a workflow, in ascending order. */
    readonly list: (definition: Definition.Any) => Stream.Stream<string, StoreError>
  }
>()("durable-monad/WorkflowRuntime") {
  /** The runtime over whatever `EventStore` is provided. */
  static get layer(): Layer.Layer<WorkflowRuntime, never, EventStore> {
    return layer
  }

  /** The runtime with options (e.g. how many instances it keeps loaded). */
  static layerWith(options: RuntimeOptions): Layer.Layer<WorkflowRuntime, never, EventStore> {
    return Layer.effect(WorkflowRuntime, make(options))
  }
}

export interface RuntimeOptions {
  /**
   * How many instances to keep loaded (their position in the definition) between calls; the least recently used
   * ones beyond that are dropped and rebuilt from the store when next used. Default 10,000.
   */
  readonly maxCachedInstances?: number
  /**
   * How long this runtime's lease on an instance lasts while it runs the instance's steps (ms, default 10,000). A
   * process that dies holding one delays other processes' runs of that instance by at most this long.
   */
  readonly leaseTtlMs?: number
}

const make = (options: RuntimeOptions) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const engineOptions: EngineOptions = {
      maxAttempts: 1,
      retryOnSignal: true,
      shutdownWithScope: false,
      // No renewal loop here (callers drive everything): give the lease up as soon as the instance settles.
      leaseRetention: "drain",
      ...(options.maxCachedInstances === undefined ? {} : { maxCachedInstances: options.maxCachedInstances }),
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs })
    }
    const engine = yield* makeEngine(store, engineOptions)

    /** v1: the services of a step come from the caller of each operation that may run steps. */
    const registered = <R>(definition: Definition.Any) =>
      Effect.map(Effect.context<R>(), (services) => engine.register(definition, services))

    const handle = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, id: string) => {
      const registration =
        engine.registrationOf(definition) ?? engine.register(definition, Context.empty() as Context.Context<any>)
      return handleOf<In, Out, E, R, S>(engine, store, registration, id, Effect.asVoid(registered<R>(definition)))
    }

    const start = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, options: StartOptions<In>) =>
      Effect.gen(function* () {
        const registration = yield* registered<R>(definition)
        yield* engine.start(registration, options.id, options.input, true)
        return handle(definition, options.id)
      }) as Effect.Effect<Instance<In, Out, E, R, S>, StartError, R>

    const get = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, id: string) => {
      const h = handle(definition, id)
      return Effect.as(h.status, h)
    }

    const list = (definition: Definition.Any) =>
      Stream.map(store.instances({ workflow: definition.name }), (row) => row.instanceId)

    return WorkflowRuntime.of({ start, get, list })
  })

const layer: Layer.Layer<WorkflowRuntime, never, EventStore> = Layer.effect(WorkflowRuntime, make({}))
