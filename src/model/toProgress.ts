import type { NodeProgress, Progress } from "./Progress.js"
import type { WorkflowModel } from "./WorkflowModel.js"

/** What progress needs from a replay (structurally: the model does not depend on the interpreters). */
export interface ReplaySummary {
  readonly stream: string
  readonly status: { readonly _tag: "Running" | "Waiting" | "Completed" | "Failed"; readonly step?: string }
  readonly visits: ReadonlyMap<string, { readonly done: number; readonly failed: number }>
}

const STATUS = { Running: "running", Waiting: "waiting", Completed: "completed", Failed: "failed" } as const

/**
 * Mark each node of a model done / current / failed from an instance's replay; nodes left out were not reached.
 * Ids the model does not know (the journal's `start`, anonymous transitions) are left out.
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

  const nodes: Record<string, NodeProgress> = {}
  for (const [id, visits] of replay.visits) {
    if (!known.has(id)) continue
    if (visits.failed > 0) nodes[id] = { state: "failed", count: visits.done }
    else if (visits.done > 0) nodes[id] = { state: "done", count: visits.done }
  }
  const { status } = replay
  if ((status._tag === "Running" || status._tag === "Waiting") && status.step !== undefined && known.has(status.step)) {
    nodes[status.step] = { state: "current", count: nodes[status.step]?.count ?? 0 }
  }
  return { instance: replay.stream, status: STATUS[status._tag], nodes }
}
