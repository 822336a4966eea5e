import ElkBundled from "elkjs/lib/elk.bundled.js"
import type { ElkEdgeSection, ElkExtendedEdge, ElkLabel, ElkNode, ElkPort, LayoutOptions } from "elkjs/lib/elk-api.js"
import type { WorkflowModel } from "../model/WorkflowModel.js"
import type { Container, Flow, FlowGraph, FlowNode } from "./graph.js"
import { untangleLabels } from "./labels.js"
import { externalLabel, innerStyle, type LabelBox, wrap } from "./text.js"
import { toFlowGraph } from "./toFlowGraph.js"

export interface Point {
  readonly x: number
  readonly y: number
}

export interface Bounds {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** A label drawn outside its element (events, gateways, flows): a `BPMNLabel` in BPMN DI. */
export interface Label {
  readonly bounds: Bounds
  readonly lines: ReadonlyArray<string>
}

export interface ShapeLayout {
  readonly node: FlowNode
  readonly bounds: Bounds
  /** Lines of the name drawn inside the shape (tasks; subprocess title), wrapped as bpmn-js does. */
  readonly text: ReadonlyArray<string>
  readonly label?: Label
  /** Id of the process or subprocess that contains it. */
  readonly parent: string
}

export interface EdgeLayout {
  readonly flow: Flow
  readonly waypoints: ReadonlyArray<Point>
  readonly label?: Label
  readonly parent: string
}

/** A laid-out flow graph, in absolute coordinates: what both the BPMN diagram interchange and the SVG draw. */
export interface Diagram {
  readonly graph: FlowGraph
  /** Containers before their children, boundary events right after their host. */
  readonly shapes: ReadonlyArray<ShapeLayout>
  readonly edges: ReadonlyArray<EdgeLayout>
  /** Everything drawn, labels included. */
  readonly bounds: Bounds
}

/**
 * Lays a workflow model out with elkjs (layered, left to right, orthogonal flows). Deterministic: the same model
 * gives the same coordinates, so the BPMN and SVG built from it are byte-identical from run to run.
 *
 * @example
 * const diagram = await layout(model)
 * const [bpmn, svg] = await Promise.all([toBpmn(diagram), toSvg(diagram)]) // one layout, two drawings
 */
export const layout = async (model: WorkflowModel): Promise<Diagram> => layoutGraph(toFlowGraph(model))

export const layoutGraph = async (graph: FlowGraph): Promise<Diagram> => {
  const sizes = new Map<string, Sized>()
  const elkRoot: ElkNode = {
    id: "root",
    layoutOptions: { ...GRAPH_OPTIONS, "elk.padding": "[top=20,left=20,bottom=20,right=20]" },
    ...containerToElk(graph.root, sizes)
  }
  const laid = await elk.layout(elkRoot)
  return readBack(graph, laid, sizes)
}

// ---------------------------------------------------------------------------------------------------------------

// One instance: creating ELK is not free, and layouts do not share state. The bundle is CommonJS whose
// `module.exports` is the constructor and also carries it as `default`: reach it the way both tsc and Node see it.
const elk = new ElkBundled.default()

/** DESIGN.md's options for a BPMN look; spacing widened so labels breathe. */
const GRAPH_OPTIONS: LayoutOptions = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.cycleBreaking.strategy": "MODEL_ORDER",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.json.shapeCoords": "ROOT",
  "elk.json.edgeCoords": "ROOT",
  "elk.spacing.nodeNode": "30",
  "elk.layered.spacing.nodeNodeBetweenLayers": "40",
  "elk.spacing.edgeNode": "20",
  "elk.layered.spacing.edgeNodeBetweenLayers": "20",
  "elk.spacing.edgeEdge": "12",
  "elk.layered.spacing.edgeEdgeBetweenLayers": "12",
  "elk.spacing.edgeLabel": "4",
  "elk.spacing.labelNode": "4",
  "elk.edgeLabels.inline": "false",
  // Workflows are series-parallel and model order already gives a good order of arms: a light crossing
  // minimisation (no greedy switch) roughly halves the layout time of a 200-node model for the same pictures.
  "elk.layered.thoroughness": "3",
  "elk.layered.crossingMinimization.greedySwitch.type": "OFF"
}

const EVENT = 36
const GATEWAY = 50
const TASK_WIDTH = 100
const TASK_MIN_HEIGHT = 80
/** bpmn-js pads text inside shapes by 7 px on each side. */
const INNER_PADDING = 7

interface Sized {
  readonly text: ReadonlyArray<string>
  readonly label?: LabelBox
}

