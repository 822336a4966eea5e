import type { Progress } from "../model/Progress.js"
import { allFlows, allNodes, type Container, type Flow, type FlowGraph, type FlowNode } from "./graph.js"

/** How an element is drawn for an instance: absent means not reached. */
export type DrawState = "done" | "current" | "failed" | "incident"

export interface Overlay {
  readonly instance: string
  readonly status: Progress["status"]
  /** By BPMN element id (flow nodes and sequence flows). */
  readonly states: ReadonlyMap<string, DrawState>
  /**
   * By BPMN element id, when above 1: how many times a task or event completed, or how many rounds a loop ran (on
   * its decision gateway, from `rounds`). Drawn as ×n.
   */
  readonly counts: ReadonlyMap<string, number>
  /** By BPMN element id, when above 1: how many attempts a step took (from `attempts`). */
  readonly attempts: ReadonlyMap<string, number>
  /** By BPMN element id: when the timer the instance sleeps on is due (ISO time, from `dueAt`). */
  readonly dues: ReadonlyMap<string, string>
}

/**
 * Works out which BPMN elements and flows an instance has passed, from its progress on model nodes.
 *
 * Elements that stand for a model node (tasks, signal and end events, branch and loop gateways, subprocesses)
 * take that node's state. The others exist only in the drawing (start and end events, merge gateways, error
 * boundaries), and so do gateways and subprocesses of composite nodes the progress does not mention: they are
 * inferred, until nothing changes, from two facts of a workflow made of exclusive paths:
 * - what lies between the start and a reached element was passed (something reached lies ahead);
 * - a done element leads on to what follows it without a decision (merge gateways, end events) — except out of a
 *   loop, which is left only once the loop is done.
 * A branch arm's flow is taken exactly when its arm is done; a pass-through (no arm taken) when its branch is done
 * and no arm was; a flow back to a loop's start when something in the loop ran twice. A subprocess whose next
 * element was reached completed normally. A subprocess with no state of its own takes one from its content:
 * current while something inside is, failed if something inside failed and it did not complete, else done.
 *
 * @example
 * overlay(graph, { instance: "42", status: "running", nodes: { charge: { state: "done", count: 1 } } })
 *   .states.get("Activity_charge") // "done"
 */
