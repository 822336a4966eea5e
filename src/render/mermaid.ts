import type { WorkflowModel } from "../model/WorkflowModel.js"
import type { RenderOptions } from "./bpmn.js"
import { colorsFor, containerFill } from "./colors.js"
import { allFlows, allNodes, type Container, type Flow, type FlowGraph, type FlowNode } from "./graph.js"
import { IdAllocator } from "./ids.js"
import { overlay } from "./progress.js"
import { toFlowGraph } from "./toFlowGraph.js"

/**
 * A Mermaid flowchart of the same flow graph the BPMN shows: circles for events (double for end events), diamonds
 * for gateways, rounded boxes for tasks, a subgraph per subprocess. An error boundary becomes a dotted flow from its
 * subprocess, labelled with the error. With `progress`, `classDef`/`class` lines colour nodes and `linkStyle` taken
 * flows. Ids are prefixed (`end`, `graph`… are Mermaid keywords), labels always quoted and escaped.
 *
 * @example
 * const text = toMermaid(model)
 * await writeFile("order.mmd", text) // or paste into a ```mermaid block
 */
export const toMermaid = (model: WorkflowModel, options: RenderOptions = {}): string => {
  const graph = toFlowGraph(model)
  const states = options.progress ? overlay(graph, options.progress) : undefined
  const names = mermaidIds(graph)
  // The name goes in a comment: a front-matter title is shown with `&` double-escaped and tags stripped.
  const out: Array<string> = [`%% ${graph.name.replace(/\s+/g, " ")}`, "flowchart LR"]

  const declare = (container: Container, indent: string) => {
    for (const node of container.nodes) {
      const id = names.get(node.id)
      if (node.kind === "subProcess") {
        out.push(`${indent}subgraph ${id} [${quote(node.name.length > 0 ? node.name : " ")}]`)
        // Without it, a subgraph linked from outside is laid out top to bottom.
        out.push(`${indent}  direction LR`)
        declare(node.container, `${indent}  `)
        out.push(`${indent}end`)
        continue
      }
      const shape = nodeShape(node)
      if (shape !== undefined) out.push(`${indent}${id}${shape}`)
    }
  }
  declare(graph.root, "  ")

  // Outer container first: the order `linkStyle` counts flows in.
  const flows = allFlows(graph.root)
  const hostOf = new Map<string, string>()
  for (const node of allNodes(graph.root)) if (node.kind === "errorBoundaryEvent") hostOf.set(node.id, node.attachedTo)
  const boundaryName = new Map(
    allNodes(graph.root)
      .filter((n) => n.kind === "errorBoundaryEvent")
      .map((n) => [n.id, n.name])
  )
  for (const flow of flows) out.push(`  ${edge(flow, names, hostOf, boundaryName)}`)

  if (states) {
    // Subgraphs get a lighter tint of their own class, so what they contain stays readable.
    const byClass = new Map<string, Array<string>>()
    for (const node of allNodes(graph.root)) {
      const state = states.states.get(node.id)
      const id = names.get(node.id)
      if (!state || id === undefined) continue
      const cls = node.kind === "subProcess" ? `${state}Scope` : state
      byClass.set(cls, [...(byClass.get(cls) ?? []), id])
    }
    for (const state of ["done", "current", "failed"] as const) {
      const c = colorsFor(state, states.status)
      out.push(`  classDef ${state} fill:${c.fill},stroke:${c.stroke},stroke-width:2px`)
      out.push(
        `  classDef ${state}Scope fill:${containerFill(state, states.status)},stroke:${c.stroke},stroke-width:2px`
      )
    }
    for (const [cls, ids] of byClass) out.push(`  class ${ids.join(",")} ${cls}`)
    const taken = flows.flatMap((f, i) => (states.states.get(f.id) === "done" ? [i] : []))
    if (taken.length > 0)
      out.push(`  linkStyle ${taken.join(",")} stroke:${colorsFor("done", states.status).stroke},stroke-width:2px`)
  }
  return `${out.join("\n")}\n`
}

/** Mermaid's shape for each kind of flow node: one exhaustive switch. Subprocesses and boundaries have none. */
const nodeShape = (node: FlowNode): string | undefined => {
  switch (node.kind) {
    case "startEvent":
    case "messageCatchEvent":
    case "timerCatchEvent":
      return `((${quote(node.name)}))`
    case "endEvent":
      return `(((${quote(node.name)})))`
    case "exclusiveGateway":
      return `{${quote(node.name.length > 0 ? node.name : " ")}}`
    case "task":
      return `(${quote(node.name)})`
    case "subProcess":
    case "errorBoundaryEvent":
      return undefined
  }
}

const edge = (
  flow: Flow,
  names: ReadonlyMap<string, string>,
  hostOf: ReadonlyMap<string, string>,
  boundaryName: ReadonlyMap<string, string>
): string => {
  const host = hostOf.get(flow.source)
  const source = names.get(host ?? flow.source)
  const target = names.get(flow.target)
  const label = host !== undefined ? boundaryName.get(flow.source) : flow.name
  // Spaces around arrows: `a---ob` would parse as a circle-ended edge to `b`.
  const arrow = host !== undefined ? "-.->" : "-->"
  return label !== undefined && label.length > 0
    ? `${source} ${arrow}|${quote(label)}| ${target}`
    : `${source} ${arrow} ${target}`
}

/** Mermaid ids: `n_` (nodes) or `s_` (subgraphs) + the BPMN id with anything but letters, digits and `_` replaced. */
const mermaidIds = (graph: FlowGraph): Map<string, string> => {
  const alloc = new IdAllocator()
  const names = new Map<string, string>()
  for (const node of allNodes(graph.root)) {
    if (node.kind === "errorBoundaryEvent") continue
    const prefix = node.kind === "subProcess" ? "s_" : "n_"
    names.set(node.id, alloc.take(prefix + node.id.replace(/[^A-Za-z0-9_]/g, "_")))
  }
  return names
}

/** A quoted Mermaid label. Entities keep quotes, `#`, `<`, `>` and `&` literal (strict mode strips tags). */
const quote = (text: string): string =>
  `"${text
    .replace(/\s+/g, " ")
    .replace(/[#"<>&]/g, (c) =>
      c === "#" ? "#35;" : c === '"' ? "#quot;" : c === "<" ? "#lt;" : c === ">" ? "#gt;" : "#amp;"
    )}"`
