import type { Progress } from "../model/Progress.js"
import { allFlows, allNodes, type Container, type Flow, type FlowGraph, type FlowNode } from "./graph.js"

/** How an element is drawn for an instance: absent means not reached. */
export type DrawState = "done" | "current" | "failed"

export interface Overlay {
  readonly status: Progress["status"]
  /** By BPMN element id (flow nodes and sequence flows). */
  readonly states: ReadonlyMap<string, DrawState>
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
  const own = (node: FlowNode | undefined): DrawState | undefined => {
    const state = entry(node?.progressKey)?.state
    // Until incidents get their own drawing: a step whose last attempt failed is drawn failed, not healthy-current.
    return state === "incident" ? "failed" : state
  }
  const isLoopExit = (f: Flow) => f.loopExit !== undefined
  const loopFinished = (f: Flow) => entry(f.loopExit)?.state === "done" || progress.status === "completed"
  const armDone = (f: Flow) => f.arm !== undefined && entry(f.arm)?.state === "done"
  /** Flows that cannot have been taken, whatever else happened. */
  const excluded = (f: Flow): boolean => {
    if (f.arm !== undefined) return !armDone(f)
    // A branch's pass-through is the way when the branch took none of its arms.
    if (f.passThrough !== undefined) return (outgoing.get(f.source) ?? []).some(armDone)
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
      // Reached what follows it: it completed, so its end events were reached.
      if (normalNext)
        for (const end of sp.container.nodes) if (end.kind === "endEvent" && !end.terminate) mark(end.id, "done")
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
    const taken =
      isDone(f.source) && states.has(f.target) && !excluded(f) && (!isLoopExit(f) || loopFinished(f) || reachedBeyond)
    if (taken) states.set(f.id, "done")
  }
  // Back through a restart: the restart ran, so the loop went round. Straight back from the decision: only a second
  // run of something in the loop tells.
  for (const f of backFlows) {
    const round = f.loopRepeat === undefined || (f.loopBack !== undefined && repeated(f.loopBack))
    if (isDone(f.source) && round) states.set(f.id, "done")
  }
  return { status: progress.status, states }
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
