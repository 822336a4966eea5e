/**
 * The engine behind the `Worker` (and the v1 `WorkflowRuntime` facade): registered definitions, one actor per
 * loaded instance, leases, recovery and polling. Every event it appends is computed from the fold's last committed
 * position with the pure machine, appended with the exact expected revision, and only then committed to the fold.
 */
import * as Crypto from "node:crypto"
import { Cause, Clock, Context, Deferred, Effect, Exit, Fiber, Option, Result, Schema, Stream } from "effect"
import type { CompiledAwaitSignal, CompiledStep } from "../../dsl/CompiledNode.js"
import type { Definition } from "../../dsl/Definition.js"
import { RetriesExhausted } from "../../dsl/RetriesExhausted.js"
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
  ATTEMPT_FAILED,
  eventType,
  jsonCodec,
  KEY_PREFIX,
  NONCE_PREFIX,
  type Projected,
  RETRIES_EXHAUSTED,
  roundTrip,
  START_STEP,
  STARTED,
  STEP_RAISED,
  startedEvent,
  TIMER_FIRED,
  TIMER_STARTED,
  stepEvent,
  streamName
} from "../journal.js"
import { checkInstanceId, type Limits, resolveLimits } from "../limits.js"
import * as Machine from "../machine/index.js"
import { definitionFingerprint, Fold, isReplayError } from "../replay.js"
import type { Status } from "../Status.js"
import { encodeDeclared } from "../stepErrors.js"
import { nextDelay } from "./retryDelay.js"
import { type EventData, type EventStore, type Lease, NoStream } from "../store/EventStore.js"
import type { StoreError } from "../store/errors.js"
import type { Actor, Command } from "./Actor.js"
import type { LoadError } from "./Instance.js"
import { Lock } from "./Lock.js"
import { makeRegistration, type Registration } from "./Registration.js"

export interface EngineOptions {
  /** How many instances to keep loaded between calls (least recently used idle ones are dropped). Default 10,000. */
  readonly maxCachedInstances?: number
  /**
   * Failed attempts of a step's Effect before the instance is parked as an incident (until `resume`, or the next
   * start of a worker). Default 3.
   */
  readonly maxAttempts?: number
  /** Pause between two attempts of a failing step, ms. Default 1,000. */
  readonly retryDelayMs?: number
  /** How long a lease on an instance lasts without renewal, ms. Default 10,000; renewed every third of it. */
  readonly leaseTtlMs?: number
  /** How often the worker looks for runnable instances it does not run (e.g. of a process that died), ms. */
  readonly pollIntervalMs?: number
  /** A signal first retries a step parked on an incident (v1's `WorkflowRuntime` behaviour). Default false. */
  readonly retryOnSignal?: boolean
  /**
   * When to give an instance's lease up: `"drain"` as soon as the instance settles, `"idle"` when it has been idle
   * for a renewal period (so an instance that goes on soon — a signal, a retry — does not take it again). Default
   * `"idle"`; `"idle"` needs the worker's renewal loop.
   */
  readonly leaseRetention?: "drain" | "idle"
  /** Drain running steps and stop when the engine's scope closes. Default true. */
  readonly shutdownWithScope?: boolean
  /**
   * Identifies this worker in leases. Default: a random UUID per process — then a restarted process waits up to
   * `leaseTtlMs` for the leases its predecessor held. Give each worker of a deployment a stable id (its host and
   * slot, say) and a restarted worker takes its own leases back at once.
   */
  readonly owner?: string
  /**
   * Size and depth limits on inputs, signal requests and step events, and the longest instance id (defaults:
   * `DEFAULT_LIMITS`). A value over a limit is refused with a typed error before anything runs or is appended.
   */
  readonly limits?: Partial<Limits>
}

export type StepError = StepFailed | ConcurrencyConflict | StoreError

let lastIso = { ms: Number.NaN, iso: "" }
/** The ISO time of `ms`; steps recorded within one millisecond share the formatted string. */
const isoOf = (ms: number): string => {
  if (ms !== lastIso.ms) lastIso = { ms, iso: new Date(ms).toISOString() }
  return lastIso.iso
}

const guard = <A>(stream: string, step: string, f: () => A): Effect.Effect<A, StepFailed> =>
  Effect.try({ try: f, catch: (defect) => new StepFailed({ stream, step, cause: Cause.die(defect) }) })

/** How many instances of a registration's backlog of due wake-ups are woken at once. */
const CATCH_UP_CONCURRENCY = 16
/** How long the backlog may hold the event loop before the timers that fell due meanwhile get a turn, ms. */
const CATCH_UP_SLICE_MS = 4

/** A store that has no leases (an older backend) answers their calls with a StoreError saying so. */
const unsupported = (error: StoreError) => /not (yet )?(implemented|supported)/i.test(error.message)

