/**
 * The worker: it owns the instances of the definitions registered with it. Definitions are registered once, with
 * the services their steps need; callers then start, signal and query instances without providing anything. The
 * worker runs steps (one actor per instance), records failed attempts and retries them, resumes by itself what is
 * runnable after a restart (through the store's registry and wake-ups), fires durable timers (one armed timer for
 * the earliest wake-up; a sleeping instance holds no memory and no fiber), takes a lease on an instance while it runs
 * its steps so several worker processes can share one store, and drains running steps when its scope closes.
 */
import { Context, Effect, Layer, Schedule, type Scope } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import type { Signal } from "../../dsl/Signal.js"
import { DefinitionNotRegistered, type InvalidInstanceId } from "../errors.js"
import type { Status } from "../Status.js"
import { EventStore } from "../store/EventStore.js"
import type { StoreError } from "../store/errors.js"
import { type EngineOptions, makeEngine } from "./Engine.js"
import { handleOf } from "./handle.js"
import type { Instance, LoadError, SignalError, SignalOptions } from "./Instance.js"
import type { StartError } from "./WorkflowRuntime.js"

export interface WorkerStartOptions<In> {
  /**
   * The instance id, unique per workflow. Starting the same id again with an equal input (by the input's Schema)
   * returns the existing instance; with another input it fails with `InstanceAlreadyExists`.
   */
  readonly id: string
  readonly input: In
  /** Wait until the instance has settled (waits for a signal, ended, or is parked on an incident). Default true. */
  readonly wait?: boolean
}

/** A worker's own options; see {@link EngineOptions} for retries, leases and polling. */
export type WorkerOptions = Omit<EngineOptions, "retryOnSignal" | "shutdownWithScope" | "leaseRetention">

/**
 * The worker service. Provide `Worker.layer()` plus an `EventStore` layer; register each definition with the
 * services its steps need.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { MemoryStore, Worker } from "durable-monad"
 * import { CreatePR, Empty, Pipeline, pullRequest } from "../examples/pull-request.js"
 *
 * declare const PipelineLive: Layer.Layer<Pipeline>
 * const program = Effect.gen(function* () {
 *   const worker = yield* Worker
 *   yield* worker.register(pullRequest, PipelineLive)
 *   const pr = yield* worker.start(pullRequest, { id: "42", input: new Empty() })
 *   yield* pr.signal(CreatePR, { commit: "a1b2c3" })
 *   return yield* pr.status
 * })
 * program.pipe(Effect.provide(Worker.layer().pipe(Layer.provide(MemoryStore.layer))))
 * ```
 */
export class Worker extends Context.Service<
  Worker,
  {
    /**
     * Register a definition with the services its steps and signal handlers need (built once, in the worker's
     * scope), then run every instance of it that has runnable work (after a restart: without anyone calling
     * `resume`). Registering a definition again replaces its services.
     */
    readonly register: <In, Out, E, R, S, X>(
      definition: Definition<In, Out, E, R, S>,
      services: Layer.Layer<R, X>
    ) => Effect.Effect<void, X | StoreError>
    /** Start an instance (by default: and wait until it has settled). */
    readonly start: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      options: WorkerStartOptions<NoInfer<In>>
    ) => Effect.Effect<Instance<In, Out, E, never, S>, StartError | DefinitionNotRegistered>
    /** A handle on an existing instance. */
    readonly get: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      id: string
    ) => Effect.Effect<Instance<In, Out, E, never, S>, LoadError | InvalidInstanceId | DefinitionNotRegistered>
    /** Send a signal to instance `id` (see `Instance.signal`). */
    readonly signal: <In, Out, E, R, S, Req, Res>(
      definition: Definition<In, Out, E, R, S>,
      id: string,
      signal: Signal<string, Req, Res>,
      request: NoInfer<Req>,
      options?: SignalOptions
    ) => Effect.Effect<Res, SignalError | InvalidInstanceId | DefinitionNotRegistered>
    /** The status of instance `id`: answers at once, even while one of its steps runs. */
    readonly status: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      id: string
    ) => Effect.Effect<Status<E>, LoadError | InvalidInstanceId | DefinitionNotRegistered>
    /** Look for runnable instances now (the worker also does it every `pollIntervalMs`). */
    readonly poll: Effect.Effect<void>
    /** This worker's id in leases. */
    readonly owner: string
  }
>()("durable-monad/Worker") {
  /** A worker over whatever `EventStore` is provided; it drains running steps when its scope closes. */
  static layer(options: WorkerOptions = {}): Layer.Layer<Worker, never, EventStore> {
    return Layer.effect(Worker, make(options))
  }
}

const make = (options: WorkerOptions): Effect.Effect<Worker["Service"], never, EventStore | Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const engine = yield* makeEngine(store, options)
    const scope = yield* Effect.scope

    const registrationOf = (definition: Definition.Any) => {
      const registration = engine.registrationOf(definition)
      return registration === undefined
        ? Effect.fail(new DefinitionNotRegistered({ workflow: definition.name }))
        : Effect.succeed(registration)
    }

    const register = <R, X>(definition: Definition.Any, services: Layer.Layer<R, X>) =>
      Effect.gen(function* () {
        const context = yield* Layer.buildWithScope(services, scope)
        const registration = engine.register(definition, context)
        // The instances left running, then the timers that fell due while no worker ran: woken in the background,
        // a few at a time; the earliest future timer is armed.
        yield* engine.recover(registration, false)
        yield* engine.wakeBacklog(registration)
        yield* engine.armNext
      })

    const handle = <In, Out, E, S>(definition: Definition<In, Out, E, any, S>, id: string) =>
      Effect.flatMap(engine.checkId(definition, id), () =>
        Effect.map(registrationOf(definition), (registration) =>
          handleOf<In, Out, E, never, S>(engine, store, registration, id)
        )
      )

    const start = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, options: WorkerStartOptions<In>) =>
      Effect.gen(function* () {
        yield* engine.checkId(definition, options?.id)
        const registration = yield* registrationOf(definition)
        yield* engine.start(registration, options.id, options.input, options.wait !== false)
        return yield* handle(definition, options.id)
      })

    const get = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, id: string) =>
      Effect.gen(function* () {
        const h = yield* handle(definition, id)
        yield* h.status
        return h
      })

    // Periodically: renew leases, wake instances whose wake-up is due, take over runnable instances nobody runs.
    yield* Effect.forkIn(Effect.repeat(Effect.ignore(engine.poll), Schedule.spaced(engine.pollIntervalMs)), scope)
    yield* Effect.forkIn(Effect.repeat(Effect.ignore(engine.renewLeases), Schedule.spaced(engine.leaseRenewMs)), scope)

    return Worker.of({
      register: register as Worker["Service"]["register"],
      start: start as Worker["Service"]["start"],
      get: get as Worker["Service"]["get"],
      signal: ((
        definition: Definition.Any,
        id: string,
        signal: Signal<string, any, any>,
        request: unknown,
        o?: SignalOptions
      ) => Effect.flatMap(handle(definition, id), (h) => h.signal(signal, request, o))) as Worker["Service"]["signal"],
      status: ((definition: Definition.Any, id: string) =>
        Effect.flatMap(handle(definition, id), (h) => h.status)) as Worker["Service"]["status"],
      poll: Effect.ignore(engine.poll),
      owner: engine.owner
    })
  })
