import type { WorkflowModel } from "../model/WorkflowModel.js"
import type { RenderOptions } from "./bpmn.js"
import { badgeText, colorsFor, containerFill, notReached } from "./colors.js"
import {
  allFlows,
  allNodes,
  type Container,
  type Flow,
  type FlowGraph,
  type FlowNode,
  isBoundaryEvent
} from "./graph.js"
import { IdAllocator } from "./ids.js"
import { type DrawState, overlay } from "./progress.js"
import { toFlowGraph } from "./toFlowGraph.js"

/**
 * A Mermaid flowchart of the same flow graph the BPMN shows: small circles for start and end events (end events with
 * a thick ring), stadiums for waits, diamonds for gateways, rounded boxes for tasks, a subgraph per subprocess. A
 * boundary event becomes a dotted flow from its subprocess, labelled with its name. With `progress`, labels start
 * with a state badge (✓ done, ‖ waiting, ▶ running, ✕ failed, ⚠ incident; ×n when repeated, ↻n attempts) so the state reads
 * without colour, `classDef`/`class` lines colour nodes (grey: not reached) and `linkStyle` taken flows. Ids are
 * prefixed (`end`, `graph`… are Mermaid keywords), labels always quoted and escaped.
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
        const title = (states ? badgeText(states, node) : "") + node.name
        out.push(`${indent}subgraph ${id} [${quote(title.length > 0 ? title : " ")}]`)
        // Without it, a subgraph linked from outside is laid out top to bottom.
        out.push(`${indent}  direction LR`)
        declare(node.container, `${indent}  `)
        out.push(`${indent}end`)
        continue
      }
      const shape = nodeShape(node, states ? badgeText(states, node) : "")
      if (shape !== undefined) out.push(`${indent}${id}${shape}`)
    }
  }
  declare(graph.root, "  ")

  // Outer container first: the order `linkStyle` counts flows in.
  const flows = allFlows(graph.root)
  const hostOf = new Map<string, string>()
  const boundaryName = new Map<string, string>()
  for (const node of allNodes(graph.root))
    if (isBoundaryEvent(node)) {
      hostOf.set(node.id, node.attachedTo)
      // An interruption says what it waits for, as the catch events do.
      const icon = node.kind === "interruptBoundaryEvent" ? (node.trigger.type === "message" ? "✉ " : "⏱ ") : ""
      boundaryName.set(node.id, icon + node.name)
    }
  for (const flow of flows) out.push(`  ${edge(flow, names, hostOf, boundaryName)}`)

  if (states) {
    // Classes by state, and by shape where the stroke matters (thick end events, lighter subgraphs); what was not
    // reached is greyed. Only the classes used are defined.
    const byClass = new Map<string, Array<string>>()
    for (const node of allNodes(graph.root)) {
      const id = names.get(node.id)
      if (id === undefined) continue
      const state = states.states.get(node.id) ?? "idle"
      const cls = `${state}${node.kind === "subProcess" ? "Scope" : node.kind === "endEvent" ? "End" : ""}`
      byClass.set(cls, [...(byClass.get(cls) ?? []), id])
    }
    for (const cls of [...byClass.keys()].sort()) {
      const state = cls.replace(/Scope$|End$/, "") as DrawState | "idle"
      const c = state === "idle" ? notReached : colorsFor(state, states.status)
      const fill = cls.endsWith("Scope") && state !== "idle" ? containerFill(state, states.status) : c.fill
      const width = cls.endsWith("End") ? 4 : 2
      out.push(`  classDef ${cls} fill:${fill},stroke:${c.stroke},stroke-width:${width}px,color:${c.text ?? "#22242a"}`)
    }
    for (const [cls, ids] of [...byClass].sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push(`  class ${ids.join(",")} ${cls}`)
    const taken = flows.flatMap((f, i) => (states.states.get(f.id) === "done" ? [i] : []))
    if (taken.length > 0)
      out.push(`  linkStyle ${taken.join(",")} stroke:${colorsFor("done", states.status).stroke},stroke-width:3px`)
  } else {
    // Without progress, end events still need their thick ring (a double circle would read as intermediate).
    const ends = allNodes(graph.root).flatMap((n) => (n.kind === "endEvent" ? [names.get(n.id) as string] : []))
    if (ends.length > 0) {
      out.push(`  classDef endEvent stroke-width:4px`)
      out.push(`  class ${ends.join(",")} endEvent`)
    }
  }
  return `${out.join("\n")}\n`
}

/**
 * Mermaid's shape for each kind of flow node: one exhaustive switch. Subprocesses and boundaries have none. Waits are
 * stadiums (a big circle would dwarf the tasks), events small circles; end events get a thick ring from a class.
 */
const nodeShape = (node: FlowNode, badge: string): string | undefined => {
  const text = badge + node.name
  switch (node.kind) {
    case "startEvent":
    case "endEvent":
      // A circle grows with its text: break long names into short lines so an event stays small.
      return `((${quoteLines(text, 14)}))`
    case "messageCatchEvent":
      return `([${quote(`✉ ${text}`)}])`
    case "timerCatchEvent":
      return `([${quote(`⏱ ${text}`)}])`
    case "exclusiveGateway":
      return `{${quote(text.length > 0 ? text : " ")}}`
    case "task":
      return `(${quote(text)})`
    case "subProcess":
    case "errorBoundaryEvent":
    case "escalationBoundaryEvent":
    case "interruptBoundaryEvent":
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
    if (isBoundaryEvent(node)) continue
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

/** A quoted label broken into lines of about `width` characters (at spaces), joined with `<br>`. */
const quoteLines = (text: string, width: number): string => {
  const lines: Array<string> = []
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const last = lines[lines.length - 1]
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`
    else lines.push(word)
  }
  return `"${lines.map((l) => quote(l).slice(1, -1)).join("<br>")}"`
}