export const makeEngine = (store: EventStore["Service"], options: EngineOptions) =>
  Effect.gen(function* () {
    const maxCached = options.maxCachedInstances ?? 10_000
    const limits = resolveLimits(options.limits)
    const maxAttempts = Math.max(1, options.maxAttempts ?? 3)
    const retryDelayMs = options.retryDelayMs ?? 1_000
    const leaseTtlMs = options.leaseTtlMs ?? 10_000
    const owner = options.owner ?? Crypto.randomUUID()
    const scope = yield* Effect.scope
    // The clock of the engine's fibers (drains, the alarm), read without an Effect: the step loop asks for the time
    // at every step, and `Clock.currentTimeMillis` is two operations of the fiber's loop each time.
    const clock = yield* Clock.Clock
    const registrations = new Map<Definition.Any, Registration>()
    /** Loaded instances by registration and stream, least recently used first. */
    const actors = new Map<string, Actor>()
    const drains = new Set<Fiber.Fiber<void, never>>()
    let closing = false
    /** Whether the store has leases (false once it answered that it has none: one process only). */
    let leasesSupported = true

    const keyOf = (registration: Registration, stream: string) => `${registration.index}\u0000${stream}`

    const evict = () => {
      for (const [key, actor] of actors) {
        if (actors.size <= maxCached) return
        if (actor.users === 0 && !actor.draining && actor.mailbox.length === 0 && actor.lease === undefined) {
          actors.delete(key)
        }
      }
    }

    const actorOf = (registration: Registration, instanceId: string): Actor => {
      const stream = streamName(registration.definition.name, instanceId)
      const key = keyOf(registration, stream)
      let actor = actors.get(key)
      if (actor === undefined) {
        actor = {
          key,
          stream,
          instanceId,
          registration,
          definition: registration.definition,
          foldLock: new Lock(),
          fold: undefined,
          mailbox: [],
          draining: false,
          settled: undefined,
          lease: undefined,
          startedHere: false,
          blocked: false,
          force: false,
          lastRun: undefined,
          lastFailure: undefined,
          running: undefined,
          interrupted: false,
          idlePasses: 0,
          users: 0
        }
      } else actors.delete(key)
      actors.set(key, actor)
      evict()
      return actor
    }

    /** Run `f` while marking the actor in use (so it is not evicted meanwhile). */
    const using = <A, E, R>(actor: Actor, f: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        actor.users++
        return Effect.ensuring(
          f,
          Effect.sync(() => {
            actor.users--
          })
        )
      })

    // ---- the fold: catch up, load ----

    /** Fold in every event appended after what the fold has seen. Call with `foldLock` held. */
    const catchUp = (fold: Fold): Effect.Effect<Fold, LoadError> =>
      Effect.suspend(() =>
        Effect.as(
          Stream.runForEachArray(store.read(fold.stream, { fromRevision: fold.revision + 1 }), (events) =>
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
          fold
        )
      )

    /** The actor's fold, up to date with the store (`InstanceNotFound` for an empty stream). Holds `foldLock`. */
    const load = (actor: Actor): Effect.Effect<Fold, LoadError> =>
      actor.foldLock.run(() => {
        const fold = actor.fold ?? new Fold(actor.definition, actor.stream)
        return Effect.flatMap(catchUp(fold), () => {
          if (fold.position === undefined) return Effect.fail(new InstanceNotFound({ stream: actor.stream }))
          actor.fold = fold
          return Effect.succeed(fold)
        })
      })

    /**
     * The projected metadata of an event that leads to `position` (what the registry reads): `Running` while a step
     * or a timer's start is to be done now, and the wake-up of its earliest started timer. (A failed attempt's event
     * writes its own: the retry's time.)
     */
    const projected = (fold: Fold, position: Machine.Position): Projected => {
      const status = Machine.statusTag(fold.workflow, position)
      // The fold keeps this answer: the step loop asks again for the same position next.
      const at = Machine.nextWakeUp(fold.pendingAt(position))
      return at === undefined ? { status } : { status, wakeAt: at }
    }

    /**
     * Whether the fold is still the one this process's start made, in the drain that start began (see
     * `Actor.startedHere`): then it need not be read back.
     */
    const startFold = (actor: Actor, fold: Fold): boolean => actor.startedHere && fold.revision === 0

    const ran = Effect.succeed("ran" as const)

    /**
     * Append one event at the fold's next revision and commit it: `ran`. Holds `foldLock`; `expected` is the revision
     * the event was computed at: if the fold moved meanwhile (another process's event was read) or the store's stream
     * did, nothing is appended, and the answer is what `conflict` makes of the `ConcurrencyConflict` (most callers
     * just read again).
     */
    const append = <X>(
      actor: Actor,
      fold: Fold,
      expected: number,
      event: EventData,
      commit: () => void,
      conflict: (conflict: ConcurrencyConflict) => X
    ): Effect.Effect<"ran" | X, StoreError> =>
      actor.foldLock.run(() => {
        if (fold.revision !== expected) {
          return Effect.succeed(
            conflict(new ConcurrencyConflict({ stream: fold.stream, expected, actual: fold.revision }))
          )
        }
        // One continuation for both outcomes (every step's event comes through here).
        return Effect.matchEffect(store.append(fold.stream, expected, [event]), {
          onSuccess: (): Effect.Effect<"ran" | X> => {
            commit()
            return ran
          },
          onFailure: (e) =>
            e._tag === "WrongExpectedRevision"
              ? Effect.succeed(
                  conflict(new ConcurrencyConflict({ stream: fold.stream, expected: e.expected, actual: e.actual }))
                )
              : Effect.fail(e)
        })
      })

    const moved = () => "moved" as const

    /** `append`: `ran` once committed, `moved` when another writer moved the stream first (nothing appended). */
    const appended = (
      actor: Actor,
      fold: Fold,
      expected: number,
      event: EventData,
      commit: () => void
    ): Effect.Effect<"ran" | "moved", StoreError> => append(actor, fold, expected, event, commit, moved)

    const contextOf = (fold: Fold, actor: Actor, stepId: string, attempt: number): StepContext => {
      const occurrence = fold.occurrence(stepId)
      const workflow = fold.definition.name
      return {
        workflow,
        instanceId: actor.instanceId,
        stepId,
        occurrence,
        attempt,
        idempotencyKey: `${workflow}/${actor.instanceId}/${stepId}/${occurrence}`
      }
    }

    // ---- leases ----

    /** Hold the instance's lease (acquire, or keep it); false while another process holds it. */
    const holdLease = (actor: Actor): Effect.Effect<boolean, StoreError> =>
      Effect.suspend(() => {
        if (!leasesSupported) return Effect.succeed(true)
        if (actor.lease !== undefined) return Effect.succeed(true)
        return store.acquireLease(actor.stream, owner, leaseTtlMs).pipe(
          Effect.map((lease) => {
            if (Option.isNone(lease)) return false
            actor.lease = lease.value
            return true
          }),
          Effect.catch((error) => {
            if (!unsupported(error)) return Effect.fail(error)
            leasesSupported = false
            return Effect.as(
              Effect.logWarning(`the store has no leases: only one worker process may run on it (${error.message})`),
              true
            )
          })
        )
      })

    const releaseLease = (actor: Actor): Effect.Effect<void> =>
      Effect.suspend(() => {
        const lease = actor.lease
        actor.lease = undefined
        return lease === undefined ? Effect.void : Effect.ignore(store.releaseLease(lease))
      })

    /**
     * Renew every held lease, and give up those of instances idle since the last pass; an actor whose lease was lost
     * takes it again (after catching up) before its next step.
     */
    const renewLeases = Effect.suspend(() =>
      Effect.forEach(
        [...actors.values()].filter((a) => a.lease !== undefined),
        (actor) => {
          if (!actor.draining && actor.mailbox.length === 0 && actor.idlePasses++ >= 1) return releaseLease(actor)
          return store.renewLease(actor.lease!, leaseTtlMs).pipe(
            Effect.tap((renewed) =>
              Effect.sync(() => {
                actor.lease = Option.getOrUndefined(renewed)
              })
            ),
            Effect.ignore
          )
        },
        // All at once: a store that group-commits (SQLite) writes them in one transaction instead of one each.
        { concurrency: "unbounded", discard: true }
      )
    )

    // ---- running steps ----

    /**
     * The step's Effect with the registration's services over the running fiber's context. The merged context is
     * kept while neither changes: merging per step copied the context and rebuilt the fiber's cache every time.
     */
    const stepContexts = new WeakMap<
      Context.Context<any>,
      { readonly base: Context.Context<never>; readonly merged: Context.Context<any> }
    >()
    const withServices = <A, E>(registration: Registration, effect: Effect.Effect<A, E, any>): Effect.Effect<A, E> =>
      // A registration without services (`Layer.empty`) adds nothing: no switch of the fiber's context either.
      registration.services.mapUnsafe.size === 0
        ? (effect as Effect.Effect<A, E>)
        : Effect.updateContext(effect, (base: Context.Context<never>): Context.Context<any> => {
            const services = registration.services
            const cached = stepContexts.get(services)
            if (cached?.base === base) return cached.merged
            const merged = Context.merge(base, services)
            stepContexts.set(services, { base, merged })
            return merged
          })

    /** What identifies one run of a step: the revision it runs at, its attempt and its occurrence. */
    interface StepRun {
      readonly node: CompiledStep
      readonly expected: number
      readonly attempt: number
      readonly occurrence: number
    }

    /**
     * Run the first runnable step once and record what came of it: its event, the declared error it raised, or a
     * failed attempt. The Effect runs without any lock held. `pending` is what the fold waits for now. Returns what
     * to do next.
     */
    const runStep = (
      actor: Actor,
      fold: Fold,
      pending: Machine.Pending,
      node: CompiledStep,
      state: unknown
    ): Effect.Effect<"ran" | "failed" | "moved" | "interrupted", StoreError> => {
      const step = node.id
      const attempt = (fold.incident(step)?.attempts ?? 0) + 1
      const run: StepRun = { node, expected: fold.revision, attempt, occurrence: fold.occurrence(step) }
      const effect = withServices(
        actor.registration,
        Effect.suspend(() => node.run(state, contextOf(fold, actor, step, attempt)))
      ) as Effect.Effect<unknown, unknown>
      const timeout = Machine.nextWakeUp(pending)
      if (pending.signals.length === 0 && timeout === undefined) {
        // Nothing can cut the step short (no signal accepted now, no timeout): it runs in the drain's own fiber — a
        // forked one costs two turns of the event loop per step.
        return Effect.flatMap(Effect.exit(effect), (exit) =>
          recordStep(actor, fold, run, exit, clock.currentTimeMillisUnsafe())
        )
      }
      return Effect.gen(function* () {
        // In its own fiber, so that an interruption of the section it is in (a signal, a timeout) can cut it short.
        const fiber = yield* Effect.forkChild(effect)
        actor.running = fiber
        actor.interrupted = false
        const started = clock.currentTimeMillisUnsafe()
        const exit = yield* (
          timeout === undefined
            ? Fiber.await(fiber)
            : Effect.raceFirst(
                Fiber.await(fiber),
                Effect.sleep(Math.max(0, timeout - started)).pipe(
                  Effect.andThen(Fiber.interrupt(fiber)),
                  Effect.andThen(Fiber.await(fiber))
                )
              )
        ).pipe(
          Effect.ensuring(Fiber.interrupt(fiber)),
          Effect.onExit(() => Effect.sync(() => (actor.running = undefined)))
        )
        const now = clock.currentTimeMillisUnsafe()
        // An interruption that is due wins over the step's result, which is discarded (nothing is recorded).
        if (
          actor.interrupted ||
          (timeout !== undefined && timeout <= now) ||
          interruptionWaits(actor, fold.pending().signals)
        ) {
          return "interrupted" as const
        }
        return yield* recordStep(actor, fold, run, exit, now)
      })
    }

    /**
     * Record how a step's run came out (`exit`, at `now`): its event, the declared error it raised, or a failed
     * attempt. The event and the position it leads to are computed before anything is appended, so a definition that
     * throws appends nothing but a failed attempt.
     */
    const recordStep = (
      actor: Actor,
      fold: Fold,
      run: StepRun,
      exit: Exit.Exit<unknown, unknown>,
      now: number
    ): Effect.Effect<"ran" | "failed" | "moved", StoreError> => {
      if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return Effect.interrupt
      const { node, expected, occurrence } = run
      const stream = fold.stream
      const step = node.id
      const at = isoOf(now)
      const revision = expected + 1
      const position = fold.position!
      let failure: { readonly message: string; readonly cause: Cause.Cause<unknown> }
      if (Exit.isSuccess(exit)) {
        const persisted = roundTrip(node.event, exit.value, limits)
        if (Result.isFailure(persisted)) {
          const message = `the event does not fit the step's Schema: ${persisted.failure}`
          failure = { message, cause: Cause.die(new Error(message)) }
        } else {
          try {
            const decoded = persisted.success.value
            const next = Machine.accept(fold.workflow, position, { _tag: "Step", node: step, event: decoded })!
            const type = eventType(node.event, decoded)
            const event = stepEvent(stream, revision, type, persisted.success.data, {
              step,
              occurrence,
              at,
              ...projected(fold, next)
            })
            return appended(actor, fold, expected, event, () =>
              fold.commit({ revision, step, type, event: decoded, at, position: next })
            )
          } catch (defect) {
            failure = { message: describeCause(Cause.die(defect)), cause: Cause.die(defect) }
          }
        }
      } else {
        const error = Cause.findErrorOption(exit.cause)
        const declared = Option.isSome(error) ? encodeDeclared(node, error.value) : undefined
        if (declared !== undefined && Option.isSome(error)) {
          try {
            const next = Machine.accept(fold.workflow, position, { _tag: "Raised", node: step, error: error.value })!
            const event = stepEvent(stream, revision, STEP_RAISED, declared, {
              step,
              occurrence,
              at,
              kind: "raised",
              ...projected(fold, next)
            })
            return appended(actor, fold, expected, event, () =>
              fold.commit({ revision, step, type: STEP_RAISED, event: error.value, at, position: next })
            )
          } catch (defect) {
            failure = { message: describeCause(Cause.die(defect)), cause: Cause.die(defect) }
          }
        } else failure = { message: describeCause(exit.cause), cause: exit.cause }
      }
      return recordFailure(actor, fold, run, failure, now)
    }

    /** Record a failed attempt of a step (at `now`): it is tried again later, or its retries are exhausted. */
    const recordFailure = (
      actor: Actor,
      fold: Fold,
      run: StepRun,
      failure: { readonly message: string; readonly cause: Cause.Cause<unknown> },
      now: number
    ): Effect.Effect<"ran" | "failed" | "moved", StoreError> =>
      Effect.gen(function* () {
        const { message, cause: failureCause } = failure
        const { node, expected, attempt, occurrence } = run
        const stream = fold.stream
        const step = node.id
        const at = isoOf(now)
        const revision = expected + 1
        const position = fold.position!
        const failed = Option.getOrUndefined(Cause.findErrorOption(failureCause))
        const tag =
          typeof failed === "object" && failed !== null && typeof (failed as { _tag?: unknown })._tag === "string"
            ? (failed as { readonly _tag: string })._tag
            : undefined
        let nextAttemptAt: number | undefined
        if (node.retry !== undefined) {
          const history = [...fold.retriesOf(step), { at: now, input: { attempt, error: message, tag } }]
          const delay = yield* nextDelay(node.retry.schedule, history, `${stream}/${step}/${occurrence}`)
          if (delay === undefined) {
            actor.lastFailure = failureCause
            return yield* retriesExhausted(actor, fold, node, { attempt, error: message, tag }, now)
          }
          nextAttemptAt = now + delay
        }
        const retry = node.retry !== undefined || attempt < maxAttempts
        const data = {
          attempt,
          error: message,
          ...(tag === undefined ? {} : { tag }),
          ...(nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(nextAttemptAt).toISOString() })
        }
        const attemptEvent = stepEvent(stream, revision, ATTEMPT_FAILED, data, {
          step,
          occurrence,
          attempt,
          at,
          kind: "attempt",
          // A step retried by its policy waits for its next attempt: the wake-up, not recovery, runs it again.
          status: nextAttemptAt === undefined ? "Running" : "Waiting",
          ...(nextAttemptAt !== undefined || retry ? { wakeAt: nextAttemptAt ?? now + retryDelayMs } : {})
        })
        const recorded = yield* appended(actor, fold, expected, attemptEvent, () =>
          fold.commit({
            revision,
            step,
            type: ATTEMPT_FAILED,
            event: data,
            at,
            position,
            attempt: { attempt, error: message, tag, nextAttemptAt, failedAt: now }
          })
        )
        actor.lastFailure = failureCause
        yield* Effect.logWarning(`${stream}: step ${step} failed (attempt ${attempt}): ${message}`)
        return recorded === "ran" ? ("failed" as const) : recorded
      })

    /**
     * Start a timer (record its release time, computed now) or fire it (its release time has passed). Returns what to
     * do next: go on (`ran`, or `moved` when another writer got there first), or stop (`failed`: the release time
     * could not be computed; the poll tries again).
     */
    const moveTimer = (
      actor: Actor,
      fold: Fold,
      timer: Machine.PendingTimer,
      now: number
    ): Effect.Effect<"ran" | "failed" | "moved", StoreError> =>
      Effect.gen(function* () {
        const stream = fold.stream
        const step = timer.node.id
        const expected = fold.revision
        const computed = yield* Effect.exit(
          guard(stream, step, () => {
            const until = timer.at ?? timer.node.release(timer.state, now)
            const input: Machine.Input =
              timer.at === undefined
                ? { _tag: "TimerStarted", node: step, at: until }
                : { _tag: "TimerFired", node: step }
            return { until, next: Machine.accept(fold.workflow, fold.position!, input)! }
          })
        )
        if (Exit.isFailure(computed)) {
          actor.lastFailure = computed.cause
          yield* Effect.logWarning(`${stream}: timer ${step}: ${describeCause(computed.cause)}`)
          return "failed" as const
        }
        const { until, next } = computed.value
        const type = timer.at === undefined ? TIMER_STARTED : TIMER_FIRED
        const data = { until: new Date(until).toISOString() }
        const at = isoOf(now)
        const revision = expected + 1
        const event = stepEvent(stream, revision, type, data, {
          step,
          occurrence: fold.occurrence(step),
          at,
          kind: "timer",
          ...projected(fold, next)
        })
        return yield* appended(actor, fold, expected, event, () =>
          fold.commit({ revision, step, type, event: data, at, position: next })
        )
      })

    /** The attempts of a step's retry policy ran out: `RetriesExhausted` is raised as the step's failure. */
    const retriesExhausted = (
      actor: Actor,
      fold: Fold,
      node: CompiledStep,
      failure: { readonly attempt: number; readonly error: string; readonly tag: string | undefined },
      now: number
    ): Effect.Effect<"ran" | "failed" | "moved", StoreError> =>
      Effect.gen(function* () {
        const stream = fold.stream
        const step = node.id
        const expected = fold.revision
        const revision = expected + 1
        const at = isoOf(now)
        const error = new RetriesExhausted({ step, attempts: failure.attempt, error: failure.error })
        const next = yield* Effect.exit(
          guard(
            stream,
            step,
            () => Machine.accept(fold.workflow, fold.position!, { _tag: "Raised", node: step, error })!
          )
        )
        if (Exit.isFailure(next)) {
          yield* Effect.logWarning(`${stream}: step ${step}: ${describeCause(next.cause)}`)
          return "failed" as const
        }
        const data = {
          attempt: failure.attempt,
          error: failure.error,
          ...(failure.tag === undefined ? {} : { tag: failure.tag })
        }
        yield* Effect.logWarning(
          `${stream}: step ${step} failed (attempt ${failure.attempt}, the last its policy allows): ${failure.error}`
        )
        const event = stepEvent(stream, revision, RETRIES_EXHAUSTED, data, {
          step,
          occurrence: fold.occurrence(step),
          attempt: failure.attempt,
          at,
          kind: "exhausted",
          ...projected(fold, next.value)
        })
        return yield* appended(actor, fold, expected, event, () =>
          fold.commit({ revision, step, type: RETRIES_EXHAUSTED, event: error, at, position: next.value })
        )
      })

    /**
     * Whether a signal that interrupts the position waits in the mailbox: one of `accepted`, the signals the position
     * accepts now, while a step is pending.
     */
    const interruptionWaits = (actor: Actor, accepted: ReadonlyArray<Machine.PendingSignal>): boolean =>
      accepted.length > 0 &&
      actor.mailbox.some((c) => c._tag === "Signal" && accepted.some((s) => s.signal === c.signal))

    /** Whether `step` (the first pending one) is to run now: not parked on an incident, nor waiting for a retry. */
    const runnable = (actor: Actor, fold: Fold, step: Machine.PendingStep | undefined, now: number): boolean => {
      if (step === undefined) return false
      if (actor.force) return true
      const incident = fold.incident(step.node.id)
      // Its policy said when: until then the instance sleeps (woken by the wake-up projection).
      if (step.node.retry !== undefined) return !(incident?.nextAttemptAt !== undefined && incident.nextAttemptAt > now)
      return !(incident !== undefined && incident.attempts >= maxAttempts)
    }

    /**
     * Run steps and move timers until nothing is runnable now, the instance is parked on an incident, or another
     * process holds it.
     */
    const runSteps = (actor: Actor): Effect.Effect<void, LoadError> =>
      Effect.gen(function* () {
        // Caught up once, then moved by this actor's own appends: only a conflict (another writer) reads again.
        // Without the lease the fold in memory (a fresh start's, say) may only decide whether to take it: taking it
        // reads the stream anyway, and a fold with nothing to do is read again before the drain gives up on it.
        let current = actor.fold === undefined || actor.lease !== undefined || !leasesSupported
        let fold = current ? yield* load(actor) : actor.fold!
        for (;;) {
          if (closing) return
          const pending = fold.pendingAt(fold.position!)
          const now = clock.currentTimeMillisUnsafe()
          const timer = pending.timers.find((t) => t.at === undefined || t.at <= now)
          const step = timer === undefined ? pending.steps[0] : undefined
          if (timer === undefined && !runnable(actor, fold, step, now)) {
            // A fold this process's start just made is current enough to give up on: whoever appended to the
            // instance since (a signal sent elsewhere) runs what follows in its own drain.
            if (current || startFold(actor, fold)) return
            fold = yield* load(actor)
            current = true
            continue
          }
          if (actor.lease === undefined && leasesSupported) {
            if (!(yield* holdLease(actor))) {
              actor.blocked = true
              return
            }
            // Newly ours: the previous holder (or a signal's sender elsewhere) may have appended meanwhile — unless
            // this process started the instance and nobody held it before.
            // (`holdLease` set `actor.lease`, which the check above narrowed to undefined.)
            const lease = actor.lease as Lease | undefined
            const firstHolder = startFold(actor, fold) && lease?.version === 1
            actor.startedHere = false
            if (!firstHolder) fold = yield* load(actor)
            current = true
            continue
          }
          actor.blocked = false
          if (timer !== undefined) {
            const moved = yield* moveTimer(actor, fold, timer, now)
            if (moved === "failed") return
            if (moved === "moved") fold = yield* load(actor)
            continue
          }
          if (step === undefined) return
          const outcome = yield* runStep(actor, fold, pending, step.node, step.state)
          if (outcome === "interrupted") {
            // The interrupting signal is delivered next (by the drain); a due timeout fires on the next round.
            if (interruptionWaits(actor, fold.pending().signals)) return
            continue
          }
          actor.lastRun = outcome
          if (outcome === "moved") fold = yield* load(actor)
          if (outcome === "failed") {
            actor.force = false
            if (step.node.retry !== undefined) continue
            const after = fold.incident(step.node.id)
            if (after === undefined || after.attempts >= maxAttempts) return
            yield* Effect.sleep(retryDelayMs)
          }
        }
      })

    // ---- signals ----

    const deliver = (
      actor: Actor,
      command: Extract<Command, { readonly _tag: "Signal" }>
    ): Effect.Effect<unknown, unknown> =>
      Effect.gen(function* () {
        for (let tries = 0; ; tries++) {
          const fold = yield* load(actor)
          const stream = fold.stream
          const sender =
            command.idempotencyKey === undefined
              ? `${NONCE_PREFIX}${Crypto.randomUUID()}`
              : `${KEY_PREFIX}${command.idempotencyKey}`
          if (command.idempotencyKey !== undefined) {
            const known = fold.keyedSignal(sender)
            if (known !== undefined) {
              const node = actor.registration.signals.get(known.signal)?.[0]
              if (node === undefined) return undefined
              const reply = jsonCodec(node.signal.response).decode(known.reply)
              return Result.isSuccess(reply) ? reply.success : known.reply
            }
          }
          const { signals } = fold.pending()
          const target = signals.find((s) => s.signal === command.signal)
          if (target === undefined) {
            return yield* new UnexpectedSignal({
              stream,
              signal: command.signal,
              accepted: signals.map((s) => s.signal)
            })
          }
          const node: CompiledAwaitSignal = target.node
          const step = node.id
          const expected = fold.revision
          const occurrence = fold.occurrence(step)
          const handled = yield* guard(stream, step, () =>
            node.handle(target.state, command.request, contextOf(fold, actor, step, 1))
          )
          const event = Effect.isEffect(handled)
            ? yield* withServices(actor.registration, handled as Effect.Effect<unknown, unknown, any>).pipe(
                Effect.catchCause((cause) =>
                  Cause.hasInterruptsOnly(cause)
                    ? Effect.failCause(cause as Cause.Cause<never>)
                    : Effect.fail(new StepFailed({ stream, step, cause }))
                )
              )
            : handled
          const persisted = roundTrip(node.event, event, limits)
          if (Result.isFailure(persisted)) {
            return yield* new StepFailed({
              stream,
              step,
              cause: Cause.die(new Error(`the event does not fit the step's Schema: ${persisted.failure}`))
            })
          }
          const value = persisted.success.value
          const computed = yield* guard(stream, step, () => {
            const next = Machine.accept(fold.workflow, fold.position!, { _tag: "Signal", node: step, event: value })!
            return { next, response: node.respond(target.state, value, command.request) }
          })
          const reply = roundTrip(node.signal.response, computed.response, limits)
          if (Result.isFailure(reply)) {
            return yield* new StepFailed({
              stream,
              step,
              cause: Cause.die(new Error(`the reply does not fit the signal's Schema: ${reply.failure}`))
            })
          }
          const now = clock.currentTimeMillisUnsafe()
          const at = isoOf(now)
          const revision = expected + 1
          const type = eventType(node.event, value)
          const recorded = stepEvent(stream, revision, type, persisted.success.data, {
            step,
            occurrence,
            at,
            signal: command.signal,
            sender,
            reply: reply.success.data,
            ...projected(fold, computed.next)
          })
          const appended = yield* append(
            actor,
            fold,
            expected,
            recorded,
            () => {
              fold.commit({ revision, step, type, event: value, at, position: computed.next })
              if (command.idempotencyKey !== undefined) {
                fold.rememberSignal(sender, { revision, signal: command.signal, reply: reply.success.data })
              }
            },
            (conflict) => conflict
          )
          if (appended === "ran") return reply.success.value
          // Another writer got there first: read what it wrote and decide again (the signal may no longer fit).
          if (tries >= 5) return yield* appended
        }
      })

    // ---- the actor's drain loop ----

    const drain = (actor: Actor): Effect.Effect<void> =>
      Effect.gen(function* () {
        // Whether the last command was a Run whose step loop went to its end: a last pass would find nothing new.
        let ran = false
        for (;;) {
          if (closing) break
          const command = actor.mailbox.shift()
          if (command === undefined) {
            if (ran) break
            yield* Effect.ignore(runSteps(actor))
            if (actor.mailbox.length === 0) break
            continue
          }
          ran = false
          if (command._tag === "Run") {
            if (command.force) actor.force = true
            actor.lastRun = undefined
            ran = yield* runSteps(actor).pipe(
              Effect.as(true),
              Effect.catch((error) => Effect.as(Effect.logWarning(`${actor.stream}: ${error.message}`), false))
            )
            continue
          }
          // Run what is runnable first: the signal then meets the instance where it waits — unless it is accepted
          // now (it interrupts the section the pending steps are in).
          if (options.retryOnSignal === true) actor.force = true
          if (!(actor.fold?.pending().signals.some((s) => s.signal === command.signal) ?? false)) {
            yield* Effect.ignore(runSteps(actor))
          }
          const exit = yield* Effect.exit(deliver(actor, command))
          yield* Deferred.done(command.reply, exit)
        }
      }).pipe(
        Effect.ensuring(
          Effect.gen(function* () {
            if (options.leaseRetention === "drain") yield* releaseLease(actor)
            actor.draining = false
            actor.force = false
            // Only the first drain after the start may trust the fold the start made (see `startedHere`).
            actor.startedHere = false
            actor.fold?.forgetPending()
            const settled = actor.settled
            actor.settled = undefined
            if (settled !== undefined) yield* Deferred.succeed(settled, undefined)
            // A command that arrived while the drain was ending, or a shutdown: fail the waiting signals.
            if (closing) {
              for (const c of actor.mailbox.splice(0)) {
                if (c._tag === "Signal") yield* Deferred.interrupt(c.reply)
              }
            } else if (actor.mailbox.length > 0) startDrain(actor)
            if (!actor.draining && sleep(actor)) yield* releaseLease(actor)
            evict()
          })
        )
      )

    /**
     * After a drain: arm the wake-up of the instance's earliest timer, and if it only sleeps (no signal, no step),
     * forget it: a sleeping instance holds no memory here, it is loaded again from the store when it is woken.
     * Returns whether it was forgotten (its lease is then released: nothing of it runs here until it is woken).
     */
    const sleep = (actor: Actor): boolean => {
      const fold = actor.fold
      if (fold?.position === undefined || closing) return false
      const pending = fold.pending()
      let at = Machine.nextWakeUp(pending)
      let retrying = 0
      for (const s of pending.steps) {
        const next = s.node.retry === undefined ? undefined : fold.incident(s.node.id)?.nextAttemptAt
        if (next === undefined) continue
        retrying++
        if (at === undefined || next < at) at = next
      }
      if (at === undefined) return false
      arm(at)
      if (
        pending.steps.length === retrying &&
        pending.signals.length === 0 &&
        actor.users === 0 &&
        actor.mailbox.length === 0 &&
        actors.get(actor.key) === actor
      ) {
        actors.delete(actor.key)
        return true
      }
      return false
    }

    // ---- wake-ups: one timer for the earliest one ----

    /** The one armed wake-up of this worker: when it is due, and the fiber that sleeps until then. */
    let alarm: { readonly at: number; readonly fiber: Fiber.Fiber<void, never> } | undefined

    /** Wake due instances at `at`, unless an earlier wake-up is armed already (then that one re-arms after it). */
    const arm = (at: number): void => {
      if (closing || (alarm !== undefined && alarm.at <= at)) return
      const previous = alarm?.fiber
      const fiber = Effect.runForkWith(context)(
        Effect.gen(function* () {
          if (previous !== undefined) yield* Fiber.interrupt(previous)
          const now = yield* Clock.currentTimeMillis
          if (at > now) yield* Effect.sleep(at - now)
          alarm = undefined
          yield* wakeDue
          yield* armNext
        }).pipe(Effect.catchCause((cause) => Effect.logWarning("wake-up failed", cause)))
      )
      alarm = { at, fiber }
    }

    /** Arm the earliest future wake-up of the registered workflows (the due ones are woken by `wakeDue`). */
    const armNext: Effect.Effect<void> = Effect.gen(function* () {
      if (registrations.size === 0 || closing) return
      const now = yield* Clock.currentTimeMillis
      const workflows = [...registrations.values()].map((r) => r.definition.name)
      const next = yield* store.wakeUps({ workflows }).pipe(
        Stream.filter((row) => row.wakeAt !== undefined && row.wakeAt > now),
        Stream.take(1),
        Stream.runCollect,
        Effect.catch(() => Effect.succeed([]))
      )
      const at = next[0]?.wakeAt
      if (at !== undefined) arm(at)
    })

    const startDrain = (actor: Actor): void => {
      if (actor.draining || closing) return
      actor.draining = true
      actor.idlePasses = 0
      const fiber = Effect.runForkWith(context)(drain(actor))
      drains.add(fiber)
      fiber.addObserver((exit) => {
        drains.delete(fiber)
        // The drain handles every failure itself: a defect here is a bug of the engine, and must not go unseen.
        if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
          Effect.runForkWith(context)(Effect.logError(`${actor.stream}: the instance's actor died`, exit.cause))
        }
      })
    }

    const context = yield* Effect.context<never>()

    /**
     * Put a command into the actor's mailbox now (call it while running an Effect); the returned Effect completes
     * when the instance has settled.
     */
    const send = (actor: Actor, command: Command): Effect.Effect<void> => {
      if (closing) return Effect.die(new Error("the worker has shut down"))
      if (actor.settled === undefined) actor.settled = Deferred.makeUnsafe<void>()
      const settled = actor.settled
      actor.mailbox.push(command)
      // A signal that interrupts the section a running step is in: the step's fiber is interrupted, its result dropped.
      const running = actor.running
      if (
        running !== undefined &&
        command._tag === "Signal" &&
        actor.fold !== undefined &&
        interruptionWaits(actor, actor.fold.pending().signals)
      ) {
        actor.interrupted = true
        Effect.runForkWith(context)(Fiber.interrupt(running))
      }
      startDrain(actor)
      return Deferred.await(settled)
    }

    // ---- the public operations ----

    const register = (definition: Definition.Any, services: Context.Context<any>): Registration => {
      const known = registrations.get(definition)
      if (known !== undefined) {
        known.services = services
        return known
      }
      const registration = makeRegistration(registrations.size, definition, services)
      registrations.set(definition, registration)
      return registration
    }

    const registrationOf = (definition: Definition.Any): Registration | undefined => registrations.get(definition)

    /** Run what `actor` has to do now (`force`: parked incidents too), unless it runs already. */
    const wake = (actor: Actor, force = false): void => {
      if (actor.draining) return
      actor.mailbox.push({ _tag: "Run", force })
      startDrain(actor)
    }

    /**
     * Find the instances of a registered workflow with runnable work, and run them. At registration (`onlyUnknown`
     * false: a worker's start, maybe after a crash that left thousands running) they join the backlog that
     * `wakeBacklog` works off a few at a time, instead of all starting at once.
     */
    const recover = (registration: Registration, onlyUnknown: boolean) =>
      Effect.gen(function* () {
        const name = registration.definition.name
        // "Unknown": events written before the registry fields existed (v1 journals) — load them to find out.
        const rows = yield* Stream.runCollect(store.instances({ workflow: name, status: ["Running", "Unknown"] }))
        for (const { instanceId: id, revision } of rows) {
          const key = keyOf(registration, streamName(name, id))
          // At registration (a worker's start), an incident parked by an earlier process gets another attempt; polls
          // only pick up what nobody runs.
          if (!onlyUnknown) {
            backlog.set(key, { registration, instanceId: id, force: true })
            continue
          }
          const local = actors.get(key)
          // One loaded here runs here — unless its stream moved past what it has seen (a signal another process
          // appended, which died before running what follows): then nobody may be running it.
          const runsHere = local !== undefined && !local.blocked && (local.fold?.revision ?? -1) >= revision
          if (runsHere || backlog.has(key)) continue
          wake(actorOf(registration, id))
        }
      })

    /**
     * Instances whose wake-up is due (retries after a failed attempt, timers), woken at once — except those of the
     * backlog found at registration, which `wakeBacklog` wakes.
     */
    const wakeDue = Effect.gen(function* () {
      if (registrations.size === 0) return
      const now = yield* Clock.currentTimeMillis
      const byName = new Map([...registrations.values()].map((r) => [r.definition.name, r]))
      const rows = yield* store.wakeUps({ until: now, workflows: [...byName.keys()] }).pipe(
        Stream.runCollect,
        Effect.catch(() => Effect.succeed([]))
      )
      for (const row of rows) {
        const registration = byName.get(row.workflow)
        if (registration === undefined) continue
        // Outside a catch-up (nearly always) the backlog is empty: no key to build for each due row.
        if (backlog.size > 0 && backlog.has(keyOf(registration, streamName(row.workflow, row.instanceId)))) continue
        wake(actorOf(registration, row.instanceId))
      }
    })

    /**
     * What a definition's registration found to do: the instances left running (by `recover`), then what fell due
     * while no worker ran, oldest first — worked off in the background, CATCH_UP_CONCURRENCY at a time, giving the
     * event loop up every CATCH_UP_SLICE_MS (of real time, not the workflows' clock) — so that timers falling due
     * while the backlog is worked off are woken on time instead of waiting behind all of it.
     */
    const backlog = new Map<
      string,
      { readonly registration: Registration; readonly instanceId: string; readonly force: boolean }
    >()
    let catchingUp: Fiber.Fiber<void, never> | undefined
    /** When the backlog's current slice of the event loop ends (shared by its workers). */
    let sliceEnd = 0
    const catchUpWorker: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        if (performance.now() >= sliceEnd) {
          yield* Effect.yieldNow
          if (performance.now() >= sliceEnd) sliceEnd = performance.now() + CATCH_UP_SLICE_MS
        }
        if (closing) return
        const next = backlog.entries().next()
        if (next.done === true) return
        const [key, { registration, instanceId, force }] = next.value
        backlog.delete(key)
        const actor = actorOf(registration, instanceId)
        if (actor.draining) continue
        yield* send(actor, { _tag: "Run", force })
      }
    })
    const wakeBacklog = (registration: Registration) =>
      Effect.gen(function* () {
        const name = registration.definition.name
        const now = yield* Clock.currentTimeMillis
        const rows = yield* store.wakeUps({ until: now, workflows: [name] }).pipe(Stream.runCollect)
        for (const row of rows) {
          const key = keyOf(registration, streamName(name, row.instanceId))
          // A running instance (from `recover`) keeps its place and its second attempt at a parked incident.
          if (!backlog.has(key)) backlog.set(key, { registration, instanceId: row.instanceId, force: false })
        }
        if (backlog.size === 0 || catchingUp !== undefined || closing) return
        // The first slice starts after `register` returned.
        sliceEnd = 0
        const fiber = Effect.runForkWith(context)(
          Effect.forEach(Array.from({ length: CATCH_UP_CONCURRENCY }), () => catchUpWorker, {
            concurrency: "unbounded",
            discard: true
          }).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                catchingUp = undefined
              })
            )
          )
        )
        if (fiber.pollUnsafe() === undefined) catchingUp = fiber
      })

    const poll = Effect.gen(function* () {
      yield* wakeDue
      for (const registration of registrations.values()) {
        yield* Effect.ignore(recover(registration, true))
      }
      yield* armNext
    })

    const start = (
      registration: Registration,
      id: string,
      input: unknown,
      wait: boolean
    ): Effect.Effect<Actor, InvalidInput | InstanceAlreadyExists | StepFailed | LoadError> =>
      Effect.gen(function* () {
        const definition = registration.definition
        const stream = streamName(definition.name, id)
        const encoded = roundTrip(definition.input, input, limits)
        if (Result.isFailure(encoded)) return yield* new InvalidInput({ stream, issue: encoded.failure })
        const { data, value } = encoded.success
        const actor = actorOf(registration, id)
        yield* using(
          actor,
          actor.foldLock.with(
            Effect.gen(function* () {
              const fold = new Fold(definition, stream)
              const position = yield* guard(stream, START_STEP, () => Machine.start(fold.workflow, value))
              const now = yield* Clock.currentTimeMillis
              const at = isoOf(now)
              const started = startedEvent(stream, data, {
                workflow: definition.name,
                fingerprint: definitionFingerprint(definition),
                at,
                ...projected(fold, position)
              })
              const fresh = yield* store.append(stream, NoStream, [started]).pipe(
                Effect.as(true),
                Effect.catchTag("WrongExpectedRevision", () => Effect.succeed(false))
              )
              if (fresh) {
                fold.commit({ revision: 0, step: START_STEP, type: STARTED, event: value, at, position })
                fold.input = value
              }
              actor.startedHere = fresh
              // Started before (or a retried start whose answer was lost): the same instance if the input is the
              // same value by the input's Schema — not by its JSON text, which depends on key order.
              // A fresh instance's fold is its one event; a known one catches up with what was appended since.
              const current = fresh ? fold : (actor.fold ?? fold)
              if (!fresh) yield* catchUp(current)
              if (!fresh && !Schema.toEquivalence(definition.input)(current.input, value)) {
                return yield* new InstanceAlreadyExists({ stream })
              }
              actor.fold = current
            })
          )
        )
        const settled = send(actor, { _tag: "Run", force: false })
        if (wait) yield* settled
        return actor
      })

    const signal = (
      registration: Registration,
      id: string,
      signalName: string,
      request: unknown,
      options: { readonly idempotencyKey?: string | undefined; readonly wait?: boolean | undefined }
    ): Effect.Effect<unknown, unknown> =>
      Effect.gen(function* () {
        const stream = streamName(registration.definition.name, id)
        const nodes = registration.signals.get(signalName)
        if (nodes === undefined) {
          return yield* new UnexpectedSignal({ stream, signal: signalName, accepted: [] })
        }
        // Validated against the registered definition's own Schema, before anything runs or is appended.
        const checked = roundTrip(nodes[0]!.signal.request, request, limits)
        if (Result.isFailure(checked)) {
          return yield* new InvalidSignalPayload({ stream, signal: signalName, issue: checked.failure })
        }
        const actor = actorOf(registration, id)
        return yield* using(
          actor,
          Effect.gen(function* () {
            yield* load(actor)
            const reply = Deferred.makeUnsafe<unknown, unknown>()
            const settled = send(actor, {
              _tag: "Signal",
              signal: signalName,
              request: checked.success.value,
              idempotencyKey: options.idempotencyKey,
              reply
            })
            const response = yield* Deferred.await(reply)
            if (options.wait !== false) yield* settled
            return response
          })
        )
      })

    /** Run what is runnable now, parked incidents included; completes when the instance has settled. */
    const resume = (registration: Registration, id: string): Effect.Effect<Actor, LoadError> =>
      Effect.gen(function* () {
        const actor = actorOf(registration, id)
        yield* using(
          actor,
          Effect.gen(function* () {
            yield* load(actor)
            yield* Effect.suspend(() => send(actor, { _tag: "Run", force: true }))
          })
        )
        return actor
      })

    const read = <A>(registration: Registration, id: string, f: (fold: Fold) => A): Effect.Effect<A, LoadError> =>
      Effect.suspend(() => {
        const actor = actorOf(registration, id)
        return using(actor, Effect.map(load(actor), f))
      })

    const status = (registration: Registration, id: string): Effect.Effect<Status, LoadError> =>
      read(registration, id, (fold) => fold.status())

    const shutdown = Effect.gen(function* () {
      closing = true
      if (alarm !== undefined) yield* Fiber.interrupt(alarm.fiber)
      if (catchingUp !== undefined) yield* Fiber.interrupt(catchingUp)
      // Running steps finish and are recorded; nothing new starts.
      yield* Fiber.awaitAll([...drains])
      yield* Effect.forEach(actors.values(), releaseLease, { concurrency: "unbounded", discard: true })
    })
    // The v1 facade has no lifecycle of its own (callers may even use it after its layer's scope closed).
    if (options.shutdownWithScope !== false) yield* Effect.addFinalizer(() => shutdown)

    /** Refuse an id that is not a usable instance id before it names a stream. */
    const checkId = (definition: Definition.Any, id: unknown): Effect.Effect<void, InvalidInstanceId> => {
      const issue = checkInstanceId(id, limits)
      if (issue === undefined) return Effect.void
      const shown = typeof id === "string" ? JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id) : typeof id
      return Effect.fail(new InvalidInstanceId({ workflow: definition.name, id: shown, issue }))
    }

    return {
      checkId,
      owner,
      register,
      registrationOf,
      recover,
      wakeBacklog,
      wakeDue,
      armNext,
      poll,
      renewLeases,
      start,
      signal,
      resume,
      read,
      status,
      load,
      actorOf,
      shutdown,
      /** What the engine holds in memory now (diagnostics, tests): loaded instances and running drains. */
      loaded: () => ({ actors: actors.size, drains: drains.size }),
      scope,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      leaseRenewMs: Math.max(1, Math.floor(leaseTtlMs / 3))
    }
  })

export type Engine = Effect.Success<ReturnType<typeof makeEngine>>
