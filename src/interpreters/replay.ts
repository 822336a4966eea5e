/**
 * Replay: fold a recorded history through a definition, with no effects at all. Strict: every event must be
 * the event the definition expects at that point, decodable with its step's Schema; anything else is an error
 * naming the stream and the revision — never skipped.
 *
 * The runtime recovers instances with the same fold (`Fold`), and keeps it to add the events it appends itself.
 */
import { Result } from "effect"
import type { CompiledNode } from "../dsl/CompiledNode.js"
import { type Compiled, compile } from "../dsl/compile.js"
import type { Definition } from "../dsl/Definition.js"
import { RetriesExhausted } from "../dsl/RetriesExhausted.js"
import { toNode } from "../dsl/Workflow.js"
import { fingerprint, toModel } from "../model/toModel.js"
import { EventDecodeError, HistoryError, NonDeterminismError, type ReplayError } from "./errors.js"
import {
  type EventMetadata,
  eventType,
  issueOf,
  jsonCodec,
  KEY_PREFIX,
  recordedAt,
  recordedStep,
  START_STEP,
  RETRIES_EXHAUSTED,
  STARTED,
  TIMER_FIRED,
  TIMER_STARTED
} from "./journal.js"
import * as Machine from "./machine/index.js"
import type { RecordedAttempt } from "./runtime/retryDelay.js"
import { type Incident, type Status, statusOf } from "./Status.js"
import { decodeDeclared } from "./stepErrors.js"
import type { Json, StoredEvent } from "./store/EventStore.js"

/** One event of a history, with what it did. */
export interface TimelineEntry<S = unknown, E = unknown> {
  readonly revision: number
  /** The step the event belongs to (`start` for `WorkflowStarted`). */
  readonly step: string
  readonly type: string
  /** The decoded event (for `WorkflowStarted`: the input). */
  readonly event: unknown
  readonly at: Date
  /** The state right after the event (and the pure steps it led to). */
  readonly state: S
  readonly status: Status<E>
}

/** How often the replay passed each node (by model id): for progress overlays and audits. */
export interface Visits {
  readonly done: number
  readonly failed: number
}

/** The result of replaying a history. */
export interface Replay<S = unknown, E = unknown> {
  readonly stream: string
  readonly workflow: string
  /** `recorded` is the fingerprint of the definition that started the instance; `current` the one replayed. */
  readonly fingerprint: { readonly recorded: string; readonly current: string }
  /** Revision of the last event folded. */
  readonly revision: number
  readonly state: S
  readonly status: Status<E>
  /** One entry per event, in order (empty unless asked for). */
  readonly timeline: ReadonlyArray<TimelineEntry<S, E>>
  readonly visits: ReadonlyMap<string, Visits>
  /** What the instance passed through, exactly and in order (see `TraceEntry`). */
  readonly trace: ReadonlyArray<Machine.TraceEntry>
}

const fingerprints = new WeakMap<Definition.Any, string>()
/** The fingerprint of a definition (computed once). */
export const definitionFingerprint = (definition: Definition.Any): string => {
  let fp = fingerprints.get(definition)
  if (fp === undefined) {
    fp = fingerprint(toModel(definition))
    fingerprints.set(definition, fp)
  }
  return fp
}

/** A signal recorded with the sender's idempotency key: a redelivery is answered from here. */
export interface KeyedSignal {
  readonly revision: number
  readonly signal: string
  /** The reply, encoded with the signal's response Schema. */
  readonly reply: Json
}

/**
 * An incremental fold over one stream. `add` takes the next stored event; errors are thrown as `ReplayError`s
 * (callers turn them into typed failures) and leave the fold unchanged.
 */
