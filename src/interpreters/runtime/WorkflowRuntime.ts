/**
 * The runtime interpreter: runs workflow instances against an `EventStore`, one event per completed step.
 *
 * Each instance has an in-memory `Fold` (its position in the definition) that only ever moves forward by events
 * that are durably stored: the runtime computes what an event leads to, appends it with the exact expected
 * revision, and only then moves the fold. Before every operation it reads whatever other processes appended
 * since (usually nothing: one cheap read), so it never replays the whole history on each call, yet never acts
 * on a stale position: an append on a stale position is rejected by the store and surfaces as
 * `ConcurrencyConflict`.
 */
import { Cause, Clock, Context, Effect, Layer, Result, Semaphore, Stream } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import type { Signal } from "../../dsl/Signal.js"
import type { StepContext } from "../../dsl/StepContext.js"
import {
  ConcurrencyConflict,
  describeCause,
  InstanceAlreadyExists,
  InstanceNotFound,
  InvalidInput,
  InvalidInstanceId,
  InvalidSignalPayload,
  StepFailed,
  UnexpectedSignal
} from "../errors.js"
import {
  eventType,
  roundTrip,
  recordedAt,
  recordedStep,
  START_STEP,
  STARTED,
  startedEvent,
  stepEvent,
  streamName
} from "../journal.js"
import { checkInstanceId, DEFAULT_LIMITS, type Limits, resolveLimits } from "../limits.js"
import * as Machine from "../Machine.js"
import { definitionFingerprint, Fold, isReplayError, type Replay } from "../replay.js"
import { type Status, statusOf } from "../Status.js"
import { EventStore, NoStream } from "../store/EventStore.js"
import type { StoreError } from "../store/errors.js"
import type { Instance, JournalEntry, LoadError, SignalError } from "./Instance.js"

/** Why `start` failed. Only `StoreError`s can leave doubt about whether the instance was created. */
export type StartError = InstanceAlreadyExists | InvalidInput | InvalidInstanceId | StepFailed | LoadError

export interface StartOptions<In> {
  /** The instance id, unique per workflow. Starting the same id with the same input again is a no-op. */
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
    /** Start an instance and run it until it waits for a signal, completes or fails. */
    readonly start: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      options: StartOptions<NoInfer<In>>
    ) => Effect.Effect<Instance<In, Out, E, R, S>, StartError, R>
    /** A handle on an existing instance (loaded, i.e. recovered from its history, on first use). */
    readonly get: <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      id: string
    ) => Effect.Effect<Instance<In, Out, E, R, S>, LoadError | InvalidInstanceId>
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

/** Per-instance bookkeeping in this process. */
interface Slot {
  readonly lock: Semaphore.Semaphore
  fold: Fold | undefined
  lastError: string | undefined
  /** Operations holding or waiting for `lock`: a slot in use is never evicted (its lock must stay the only one). */
  users: number
}

export interface RuntimeOptions {
  /**
   * How many instances to keep loaded (their position in the definition) between calls; the least recently used
   * ones beyond that are dropped and rebuilt from the store when next used. Default 10,000.
   */
  readonly maxCachedInstances?: number
  /**
   * Size and depth limits on inputs, signal requests and step events, and the longest instance id (defaults:
   * {@link DEFAULT_LIMITS}). A value over a limit is refused with a typed error before anything runs or is appended.
   */
  readonly limits?: Partial<Limits>
}

/**
 * The current time as ISO-8601, for each recorded event. Formatting a date costs more than the rest of the metadata,
 * and steps that record within the same millisecond (many instances at once) share the last formatted string.
 */
let lastIso = { ms: Number.NaN, iso: "" }
const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => {
  if (ms !== lastIso.ms) lastIso = { ms, iso: new Date(ms).toISOString() }
  return lastIso.iso
})

/** Run a piece of the definition (apply, respond, conditions…) and turn a throw into StepFailed. */
const guard = <A>(stream: string, step: string, f: () => A): Effect.Effect<A, StepFailed> =>
  Effect.try({ try: f, catch: (defect) => new StepFailed({ stream, step, cause: Cause.die(defect) }) })