export const overlay = (graph: FlowGraph, progress: Progress): Overlay => {
  const nodes = allNodes(graph.root)
  const flows = allFlows(graph.root).filter((f) => f.loopBack === undefined)
  const backFlows = allFlows(graph.root).filter((f) => f.loopBack !== undefined)
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const outgoing = group(flows, (f) => f.source)
  const incoming = group(flows, (f) => f.target)

  const entry = (key: string | undefined) => (key !== undefined ? progress.nodes[key] : undefined)
  /** How many error end events follow each step's outcome gateway: with one, a failure raised that one. */
  const raisable = new Map<string, number>()
  for (const n of nodes)
    if (n.kind === "endEvent" && n.error !== undefined && n.progressKey !== undefined)
      raisable.set(n.progressKey, (raisable.get(n.progressKey) ?? 0) + 1)
  const own = (node: FlowNode | undefined): DrawState | undefined => {
    const e = entry(node?.progressKey)
    if (node === undefined || e === undefined) return undefined
    // A step's outcome gateway was passed once the step finished, either way; its error end event fired when the
    // step failed with that error.
    if (node.kind === "exclusiveGateway" && node.outcomeOf !== undefined)
      return e.state === "done" || e.state === "failed" || e.count > 0 ? "done" : undefined
    if (node.kind === "endEvent" && node.error !== undefined)
      return e.state === "failed" &&
        (e.error === node.error || (e.error === undefined && raisable.get(node.progressKey ?? "") === 1))
        ? "failed"
        : undefined
    return e.state
  }
  const isLoopExit = (f: Flow) => f.loopExit !== undefined
  const loopFinished = (f: Flow) => entry(f.loopExit)?.state === "done" || progress.status === "completed"
  const armDone = (f: Flow) => f.arm !== undefined && entry(f.arm)?.state === "done"
  /** A section cut short: one of its interrupt boundaries fired, so it was not left through its normal way out. */
  const interrupted = (subProcess: string) =>
    nodes.some((n) => n.kind === "interruptBoundaryEvent" && n.attachedTo === subProcess && own(n) === "done")
  /** Flows that cannot have been taken, whatever else happened. */
  const excluded = (f: Flow): boolean => {
    if (f.arm !== undefined) return !armDone(f)
    if (byId.get(f.source)?.kind === "subProcess" && interrupted(f.source)) return true
    // A branch's pass-through is the way when the branch took none of its arms.
    if (f.passThrough !== undefined) return (outgoing.get(f.source) ?? []).some(armDone)
    if (f.ok !== undefined) {
      const step = entry(f.ok)
      return !(step?.state === "done" || (step?.count ?? 0) > 0)
    }
    if (f.raises !== undefined) return !states.has(f.target)
    return false
  }

  const states = new Map<string, DrawState>()
  for (const n of nodes) {
    const s = own(n)
    if (s) states.set(n.id, s)
  }
  /** Derived elements known to have been passed because something reached lies ahead of them. */
  const passed = new Set<string>()
  const isDone = (id: string) => states.get(id) === "done"

  const subProcesses = nodes.filter((n): n is Extract<FlowNode, { kind: "subProcess" }> => n.kind === "subProcess")
  const containerOf = new Map<string, Container>()
  for (const sp of subProcesses) for (const n of sp.container.nodes) containerOf.set(n.id, sp.container)
  for (const n of graph.root.nodes) containerOf.set(n.id, graph.root)
  /**
   * With one boundary per caught error, the one that fired is the one for an error that the failed element inside
   * declares (when it declares any).
   */
  const mayHaveFired = (n: FlowNode): boolean => {
    if (n.kind !== "errorBoundaryEvent" || n.error === undefined) return true
    const host = byId.get(n.attachedTo)
    if (host?.kind !== "subProcess") return true
    const raised = allNodes(host.container).flatMap((m) =>
      (m.kind === "task" || m.kind === "messageCatchEvent") && states.get(m.id) === "failed" ? m.errors : []
    )
    return raised.length === 0 || raised.includes(n.error)
  }
  const inferred = nodes.filter((n) => own(n) === undefined && (n.progressKey === undefined || n.composite === true))

  for (let changed = true; changed; ) {
    changed = false
    const mark = (id: string, state: DrawState) => {
      if (states.get(id) !== state) {
        states.set(id, state)
        changed = true
      }
    }
    for (const n of [...inferred].reverse()) {
      if (n.kind === "subProcess" || !mayHaveFired(n)) continue
      const ahead = (outgoing.get(n.id) ?? []).some((f) => !excluded(f) && states.has(f.target))
      if (ahead && !passed.has(n.id)) {
        passed.add(n.id)
        mark(n.id, "done")
      }
    }
    for (const n of inferred) {
      if (n.kind === "subProcess" || states.has(n.id)) continue
      const container = containerOf.get(n.id)
      const entered =
        n.kind === "startEvent" &&
        (container === graph.root || (container?.nodes.some((m) => m.id !== n.id && states.has(m.id)) ?? false))
      const led = (incoming.get(n.id) ?? []).some(
        (f) => isDone(f.source) && !excluded(f) && (!isLoopExit(f) || loopFinished(f))
      )
      if (entered || led) mark(n.id, "done")
    }
    for (const sp of subProcesses) {
      const normalNext = (outgoing.get(sp.id) ?? []).some((f) => states.has(f.target))
      // Reached what follows it: it completed, so its end events were reached — unless the trace says it was left
      // through its error boundary or cut short by an interruption (what follows was then reached through it).
      if (normalNext && own(sp) !== "failed" && !interrupted(sp.id))
        for (const end of sp.container.nodes)
          if (end.kind === "endEvent" && !end.terminate && end.error === undefined && end.escalation === undefined)
            mark(end.id, "done")
      if (own(sp) === undefined) {
        const inside = fromInside(sp.container, states)
        if (inside) mark(sp.id, inside)
      } else if (states.has(sp.id) && sp.container.nodes[0]?.kind === "startEvent") {
        mark(sp.container.nodes[0].id, "done")
      }
    }
  }

  const repeated = (loopId: string) => (graph.loops.get(loopId) ?? []).some((key) => (entry(key)?.count ?? 0) > 1)
  for (const f of flows) {
    const reachedBeyond = own(byId.get(f.target)) !== undefined || passed.has(f.target)
    // Into a step's outcome gateway: taken once the step finished (completed, failed, or an earlier round of it).
    const target = byId.get(f.target)
    const intoOutcome = target?.kind === "exclusiveGateway" && target.outcomeOf !== undefined
    const source = intoOutcome && states.get(f.target) === "done" ? "done" : states.get(f.source)
    const taken =
      source === "done" && states.has(f.target) && !excluded(f) && (!isLoopExit(f) || loopFinished(f) || reachedBeyond)
    if (taken) states.set(f.id, "done")
  }
  // Back through a restart: the restart ran, so the loop went round. Straight back from the decision: only a second
  // run of something in the loop tells.
  for (const f of backFlows) {
    const round = f.loopRepeat === undefined || (f.loopBack !== undefined && repeated(f.loopBack))
    if (isDone(f.source) && round) states.set(f.id, "done")
  }
  const counts = new Map<string, number>()
  const attempts = new Map<string, number>()
  const dues = new Map<string, string>()
  for (const n of nodes) {
    const e = entry(n.progressKey)
    if (e === undefined) continue
    const isLoopDecision =
      n.kind === "exclusiveGateway" && n.direction === "split" && graph.loops.has(n.progressKey ?? "")
    const times = isLoopDecision
      ? e.rounds
      : n.kind === "task" || n.kind === "messageCatchEvent" || n.kind === "timerCatchEvent"
        ? e.count
        : undefined
    if (times !== undefined && times > 1) counts.set(n.id, times)
    if (n.kind === "task" && e.attempts !== undefined && e.attempts > 1) attempts.set(n.id, e.attempts)
    // A timer the instance sleeps on: the catch event, or the boundary of the section it times out.
    if (e.dueAt !== undefined && e.state === "current" && states.get(n.id) === "current") dues.set(n.id, e.dueAt)
  }
  return { instance: progress.instance, status: progress.status, states, counts, attempts, dues }
}