export class Fold {
  readonly workflow: Compiled
  position: Machine.Position | undefined = undefined
  revision = -1
  recordedFingerprint = ""
  /** The decoded input of the instance (from `WorkflowStarted`). */
  input: unknown = undefined
  // The maps are created on first use: a process may hold many thousands of waiting instances, and most of them
  // have no incident, no keyed signal and no visits to count.
  /** Completed events per step id: the `occurrence` of the step's next event. */
  private occurrences: Map<string, number> | undefined
  /** Failed attempts of the steps that wait to run (cleared when the step records its event). */
  private incidents: Map<string, Incident> | undefined
  /** Signals recorded with an idempotency key, by sender. */
  private keyedSignals: Map<string, KeyedSignal> | undefined
  private visits: Map<string, { done: number; failed: number }> | undefined
  /** The failed attempts of pending steps with a retry policy, oldest first: their Schedule is stepped with them. */
  private retries: Map<string, Array<RecordedAttempt>> | undefined
  /** What the last position asked about waits for (see `pendingAt`). */
  private lastPending: { readonly position: Machine.Position; readonly pending: Machine.Pending } | undefined
  readonly timeline: Array<TimelineEntry> | undefined
  /** Every trace entry, in order (when asked for). */
  readonly traced: Array<Machine.TraceEntry> | undefined
  readonly trace: Machine.Trace | undefined

  /**
   * @param options.timeline keep one `TimelineEntry` per event;
   * @param options.visits keep the trace (and count the nodes passed, `visits`), for progress.
   */
  constructor(
    readonly definition: Definition.Any,
    readonly stream: string,
    options?: { readonly timeline?: boolean; readonly visits?: boolean }
  ) {
    this.workflow = compile(toNode(definition.workflow))
    this.timeline = options?.timeline === true ? [] : undefined
    if (options?.visits === true) {
      const traced: Array<Machine.TraceEntry> = []
      const visits = new Map<string, { done: number; failed: number }>()
      this.visits = visits
      const visit = (id: string) => {
        let v = visits.get(id)
        if (v === undefined) visits.set(id, (v = { done: 0, failed: 0 }))
        return v
      }
      this.traced = traced
      this.trace = (entry) => {
        traced.push(entry)
        switch (entry._tag) {
          case "Completed":
            visit(entry.node).done++
            break
          case "Branched":
            visit(entry.branch).done++
            if (entry.arm !== undefined) visit(entry.arm).done++
            break
          case "Raised":
            visit(entry.node).failed++
            break
          case "Round":
          case "TimerStarted":
          case "Raced":
          case "Interrupted":
          case "Caught":
          case "Left":
          case "AttemptFailed":
            break
        }
      }
    } else {
      this.traced = undefined
      this.trace = undefined
    }
  }

  /** The compiled root (kept for callers of v1). */
  get root(): CompiledNode {
    return this.workflow.root
  }

  /** What the instance waits for now (nothing before its first event). */
  pending(): Machine.Pending {
    return this.position === undefined
      ? { steps: [], signals: [], timers: [] }
      : Machine.pending(this.workflow, this.position)
  }

  /**
   * What `position` (of this instance) waits for, for the step loop: the last answer is kept until `forgetPending`
   * — a step's event needs it for its metadata, and the loop asks again for the same position next (positions are
   * never mutated).
   */
  pendingAt(position: Machine.Position): Machine.Pending {
    const last = this.lastPending
    if (last?.position === position) return last.pending
    const pending = Machine.pending(this.workflow, position)
    this.lastPending = { position, pending }
    return pending
  }

  /** Drop `pendingAt`'s answer: an idle instance keeps nothing it does not need (100,000 may wait in one process). */
  forgetPending(): void {
    this.lastPending = undefined
  }

  status(): Status {
    return statusOf(this.workflow, this.position!, this.incidents)
  }

  /** How many events step `step` recorded: the occurrence of its next execution. */
  occurrence(step: string): number {
    return this.occurrences?.get(step) ?? 0
  }

  /** The failed attempts of step `step` since it last recorded its event. */
  incident(step: string): Incident | undefined {
    return this.incidents?.get(step)
  }

  /** The signal recorded from `sender` (a `key:` sender), if any. */
  /** The recorded failed attempts of step `step` (with a retry policy) since it last completed, oldest first. */
  retriesOf(step: string): ReadonlyArray<RecordedAttempt> {
    return this.retries?.get(step) ?? []
  }

