/**
 * Replay: fold a recorded history through a definition, with no effects at all. Strict: every event must be
 * the event the definition expects at that point, decodable with its step's Schema; anything else is an error
 * naming the stream and the revision — never skipped.
 *
 * The runtime recovers instances with the same fold (`Fold`), and keeps it to add the events it appends itself.
 */
import { Result } from "effect"
import { compile } from "../dsl/compile.js"
import type { Definition } from "../dsl/Definition.js"
import { toNode } from "../dsl/Workflow.js"
import { fingerprint, toModel } from "../model/toModel.js"
import { EventDecodeError, HistoryError, NonDeterminismError, type ReplayError } from "./errors.js"
import { issueOf, jsonCodec, recordedAt, recordedStep, START_STEP, STARTED } from "./journal.js"
import * as Machine from "./Machine.js"
import { type Status, statusOf } from "./Status.js"
import type { StoredEvent } from "./store/EventStore.js"

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

/**
 * An incremental fold over one stream. `add` takes the next stored event; errors are thrown as `ReplayError`s
 * (callers turn them into typed failures) and leave the fold unchanged.
 */
export class Fold {
  readonly root
  position: Machine.Position | undefined = undefined
  revision = -1
  recordedFingerprint = ""
  /** Completed events per step id: the `occurrence` of the step's next event. */
  readonly occurrences = new Map<string, number>()
  readonly visits = new Map<string, { done: number; failed: number }>()
  readonly timeline: Array<TimelineEntry> | undefined
  readonly trace: Machine.Trace | undefined

  /**
   * @param options.timeline keep one `TimelineEntry` per event;
   * @param options.visits count the nodes passed (`visits`), for progress.
   */
  constructor(
    readonly definition: Definition.Any,
    readonly stream: string,
    options?: { readonly timeline?: boolean; readonly visits?: boolean }
  ) {
    this.root = compile(toNode(definition.workflow)).root
    this.timeline = options?.timeline === true ? [] : undefined
    const visit = (id: string) => {
      let v = this.visits.get(id)
      if (v === undefined) this.visits.set(id, (v = { done: 0, failed: 0 }))
      return v
    }
    this.trace =
      options?.visits === true
        ? { done: (id) => void visit(id).done++, failed: (id) => void visit(id).failed++ }
        : undefined
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
    if (position._tag !== "Active" || position.node.id !== step) {
      throw new NonDeterminismError({
        stream: this.stream,
        revision,
        expected: position._tag === "Active" ? [position.node.id!] : [],
        found: step
      })
    }
    const decoded = jsonCodec(position.node.event).decode(event.data)
    if (Result.isFailure(decoded)) {
      throw new EventDecodeError({ stream: this.stream, revision, step, issue: issueOf(decoded) })
    }
    this.advance(event, step, decoded.success, () => Machine.feed(position, decoded.success, this.trace))
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
    this.trace?.done(START_STEP)
    this.advance(event, step, input.success, () => Machine.start(this.root, input.success, this.trace))
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
    this.commit({
      revision: event.revision,
      step,
      type: event.type,
      event: decoded,
      at: event,
      position
    })
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
  }): void {
    this.position = entry.position
    this.revision = entry.revision
    this.occurrences.set(entry.step, (this.occurrences.get(entry.step) ?? 0) + 1)
    this.timeline?.push({
      revision: entry.revision,
      step: entry.step,
      type: entry.type,
      event: entry.event,
      at: typeof entry.at === "string" ? new Date(entry.at) : recordedAt(entry.at),
      state: entry.position.state,
      status: statusOf(entry.position)
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
      state: this.position.state,
      status: statusOf(this.position),
      timeline: this.timeline ?? [],
      visits: this.visits
    }
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