const make = (options: RuntimeOptions) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const maxCached = options.maxCachedInstances ?? 10_000
    const limits = resolveLimits(options.limits)
    /** Per-instance slots, least recently used first (a Map keeps insertion order). */
    const slots = new Map<string, Slot>()

    const evict = () => {
      for (const [stream, slot] of slots) {
        if (slots.size <= maxCached) return
        if (slot.users === 0) slots.delete(stream)
      }
    }

    /** Run `f` with the instance's slot, holding its lock: operations on one instance never interleave. */
    const withSlot = <A, X, Q>(stream: string, f: (slot: Slot) => Effect.Effect<A, X, Q>): Effect.Effect<A, X, Q> =>
      Effect.suspend(() => {
        let slot = slots.get(stream)
        if (slot === undefined)
          slot = { lock: Semaphore.makeUnsafe(1), fold: undefined, lastError: undefined, users: 0 }
        else slots.delete(stream)
        slots.set(stream, slot)
        const used = slot
        used.users++
        return used.lock
          .withPermits(1)(f(used))
          .pipe(
            Effect.ensuring(
              Effect.sync(() => {
                used.users--
                evict()
              })
            )
          )
      })

    /** Fold in every event appended after what the fold has seen (all of them on first use). */
    const catchUp = (fold: Fold): Effect.Effect<Fold, LoadError> =>
      Stream.suspend(() => store.read(fold.stream, { fromRevision: fold.revision + 1 })).pipe(
        Stream.runForEachArray((events) =>
          Effect.suspend(() => {
            try {
              for (const event of events) fold.add(event)
              return Effect.void
            } catch (error) {
              if (isReplayError(error)) return Effect.fail(error)
              throw error
            }
          })
        ),
        Effect.as(fold)
      )

    /** The instance's fold, up to date with the store. Call with the slot's lock held. */
    const load = (definition: Definition.Any, stream: string, slot: Slot): Effect.Effect<Fold, LoadError> =>
      Effect.gen(function* () {
        const fold = slot.fold ?? new Fold(definition, stream)
        yield* catchUp(fold)
        if (fold.position === undefined) return yield* new InstanceNotFound({ stream })
        slot.fold = fold
        return fold
      })

    /**
     * Record the event of the active step: round-trip it through its Schema, compute where it leads (and, for a
     * signal, the response) BEFORE appending — so a definition that throws appends nothing — then append with the
     * exact expected revision and move the fold. This runs once per step: the pure part is plain code, and only the
     * clock and the append are Effects.
     */
    const record = <A>(
      fold: Fold,
      position: Machine.Active,
      event: unknown,
      reply: (persisted: unknown) => A
    ): Effect.Effect<A, StepFailed | ConcurrencyConflict | StoreError> =>
      Effect.suspend((): Effect.Effect<A, StepFailed | ConcurrencyConflict | StoreError> => {
        const { stream } = fold
        const node = position.node
        const step = node.id!
        const persisted = roundTrip(node.event, event, limits)
        if (Result.isFailure(persisted)) {
          return Effect.fail(
            new StepFailed({
              stream,
              step,
              cause: Cause.die(new Error(`the event does not fit the step's Schema: ${persisted.failure}`))
            })
          )
        }
        const { data, value } = persisted.success
        let next: Machine.Position
        let answer: A
        try {
          next = Machine.feed(position, value)
          answer = reply(value)
        } catch (defect) {
          return Effect.fail(new StepFailed({ stream, step, cause: Cause.die(defect) }))
        }
        const expected = fold.revision
        const revision = expected + 1
        const type = eventType(node.event, value)
        const occurrence = fold.occurrences.get(step) ?? 0
        return Effect.flatMap(nowIso, (at) =>
          store.append(stream, expected, [stepEvent(stream, revision, type, data, { step, occurrence, at })]).pipe(
            Effect.catchTag("WrongExpectedRevision", (e) =>
              Effect.fail(new ConcurrencyConflict({ stream, expected: e.expected, actual: e.actual }))
            ),
            Effect.map(() => {
              fold.commit({ revision, step, type, event: value, at, position: next })
              return answer
            })
          )
        )
      })

    const contextOf = (fold: Fold, stepId: string, instanceId: string): StepContext => {
      const occurrence = fold.occurrences.get(stepId) ?? 0
      const workflow = fold.definition.name
      return {
        workflow,
        instanceId,
        stepId,
        occurrence,
        idempotencyKey: `${workflow}/${instanceId}/${stepId}/${occurrence}`
      }
    }

    /** Run steps until the instance waits, completes or fails; stop at the first step that fails. */
    const drive = (
      fold: Fold,
      slot: Slot,
      instanceId: string
    ): Effect.Effect<void, StepFailed | ConcurrencyConflict | StoreError, any> =>
      Effect.gen(function* () {
        for (;;) {
          const position = fold.position!
          if (position._tag !== "Active" || position.node._tag !== "Step") return
          const node = position.node
          const stream = fold.stream
          const step = node.id!
          const event = yield* Effect.suspend(() => node.run(position.state, contextOf(fold, step, instanceId))).pipe(
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause)
                ? Effect.failCause(cause as Cause.Cause<never>)
                : Effect.fail(new StepFailed({ stream, step, cause }))
            )
          )
          yield* record(fold, position, event, () => undefined)
          slot.lastError = undefined
        }
      }).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            // The status already names the step: keep only why it failed.
            slot.lastError = error._tag === "StepFailed" ? describeCause(error.cause) : error.message
          })
        )
      )

    /** Drive after a start or a signal: the trigger is recorded, so a failing step is reported, not raised. */
    const driveQuietly = (fold: Fold, slot: Slot, instanceId: string) =>
      drive(fold, slot, instanceId).pipe(
        Effect.catch((error) => Effect.logWarning(`${error.message}; call resume to retry`))
      )

    const instance = <In, Out, E, R, S>(
      definition: Definition<In, Out, E, R, S>,
      id: string
    ): Instance<In, Out, E, R, S> => {
      const stream = streamName(definition.name, id)
      const locked = <A, X, Q>(f: (fold: Fold, slot: Slot) => Effect.Effect<A, X, Q>) =>
        withSlot(stream, (slot) => Effect.flatMap(load(definition, stream, slot), (fold) => f(fold, slot)))

      const status = (fold: Fold, slot: Slot): Status<E> => {
        const s = statusOf(fold.position!) as Status<E>
        return s._tag === "Running" && slot.lastError !== undefined ? { ...s, lastError: slot.lastError } : s
      }

      const readAll = Stream.runCollect(store.read(stream))

      return {
        id,
        stream,
        definition,
        state: locked((fold) => Effect.succeed(fold.position!.state as S)),
        status: locked((fold, slot) => Effect.succeed(status(fold, slot))),
        journal: Effect.flatMap(readAll, (events) =>
          events.length === 0
            ? Effect.fail(new InstanceNotFound({ stream }))
            : Effect.succeed(
                events.map(
                  (e): JournalEntry => ({
                    revision: e.revision,
                    step: recordedStep(e) ?? "?",
                    type: e.type,
                    data: e.data,
                    at: recordedAt(e).toISOString(),
                    metadata: e.metadata
                  })
                )
              )
        ),
        replay: Effect.flatMap(
          Effect.suspend(() => catchUp(new Fold(definition, stream, { timeline: true, visits: true }))),
          (fold) => {
            const result = fold.result()
            return result === undefined
              ? Effect.fail(new InstanceNotFound({ stream }))
              : Effect.succeed(result as Replay<S, E>)
          }
        ),
        signal: <Req, Res>(signal: Signal<string, Req, Res>, request: Req) =>
          locked((fold, slot) =>
            Effect.gen(function* () {
              // A step left pending by an earlier failure runs first: the instance cannot be waiting before it did.
              yield* drive(fold, slot, id)
              const position = fold.position!
              if (
                position._tag !== "Active" ||
                position.node._tag !== "AwaitSignal" ||
                position.node.signal.name !== signal.name
              ) {
                const accepted =
                  position._tag === "Active" && position.node._tag === "AwaitSignal" ? [position.node.signal.name] : []
                return yield* new UnexpectedSignal({ stream, signal: signal.name, accepted })
              }
              const node = position.node
              const step = node.id!
              const req = yield* validate(signal, request, stream)
              const handled = yield* guard(stream, step, () =>
                node.handle(position.state, req, contextOf(fold, step, id))
              )
              const event = Effect.isEffect(handled)
                ? yield* handled.pipe(
                    Effect.catchCause((cause) =>
                      Cause.hasInterruptsOnly(cause)
                        ? Effect.failCause(cause as Cause.Cause<never>)
                        : Effect.fail(new StepFailed({ stream, step, cause }))
                    )
                  )
                : handled
              const response = yield* record(fold, position, event, (e) => node.respond(position.state, e, req) as Res)
              yield* driveQuietly(fold, slot, id)
              return response
            })
          ) as Effect.Effect<Res, SignalError, R>,
        resume: locked((fold, slot) =>
          Effect.as(drive(fold, slot, id), undefined).pipe(Effect.map(() => status(fold, slot)))
        ) as Effect.Effect<Status<E>, LoadError | StepFailed | ConcurrencyConflict, R>
      }
    }

    /** Check a request against the signal's Schema (as the JSON it would travel as). */
    const validate = <Req>(signal: Signal<string, Req, any>, request: Req, stream: string) => {
      const checked = roundTrip(signal.request, request, limits)
      return Result.isFailure(checked)
        ? Effect.fail(new InvalidSignalPayload({ stream, signal: signal.name, issue: checked.failure }))
        : Effect.succeed(checked.success.value as Req)
    }

    /** Refuse an id that is not a usable instance id before it names a stream. */
    const checkId = (definition: Definition.Any, id: unknown): Effect.Effect<void, InvalidInstanceId> => {
      const issue = checkInstanceId(id, limits)
      if (issue === undefined) return Effect.void
      const shown = typeof id === "string" ? JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id) : typeof id
      return Effect.fail(new InvalidInstanceId({ workflow: definition.name, id: shown, issue }))
    }

    const start = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, options: StartOptions<In>) =>
      Effect.flatMap(checkId(definition, options?.id), () => startChecked(definition, options))

    const startChecked = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, options: StartOptions<In>) => {
      const stream = streamName(definition.name, options.id)
      return withSlot(stream, (slot) =>
        Effect.gen(function* () {
          const input = roundTrip(definition.input, options.input, limits)
          if (Result.isFailure(input)) return yield* new InvalidInput({ stream, issue: input.failure })
          const { data, value } = input.success
          const fold = new Fold(definition, stream)
          const position = yield* guard(stream, START_STEP, () => Machine.start(fold.root, value))
          const at = yield* nowIso
          const started = startedEvent(stream, data, {
            workflow: definition.name,
            fingerprint: definitionFingerprint(definition),
            at
          })
          yield* store
            .append(stream, NoStream, [started])
            .pipe(Effect.catchTag("WrongExpectedRevision", () => Effect.fail(new InstanceAlreadyExists({ stream }))))
          fold.commit({ revision: 0, step: START_STEP, type: STARTED, event: value, at, position })
          // Starting again with the same input is recognised by the store as the same event: pick up what followed.
          slot.fold = yield* catchUp(fold)
          yield* driveQuietly(fold, slot, options.id)
          return instance(definition, options.id)
        })
      ) as Effect.Effect<Instance<In, Out, E, R, S>, StartError, R>
    }

    const get = <In, Out, E, R, S>(definition: Definition<In, Out, E, R, S>, id: string) =>
      Effect.flatMap(checkId(definition, id), () => {
        const handle = instance(definition, id)
        return Effect.as(handle.status, handle)
      })

    const list = (definition: Definition.Any) =>
      Stream.map(store.instances({ workflow: definition.name }), (row) => row.instanceId)

    return WorkflowRuntime.of({ start, get, list })
  })

const layer: Layer.Layer<WorkflowRuntime, never, EventStore> = Layer.effect(WorkflowRuntime, make({}))