/** How each kind of flow node is sized and attached: one exhaustive switch. */
const nodeToElk = (
  node: FlowNode,
  boundaries: ReadonlyArray<FlowNode>,
  loopsBack: boolean,
  sizes: Map<string, Sized>
): ElkNode => {
  switch (node.kind) {
    // Boundary events never get here as nodes (they are ports of their host, see boundaryPort).
    case "startEvent":
    case "endEvent":
    case "messageCatchEvent":
    case "timerCatchEvent":
    case "errorBoundaryEvent":
      // A flow back to the start of a loop leaves from the bottom tip: the name goes on top, out of its way.
      return tipNode(node, EVENT, loopsBack ? "OUTSIDE V_TOP H_CENTER" : "OUTSIDE V_BOTTOM H_CENTER", sizes)
    case "exclusiveGateway":
      return tipNode(node, GATEWAY, "OUTSIDE V_TOP H_CENTER", sizes)
    case "task": {
      const text = wrap(node.name, TASK_WIDTH - 2 * INNER_PADDING, innerStyle)
      sizes.set(node.id, { text: text.lines })
      // Text is centred: a service task grows until it clears the gear in its corner.
      const clearance = node.service ? 20 : INNER_PADDING
      const height = Math.max(TASK_MIN_HEIGHT, Math.ceil((text.height + 2 * clearance) / 10) * 10)
      return { id: node.id, width: TASK_WIDTH, height }
    }
    case "subProcess": {
      const title = node.name.trim().length > 0 ? wrap(node.name, 400, innerStyle) : undefined
      sizes.set(node.id, { text: title?.lines ?? [] })
      const top = title ? Math.ceil(INNER_PADDING + title.height + 16) : 20
      const bottom = boundaries.length > 0 ? 36 : 20
      return {
        id: node.id,
        // The layered options of the root apply inside too, except cycle breaking: MODEL_ORDER on a compound node
        // crashes elkjs 0.12, and the default (greedy) reverses arbitrary flows. Depth first from the start event
        // reverses exactly the flows that return to an open loop, which is what a structured workflow has.
        layoutOptions: {
          "elk.layered.cycleBreaking.strategy": "DEPTH_FIRST",
          "elk.padding": `[top=${top},left=20,bottom=${bottom},right=20]`,
          "elk.portConstraints": "FIXED_SIDE",
          "elk.nodeSize.minimum": `(${Math.ceil((title?.width ?? 0) + 2 * INNER_PADDING)},0)`,
          "elk.nodeSize.constraints": "MINIMUM_SIZE"
        },
        ports: boundaries.map((b) => boundaryPort(b, sizes)),
        ...containerToElk(node.container, sizes)
      }
    }
  }
}

/** Events and gateways: flows meet their tips through fixed ports; the name goes outside. */
const tipNode = (node: FlowNode, size: number, placement: string, sizes: Map<string, Sized>): ElkNode => {
  const label = node.name.trim().length > 0 ? externalLabel(node.name) : undefined
  sizes.set(node.id, { text: [], ...(label ? { label } : {}) })
  const port = (side: string, x: number, y: number): ElkPort => ({
    id: `${node.id}:${side}`,
    x,
    y,
    width: 0,
    height: 0,
    layoutOptions: { "elk.port.side": side }
  })
  return {
    id: node.id,
    width: size,
    height: size,
    layoutOptions: { "elk.portConstraints": "FIXED_POS" },
    ports: [
      port("WEST", 0, size / 2),
      port("EAST", size, size / 2),
      port("NORTH", size / 2, 0),
      port("SOUTH", size / 2, size)
    ],
    ...(label
      ? {
          labels: [
            {
              id: `${node.id}:label`,
              text: node.name,
              width: label.width,
              height: label.height,
              layoutOptions: { "elk.nodeLabels.placement": placement }
            }
          ]
        }
      : {})
  }
}

/** A boundary event is a port of its host on the bottom border, half inside, half outside. */
const boundaryPort = (node: FlowNode, sizes: Map<string, Sized>): ElkPort => {
  const label = externalLabel(node.name)
  sizes.set(node.id, { text: [], label })
  return {
    id: node.id,
    width: EVENT,
    height: EVENT,
    layoutOptions: { "elk.port.side": "SOUTH", "elk.port.borderOffset": `${-EVENT / 2}` },
    labels: [{ id: `${node.id}:label`, text: node.name, width: label.width, height: label.height }]
  }
}

const containerToElk = (container: Container, sizes: Map<string, Sized>): Pick<ElkNode, "children" | "edges"> => {
  const boundariesOf = new Map<string, Array<FlowNode>>()
  for (const node of container.nodes) {
    if (node.kind === "errorBoundaryEvent")
      boundariesOf.set(node.attachedTo, [...(boundariesOf.get(node.attachedTo) ?? []), node])
  }
  const kindOf = new Map(container.nodes.map((n) => [n.id, n]))
  const backSources = new Set(container.flows.filter((f) => f.loopBack !== undefined).map((f) => f.source))
  const children = container.nodes
    .filter((n) => n.kind !== "errorBoundaryEvent")
    .map((n) => nodeToElk(n, boundariesOf.get(n.id) ?? [], backSources.has(n.id), sizes))
  const end = (id: string, side: "EAST" | "WEST" | "SOUTH"): string => {
    const node = kindOf.get(id)
    if (node === undefined || node.kind === "task" || node.kind === "subProcess" || node.kind === "errorBoundaryEvent")
      return id
    return `${id}:${side}`
  }
  const edges: Array<ElkExtendedEdge> = container.flows.map((flow) => {
    const back = flow.loopBack !== undefined
    const label = flow.name !== undefined && flow.name.trim().length > 0 ? externalLabel(flow.name) : undefined
    if (label) sizes.set(flow.id, { text: [], label })
    return {
      id: flow.id,
      // A loop hangs below its line: the way round leaves the decision downwards, the way out straight on.
      sources: [end(flow.source, back || flow.loopRepeat !== undefined ? "SOUTH" : "EAST")],
      targets: [end(flow.target, back ? "SOUTH" : "WEST")],
      ...(label
        ? {
            labels: [
              {
                id: `${flow.id}:label`,
                text: flow.name ?? "",
                width: label.width,
                height: label.height,
                layoutOptions: { "elk.edgeLabels.placement": "CENTER" }
              }
            ]
          }
        : {})
    }
  })
  return { children, edges }
}