  keyedSignal(sender: string): KeyedSignal | undefined {
    return this.keyedSignals?.get(sender)
  }

  /** Remember a signal recorded with the sender's idempotency key. */
  rememberSignal(sender: string, signal: KeyedSignal): void {
    this.keyedSignals ??= new Map()
    this.keyedSignals.set(sender, signal)
  }

  add(event: StoredEvent): void {
    const revision = this.revision + 1
    if (event.revision !== revision) {
      throw new HistoryError({
        stream: this.stream,
        revision: event.revision,
        reason: `expected revision ${revision} (a gap or a reordering in the history)`
      })
    }
    const step = recordedStep(event)
    if (step === undefined) {
      throw new EventDecodeError({ stream: this.stream, revision, step: "?", issue: "metadata has no step id" })
    }
    const position = this.position
    if (position === undefined) {
      this.addStarted(event, step)
      return
    }
    const meta = (event.metadata ?? {}) as Partial<EventMetadata>
    const { steps, signals, timers } = this.pending()
    const stepNode = steps.find((s) => s.node.id === step)?.node
    const signalNode = stepNode === undefined ? signals.find((s) => s.node.id === step)?.node : undefined
    const notPending = () =>
      new NonDeterminismError({
        stream: this.stream,
        revision,
        expected: [...steps.map((s) => s.node.id), ...signals.map((s) => s.node.id), ...timers.map((t) => t.node.id)],
        found: step
      })
    switch (meta.kind) {
      case "timer": {
        const timer = timers.find((t) => t.node.id === step)
        if (timer === undefined) throw notPending()
        const until = Date.parse((event.data as { readonly until?: unknown } | null)?.until as string)
        if (Number.isNaN(until)) {
          throw new EventDecodeError({
            stream: this.stream,
            revision,
            step,
            issue: "a timer event needs `until`, an ISO time"
          })
        }
        let input: Machine.Input
        if (event.type === TIMER_STARTED && timer.at === undefined)
          input = { _tag: "TimerStarted", node: step, at: until }
        else if (event.type === TIMER_FIRED && timer.at === until) input = { _tag: "TimerFired", node: step }
        else {
          throw new HistoryError({
            stream: this.stream,
            revision,
            reason:
              timer.at === undefined
                ? `timer ${step} has not started: expected ${TIMER_STARTED}, found ${event.type}`
                : `timer ${step} is due at ${new Date(timer.at).toISOString()}: expected ${TIMER_FIRED} of that time, found ${event.type} of ${new Date(until).toISOString()}`
          })
        }
        this.advance(event, step, event.data, () => Machine.accept(this.workflow, position, input, this.trace)!)
        return
      }
      case "attempt": {
        if (stepNode === undefined) throw notPending()
        const failure = attemptOf(event)
        this.trace?.({ _tag: "AttemptFailed", node: step, attempt: failure.attempt, error: failure.error })
        this.commit({ revision, step, type: event.type, event: event.data, at: event, position, attempt: failure })
        return
      }
      case "exhausted": {
        if (stepNode === undefined || event.type !== RETRIES_EXHAUSTED) throw notPending()
        const failure = attemptOf(event)
        this.trace?.({ _tag: "AttemptFailed", node: step, attempt: failure.attempt, error: failure.error })
        const error = new RetriesExhausted({ step, attempts: failure.attempt, error: failure.error })
        this.advance(
          event,
          step,
          error,
          () => Machine.accept(this.workflow, position, { _tag: "Raised", node: step, error }, this.trace)!
        )
        return
      }
      case "raised": {
        if (stepNode === undefined) throw notPending()
        const error = decodeDeclared(stepNode, event.data)
        if (Result.isFailure(error)) {
          throw new EventDecodeError({ stream: this.stream, revision, step, issue: `error: ${error.failure}` })
        }
        this.advance(
          event,
          step,
          error.success,
          () =>
            Machine.accept(this.workflow, position, { _tag: "Raised", node: step, error: error.success }, this.trace)!
        )
        return
      }
      default: {
        const node = stepNode ?? signalNode
        if (node === undefined) throw notPending()
        const decoded = jsonCodec(node.event).decode(event.data)
        if (Result.isFailure(decoded)) {
          throw new EventDecodeError({ stream: this.stream, revision, step, issue: issueOf(decoded) })
        }
        // The stored type is what the runtime derived from the event when it appended it: a different one is a
        // tampered or mis-written history, even when the data still decodes.
        const expectedType = eventType(node.event, decoded.success)
        if (event.type !== expectedType) {
          throw new EventDecodeError({
            stream: this.stream,
            revision,
            step,
            issue: `the event's type is ${JSON.stringify(event.type)}, but its data is a ${JSON.stringify(expectedType)}`
          })
        }
        const input: Machine.Input = {
          _tag: stepNode === undefined ? "Signal" : "Step",
          node: step,
          event: decoded.success
        }
        this.advance(event, step, decoded.success, () => Machine.accept(this.workflow, position, input, this.trace)!)
        if (signalNode !== undefined && typeof meta.sender === "string" && meta.sender.startsWith(KEY_PREFIX)) {
          this.rememberSignal(meta.sender, { revision, signal: signalNode.signal.name, reply: meta.reply ?? null })
        }
      }
    }
  }

