import type { NodeProgress, Progress } from "./Progress.js"
import type { WorkflowModel } from "./WorkflowModel.js"

/** One entry of an instance's trace (structurally the machine's `TraceEntry`: the model does not depend on it). */
export type TraceSummaryEntry =
  | { readonly _tag: "Completed"; readonly node: string }
  | { readonly _tag: "Branched"; readonly branch: string; readonly arm: string | undefined }
  | { readonly _tag: "Round"; readonly loop: string; readonly round: number }
  | { readonly _tag: "Raised"; readonly node: string; readonly error: unknown }
  | { readonly _tag: "Caught"; readonly catch: string; readonly node: string }
  | { readonly _tag: "Left"; readonly scope: string; readonly node: string }
  | { readonly _tag: "AttemptFailed"; readonly node: string; readonly attempt: number }
  | { readonly _tag: "TimerStarted"; readonly node: string; readonly at: number }
  | { readonly _tag: "Raced"; readonly race: string; readonly winner: string }
  | { readonly _tag: "Interrupted"; readonly section: string; readonly by: string }

/** What progress needs from a replay (structurally: the model does not depend on the interpreters). */
export interface ReplaySummary {
  readonly stream: string
  readonly status: {
    readonly _tag: "Running" | "Waiting" | "Completed" | "Failed"
    readonly step?: string
    /** Set while the step's last attempt failed: the step is an incident. */
    readonly lastError?: string
  }
  readonly trace: ReadonlyArray<TraceSummaryEntry>
}

const STATUS = { Running: "running", Waiting: "waiting", Completed: "completed", Failed: "failed" } as const

interface Tally {
  count: number
  /** How the node's last pass ended: completed, or left by an error (raised it, or a scope it was in). */
  last: "done" | "failed" | undefined
  rounds: number
  /** Failed attempts (of a step). */
  attempts: number
  /** The tag of the error the node last raised. */
  error?: string | undefined
  /** The release time of the timer's last start (ms), until it fires. */
  dueAt: number | undefined
}

/**
 * Each node's progress, read off an instance's trace (what the machine passed through, exactly): a node is `done`
 * when its last pass completed, `failed` when its last pass raised an error or — for a catch, loop or sub-workflow
 * — was left by one (a catch whose boundary fired is failed: its body did not complete, its handler ran);
 * `current` where the instance waits or runs next, `incident` there when the last attempt of that step failed.
 * Loops carry their number of `rounds`; steps with failed attempts their number of `attempts`; the timer an
 * instance sleeps on its `dueAt`. Nodes absent from
 * the trace were not reached; ids the model does not know (the journal's `start`, anonymous transitions) are left
 * out.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toModel, toProgress, WorkflowRuntime } from "durable-monad"
 * import { pullRequest } from "../examples/pull-request.js"
 *
 * const progress = Effect.gen(function* () {
 *   const pr = yield* (yield* WorkflowRuntime).get(pullRequest, "42")
 *   return toProgress(toModel(pullRequest), yield* pr.replay)
 * })
 * ```
 */
export const toProgress = (model: WorkflowModel, replay: ReplaySummary): Progress => {
  const known = new Set<string>()
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect)
    else if (typeof value === "object" && value !== null) {
      const id = (value as { id?: unknown }).id
      if (typeof id === "string") known.add(id)
      Object.values(value).forEach(collect)
    }
  }
  collect(model.root)

  const tallies = new Map<string, Tally>()
  const tally = (id: string): Tally => {
    let t = tallies.get(id)
    if (t === undefined) tallies.set(id, (t = { count: 0, last: undefined, rounds: 0, attempts: 0, dueAt: undefined }))
    return t
  }
  const done = (id: string) => {
    const t = tally(id)
    t.count++
    t.last = "done"
    t.dueAt = undefined
  }
  for (const entry of replay.trace) {
    switch (entry._tag) {
      case "Completed":
        done(entry.node)
        break
      case "Branched":
        done(entry.branch)
        if (entry.arm !== undefined) done(entry.arm)
        break
      case "Round":
        tally(entry.loop).rounds = entry.round
        break
      case "Raised": {
        const t = tally(entry.node)
        t.last = "failed"
        const tag = (entry.error as { readonly _tag?: unknown } | null)?._tag
        t.error = typeof tag === "string" ? tag : undefined
        break
      }
      case "Caught":
        tally(entry.catch).last = "failed"
        break
      case "Left":
        tally(entry.scope).last = "failed"
        break
      case "AttemptFailed":
        tally(entry.node).attempts++
        break
      case "TimerStarted":
        tally(entry.node).dueAt = entry.at
        break
      case "Interrupted":
        // The section is over (cut short, not failed); a timeout that did not fire is no longer due.
        done(entry.section)
        for (const t of tallies.values()) if (t.last === undefined) t.dueAt = undefined
        break
      case "Raced":
        // The race is decided: the timer of a deadline that lost is no longer due.
        for (const t of tallies.values()) if (t.last === undefined) t.dueAt = undefined
        break
      default:
        entry satisfies never
    }
  }

  const nodes: Record<string, NodeProgress> = {}
  const extras = (t: Tally) => ({
    ...(t.rounds > 0 ? { rounds: t.rounds } : {}),
    // Attempts it took in all: the failed ones and the completed ones.
    ...(t.attempts > 0 ? { attempts: t.attempts + t.count } : {}),
    ...(t.last === "failed" && t.error !== undefined ? { error: t.error } : {})
  })
  for (const [id, t] of tallies) {
    if (!known.has(id) || t.last === undefined) continue
    nodes[id] = { state: t.last, count: t.count, ...extras(t) }
  }
  const { status } = replay
  if ((status._tag === "Running" || status._tag === "Waiting") && status.step !== undefined && known.has(status.step)) {
    const t = tally(status.step)
    nodes[status.step] = {
      state: status._tag === "Running" && status.lastError !== undefined ? "incident" : "current",
      count: t.count,
      ...extras(t),
      ...(t.dueAt === undefined ? {} : { dueAt: new Date(t.dueAt).toISOString() })
    }
  }
  return { instance: replay.stream, status: STATUS[status._tag], nodes }
}