// ---------------------------------------------------------------------------------------------------------------

const round = (n: number | undefined): number => Math.round(n ?? 0)

const boundsOf = (e: { x?: number; y?: number; width?: number; height?: number }): Bounds => ({
  x: round(e.x),
  y: round(e.y),
  width: round(e.width),
  height: round(e.height)
})

const labelOf = (elkLabel: ElkLabel | undefined, box: LabelBox | undefined): Label | undefined =>
  elkLabel && box
    ? { bounds: boundsOf({ ...elkLabel, width: box.width, height: box.height }), lines: box.lines }
    : undefined

const readBack = (graph: FlowGraph, root: ElkNode, sizes: Map<string, Sized>): Diagram => {
  const shapes: Array<ShapeLayout> = []
  const edges: Array<EdgeLayout> = []
  const visit = (container: Container, elkContainer: ElkNode) => {
    const elkNodes = new Map((elkContainer.children ?? []).map((n) => [n.id, n]))
    const elkPorts = new Map<string, ElkPort>()
    for (const n of elkContainer.children ?? []) for (const p of n.ports ?? []) elkPorts.set(p.id, p)
    for (const node of container.nodes) {
      const sized = sizes.get(node.id)
      const elkNode = node.kind === "errorBoundaryEvent" ? elkPorts.get(node.id) : elkNodes.get(node.id)
      if (elkNode === undefined) throw new Error(`layout: no position for ${node.id}`)
      const label = labelOf(elkNode.labels?.[0], sized?.label)
      shapes.push({
        node,
        bounds: boundsOf(elkNode),
        text: sized?.text ?? [],
        parent: container.id,
        ...(label ? { label } : {})
      })
      if (node.kind === "subProcess") visit(node.container, elkNode as ElkNode)
    }
    const elkEdges = new Map((elkContainer.edges ?? []).map((e) => [e.id, e]))
    for (const flow of container.flows) {
      const elkEdge = elkEdges.get(flow.id)
      const section: ElkEdgeSection | undefined = elkEdge?.sections?.[0]
      if (elkEdge === undefined || section === undefined) throw new Error(`layout: no route for ${flow.id}`)
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((p) => ({
        x: round(p.x),
        y: round(p.y)
      }))
      const label = labelOf(elkEdge.labels?.[0], sizes.get(flow.id)?.label)
      edges.push({ flow, waypoints: simplify(points), parent: container.id, ...(label ? { label } : {}) })
    }
  }
  visit(graph.root, root)
  const placed = untangleLabels(shapes, edges)
  return { graph, shapes, edges: placed, bounds: extent(shapes, placed) }
}

/** Drops repeated points and middle points of straight runs (rounding can create both). */
const simplify = (points: ReadonlyArray<Point>): Array<Point> => {
  const out: Array<Point> = []
  for (const p of points) {
    const last = out[out.length - 1]
    if (last && last.x === p.x && last.y === p.y) continue
    const before = out[out.length - 2]
    if (before && last && ((before.x === last.x && last.x === p.x) || (before.y === last.y && last.y === p.y)))
      out.pop()
    out.push(p)
  }
  return out
}

const extent = (shapes: ReadonlyArray<ShapeLayout>, edges: ReadonlyArray<EdgeLayout>): Bounds => {
  let minX = Number.POSITIVE_INFINITY
  let minY = Number.POSITIVE_INFINITY
  let maxX = Number.NEGATIVE_INFINITY
  let maxY = Number.NEGATIVE_INFINITY
  const add = (b: Bounds) => {
    minX = Math.min(minX, b.x)
    minY = Math.min(minY, b.y)
    maxX = Math.max(maxX, b.x + b.width)
    maxY = Math.max(maxY, b.y + b.height)
  }
  for (const s of shapes) {
    add(s.bounds)
    if (s.label) add(s.label.bounds)
  }
  for (const e of edges) {
    for (const p of e.waypoints) add({ x: p.x, y: p.y, width: 0, height: 0 })
    if (e.label) add(e.label.bounds)
  }
  return minX === Number.POSITIVE_INFINITY
    ? { x: 0, y: 0, width: 0, height: 0 }
    : { x: minX, y: minY, width: maxX - minX, height: maxY - minY }
}