  private addStarted(event: StoredEvent, step: string): void {
    const meta = event.metadata as { workflow?: unknown; fingerprint?: unknown }
    if (event.type !== STARTED || step !== START_STEP) {
      throw new HistoryError({
        stream: this.stream,
        revision: 0,
        reason: `the first event must be ${STARTED}, found ${event.type} of step ${step}`
      })
    }
    if (meta.workflow !== this.definition.name) {
      throw new HistoryError({
        stream: this.stream,
        revision: 0,
        reason: `the instance belongs to workflow ${JSON.stringify(meta.workflow)}, not ${JSON.stringify(this.definition.name)}`
      })
    }
    const input = jsonCodec(this.definition.input).decode((event.data as { input?: unknown } | null)?.input)
    if (Result.isFailure(input)) {
      throw new EventDecodeError({ stream: this.stream, revision: 0, step, issue: `input: ${issueOf(input)}` })
    }
    this.recordedFingerprint = typeof meta.fingerprint === "string" ? meta.fingerprint : ""
    this.input = input.success
    this.trace?.({ _tag: "Completed", node: START_STEP })
    this.advance(event, step, input.success, () => Machine.start(this.workflow, input.success, this.trace))
  }

  private advance(event: StoredEvent, step: string, decoded: unknown, next: () => Machine.Position): void {
    let position: Machine.Position
    try {
      position = next()
    } catch (cause) {
      throw new HistoryError({
        stream: this.stream,
        revision: event.revision,
        reason: `the definition threw while applying the event of step ${step}: ${String(cause)}`,
        cause
      })
    }
    this.commit({ revision: event.revision, step, type: event.type, event: decoded, at: event, position })
  }