const group = (flows: ReadonlyArray<Flow>, key: (f: Flow) => string): Map<string, Array<Flow>> => {
  const out = new Map<string, Array<Flow>>()
  for (const f of flows) out.set(key(f), [...(out.get(key(f)) ?? []), f])
  return out
}

/** A subprocess' state from what happened inside: still running, aborted by an error, or finished. */
const fromInside = (container: Container, states: ReadonlyMap<string, DrawState>): DrawState | undefined => {
  const inside = container.nodes.filter((n) => n.kind !== "startEvent").map((n) => states.get(n.id))
  if (!inside.some((s) => s !== undefined)) return undefined
  if (inside.includes("current")) return "current"
  if (inside.includes("incident")) return "incident"
  const ended = container.nodes.some((n) => n.kind === "endEvent" && states.get(n.id) === "done")
  if (ended) return "done"
  return inside.includes("failed") ? "failed" : "current"
}

/**
 * Flows in drawing order: those taken last. Flows share stretches of line (out of a split, into a join), and the
 * one on top is the one whose colour shows.
 */
export const takenLast = <T extends { readonly flow: Flow }>(
  edges: ReadonlyArray<T>,
  colors: Overlay | undefined
): ReadonlyArray<T> =>
  colors
    ? [...edges.filter((e) => !colors.states.has(e.flow.id)), ...edges.filter((e) => colors.states.has(e.flow.id))]
    : edges