  /** Move the fold past one event whose consequence (`position`) is known: a stored one, or one just appended. */
  commit(entry: {
    readonly revision: number
    readonly step: string
    readonly type: string
    readonly event: unknown
    /**
     * When the event was recorded: the ISO time, or the stored event to read it from. Only the timeline uses it, so
     * a stored event's timestamp is parsed only by a fold that keeps one.
     */
    readonly at: string | StoredEvent
    readonly position: Machine.Position
    /** For an attempt event: which attempt failed, and why. */
    readonly attempt?: AttemptFailure
  }): void {
    this.position = entry.position
    this.revision = entry.revision
    if (entry.attempt === undefined) {
      if (entry.revision > 0) {
        this.occurrences ??= new Map()
        this.occurrences.set(entry.step, (this.occurrences.get(entry.step) ?? 0) + 1)
        this.incidents?.delete(entry.step)
        this.retries?.delete(entry.step)
      }
    } else {
      const { attempt, error, tag, nextAttemptAt, failedAt } = entry.attempt
      this.incidents ??= new Map()
      this.incidents.set(entry.step, {
        attempts: attempt,
        error,
        ...(nextAttemptAt === undefined ? {} : { nextAttemptAt })
      })
      if (nextAttemptAt !== undefined) {
        this.retries ??= new Map()
        const list = this.retries.get(entry.step) ?? []
        list.push({ at: failedAt, input: { attempt, error, tag } })
        this.retries.set(entry.step, list)
      }
    }
    this.timeline?.push({
      revision: entry.revision,
      step: entry.step,
      type: entry.type,
      event: entry.event,
      at: typeof entry.at === "string" ? new Date(entry.at) : recordedAt(entry.at),
      state: Machine.stateOf(entry.position),
      status: this.status()
    })
  }

  /** The replay so far; undefined before the first event. */
  result(): Replay | undefined {
    if (this.position === undefined) return undefined
    return {
      stream: this.stream,
      workflow: this.definition.name,
      fingerprint: { recorded: this.recordedFingerprint, current: definitionFingerprint(this.definition) },
      revision: this.revision,
      state: Machine.stateOf(this.position),
      status: this.status(),
      timeline: this.timeline ?? [],
      visits: this.visits ?? new Map(),
      trace: this.traced ?? []
    }
  }
}

/** A failed attempt as recorded (`AttemptFailed` / `RetriesExhausted` data, and the event's time). */
export interface AttemptFailure {
  readonly attempt: number
  readonly error: string
  /** The error's `_tag`, when it had one. */
  readonly tag: string | undefined
  /** When the next attempt runs (ms), for a step with a retry policy that goes on. */
  readonly nextAttemptAt: number | undefined
  /** When the attempt failed (ms). */
  readonly failedAt: number
}

const attemptOf = (event: StoredEvent): AttemptFailure => {
  const data = event.data as {
    readonly attempt?: unknown
    readonly error?: unknown
    readonly tag?: unknown
    readonly nextAttemptAt?: unknown
  } | null
  const next = typeof data?.nextAttemptAt === "string" ? Date.parse(data.nextAttemptAt) : Number.NaN
  return {
    attempt: typeof data?.attempt === "number" ? data.attempt : 1,
    error: typeof data?.error === "string" ? data.error : "unknown error",
    tag: typeof data?.tag === "string" ? data.tag : undefined,
    nextAttemptAt: Number.isNaN(next) ? undefined : next,
    failedAt: recordedAt(event).getTime()
  }
}

/**
 * Replay a recorded history (all of it, from revision 0) through a definition. Pure: no step Effect runs.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { replay, type StoredEvent } from "durable-monad"
 * import { pullRequest } from "../examples/pull-request.js"
 *
 * declare const history: ReadonlyArray<StoredEvent>
 * const result = replay(pullRequest, "pullRequest-42", history, { timeline: true })
 * if (Result.isSuccess(result)) console.log(result.success.status, result.success.timeline.length)
 * ```
 */
export const replay = <In, Out, E, R, S>(
  definition: Definition<In, Out, E, R, S>,
  stream: string,
  events: Iterable<StoredEvent>,
  options?: { readonly timeline?: boolean }
): Result.Result<Replay<S, E>, ReplayError | HistoryError> => {
  const fold = new Fold(definition, stream, { timeline: options?.timeline ?? false, visits: true })
  try {
    for (const event of events) fold.add(event)
  } catch (error) {
    if (isReplayError(error)) return Result.fail(error)
    throw error
  }
  const result = fold.result()
  return result === undefined
    ? Result.fail(new HistoryError({ stream, revision: 0, reason: "the history is empty" }))
    : Result.succeed(result as Replay<S, E>)
}

export const isReplayError = (u: unknown): u is ReplayError =>
  u instanceof NonDeterminismError || u instanceof EventDecodeError || u instanceof HistoryError
