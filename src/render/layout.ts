import type { WorkflowModel } from "../model/WorkflowModel.js"
import type { Block, Container, Flow, FlowGraph, FlowNode } from "./graph.js"
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
  /** Containers before their children, in the order of the graph. */
  readonly shapes: ReadonlyArray<ShapeLayout>
  readonly edges: ReadonlyArray<EdgeLayout>
  /** Everything drawn, labels included. */
  readonly bounds: Bounds
}

/**
 * Lays a workflow model out: left to right, orthogonal flows, the way a BPMN modeller draws a structured process.
 * The layout follows the workflow's structure (see {@link Block}) rather than a general graph algorithm, so that:
 * - the happy path is one straight line: a branch's first arm goes straight ahead, the other arms hang below it in
 *   their declared order, each leaving the split from its own point of the gateway's lower corners (no two arms
 *   share a line) and entering the join from below, mirrored;
 * - a loop's way back runs below its body (through its restart step, drawn right to left), so nested loops have
 *   their ways back one below the other, a row apart;
 * - a subprocess' content is spaced exactly as the top level; what its error boundaries lead to hangs below it;
 * - a long sequence at the top level or in a subprocess wraps into rows, so a diagram fits a screen.
 *
 * Deterministic: the same model gives the same coordinates, so the BPMN and SVG built from it are byte-identical.
 *
 * @example
 * const diagram = await layout(model)
 * const [bpmn, svg] = await Promise.all([toBpmn(diagram), toSvg(diagram)]) // one layout, two drawings
 */
export const layout = async (model: WorkflowModel): Promise<Diagram> => layoutGraph(toFlowGraph(model))

export const layoutGraph = async (graph: FlowGraph): Promise<Diagram> => {
  const laid = new Layouter(graph)
  const part = laid.container(graph.root)
  part.translate(MARGIN - part.box.minX, MARGIN - part.box.minY)
  return laid.diagram(part)
}

// ---------------------------------------------------------------------------------------------------------------

/** Between consecutive elements on a line (as at the top level, so inside subprocesses too). */
export const GAP = 40
/** Between the rows of a branch's arms, and around a loop's way back. */
export const ROW_GAP = 30
/** A line (of the top level or of a subprocess) longer than this wraps into rows. */
export const MAX_ROW_WIDTH = 1400
const MARGIN = 20
const EVENT = 36
const GATEWAY = 50
const TASK_WIDTH = 100
const TASK_MIN_HEIGHT = 80
/** bpmn-js pads text inside shapes by 7 px on each side. */
const INNER_PADDING = 7
const SUB_PADDING = 20

interface Box {
  minX: number
  minY: number
  maxX: number
  maxY: number
}

/** A flow leaving a part, not yet connected: its way so far, from the dock on its source. */
interface Exit {
  readonly source: string
  readonly points: Array<Point>
  /** The flow, when the part knows which (an arm's); else the one flow from `source` to where it is connected. */
  readonly flow?: Flow
  /** Where the flow's label goes, when the part that made the exit placed it. */
  readonly label?: Bounds
}

const moveExit = (e: Exit, dx: number, dy: number): Exit => ({
  ...e,
  points: e.points.map((p) => ({ x: p.x + dx, y: p.y + dy })),
  ...(e.label ? { label: move(e.label, dx, dy) } : {})
})

/**
 * Laid-out elements in local coordinates: the entry (west end of the first element) at (0, 0), the part's main line
 * on y = 0.
 */
class Part {
  readonly shapes = new Map<string, { bounds: Bounds; label?: Bounds }>()
  readonly edges = new Map<string, { points: Array<Point>; label?: Bounds }>()
  exits: Array<Exit> = []
  box: Box = { minX: 0, minY: 0, maxX: 0, maxY: 0 }
  /** Whether anything was drawn (an empty part is a path straight through). */
  empty = true
  /** The first element: where flows into the part go. */
  entry: string | undefined

  grow(b: Bounds): void {
    if (this.empty && this.shapes.size === 0 && this.edges.size === 0) {
      this.box = { minX: b.x, minY: b.y, maxX: b.x + b.width, maxY: b.y + b.height }
      this.empty = false
      return
    }
    this.empty = false
    this.box.minX = Math.min(this.box.minX, b.x)
    this.box.minY = Math.min(this.box.minY, b.y)
    this.box.maxX = Math.max(this.box.maxX, b.x + b.width)
    this.box.maxY = Math.max(this.box.maxY, b.y + b.height)
  }

  shape(id: string, bounds: Bounds, label?: Bounds): void {
    this.grow(bounds)
    if (label) this.grow(label)
    this.shapes.set(id, label ? { bounds, label } : { bounds })
    this.entry ??= id
  }

  edge(id: string, points: Array<Point>, label?: Bounds): void {
    for (const p of points) this.grow({ x: p.x, y: p.y, width: 0, height: 0 })
    if (label) this.grow(label)
    this.edges.set(id, label ? { points, label } : { points })
  }

  /** Copies another part in, moved by (dx, dy); returns its exits, moved. */
  place(other: Part, dx: number, dy: number): Array<Exit> {
    for (const [id, s] of other.shapes) {
      const moved = { bounds: move(s.bounds, dx, dy), ...(s.label ? { label: move(s.label, dx, dy) } : {}) }
      this.grow(moved.bounds)
      if (moved.label) this.grow(moved.label)
      this.shapes.set(id, moved)
    }
    for (const [id, e] of other.edges)
      this.edge(
        id,
        e.points.map((p) => ({ x: p.x + dx, y: p.y + dy })),
        e.label ? move(e.label, dx, dy) : undefined
      )
    if (!other.empty)
      this.grow({
        x: other.box.minX + dx,
        y: other.box.minY + dy,
        width: other.box.maxX - other.box.minX,
        height: other.box.maxY - other.box.minY
      })
    this.entry ??= other.entry
    return other.exits.map((e) => moveExit(e, dx, dy))
  }

  translate(dx: number, dy: number): void {
    const copy = new Part()
    copy.exits = copy.place(this, dx, dy)
    this.shapes.clear()
    this.edges.clear()
    for (const [k, v] of copy.shapes) this.shapes.set(k, v)
    for (const [k, v] of copy.edges) this.edges.set(k, v)
    this.exits = copy.exits
    this.box = copy.box
  }

  /** Mirrored left to right (x → −x): what flows right to left (a loop's restart). */
  mirror(): Part {
    const out = new Part()
    const flip = (b: Bounds): Bounds => ({ ...b, x: -(b.x + b.width) })
    for (const [id, s] of this.shapes) out.shape(id, flip(s.bounds), s.label ? flip(s.label) : undefined)
    for (const [id, e] of this.edges)
      out.edge(
        id,
        e.points.map((p) => ({ x: -p.x, y: p.y })),
        e.label ? flip(e.label) : undefined
      )
    out.box = { minX: -this.box.maxX, maxX: -this.box.minX, minY: this.box.minY, maxY: this.box.maxY }
    out.empty = this.empty
    out.entry = this.entry
    out.exits = this.exits.map((e) => ({
      ...e,
      points: e.points.map((p) => ({ x: -p.x, y: p.y })),
      ...(e.label ? { label: flip(e.label) } : {})
    }))
    return out
  }
}

const move = (b: Bounds, dx: number, dy: number): Bounds => ({ ...b, x: b.x + dx, y: b.y + dy })

/** A label box centred on x, its top at y. */
const centred = (box: LabelBox, x: number, y: number): Bounds => ({
  x: Math.round(x - box.width / 2),
  y: Math.round(y),
  width: box.width,
  height: box.height
})

const labelled = (name: string, maxWidth?: number): LabelBox | undefined =>
  name.trim().length > 0 ? externalLabel(name, maxWidth) : undefined

/** A gateway's question sits above it with room on both sides: wrap it less than an event's name. */
const GATEWAY_LABEL_WIDTH = 130

/** The vertical offset of each of `m` arms hanging below a gateway, nearest first: spread over its lower corners. */
const spread = (m: number): Array<number> => {
  if (m <= 1) return m === 1 ? [0] : []
  const step = Math.min(15, 40 / (m - 1))
  return Array.from({ length: m }, (_, i) => Math.round(((m - 1) / 2 - i) * step))
}

class Layouter {
  private readonly nodes = new Map<string, FlowNode>()
  private readonly flows: Array<Flow> = []
  private readonly parentOf = new Map<string, string>()
  private readonly texts = new Map<string, ReadonlyArray<string>>()
  private readonly labels = new Map<string, LabelBox>()
  private readonly used = new Set<string>()

  constructor(private readonly graph: FlowGraph) {
    const visit = (c: Container) => {
      for (const n of c.nodes) {
        this.nodes.set(n.id, n)
        this.parentOf.set(n.id, c.id)
        if (n.kind === "subProcess") visit(n.container)
      }
      for (const f of c.flows) {
        this.flows.push(f)
        this.parentOf.set(f.id, c.id)
        const box = f.name !== undefined ? labelled(f.name) : undefined
        if (box) this.labels.set(f.id, box)
      }
    }
    visit(graph.root)
  }

  private node(id: string): FlowNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`layout: no node ${id}`)
    return n
  }

  /** The flow from `source` to `target` not routed yet (loop backs only when asked). */
  private flow(source: string, target: string, back = false): Flow {
    const f = this.flows.find(
      (f) => f.source === source && f.target === target && (f.loopBack !== undefined) === back && !this.used.has(f.id)
    )
    if (f === undefined) throw new Error(`layout: no flow ${source} → ${target}`)
    this.used.add(f.id)
    return f
  }

  /** The flow an exit stands for, connected to `target`. */
  private flowOf(exit: Exit, target: string, back = false): Flow {
    return exit.flow ?? this.flow(exit.source, target, back)
  }

  private flowById(id: string): Flow {
    const f = this.flows.find((f) => f.id === id)
    if (f === undefined) throw new Error(`layout: no flow ${id}`)
    this.used.add(f.id)
    return f
  }

  /** How wide a row of the container being laid out may grow before it wraps. */
  private rowBudget = MAX_ROW_WIDTH

  /** The whole content of a process or subprocess, wrapped into rows when long. */
  container(c: Container): Part {
    return this.sequence(flatten(c.block), true)
  }

  /**
   * A subprocess' content: its rows wrap earlier than the line it sits on, by its padding and the start and end
   * events that usually flank it there, so that nested scopes together still fit a screen.
   */
  private nested(c: Container): Part {
    const outer = this.rowBudget
    this.rowBudget = Math.max(MAX_ROW_WIDTH / 2, outer - 2 * (SUB_PADDING + EVENT + GAP))
    try {
      return this.container(c)
    } finally {
      this.rowBudget = outer
    }
  }

  block(b: Block): Part {
    switch (b.kind) {
      case "node":
        return this.leaf(b.id)
      case "sequence":
        return this.sequence(flatten(b), false)
      case "branch":
        return this.branch(b)
      case "loop":
        return this.loop(b)
      case "scope":
        return this.scope(b)
    }
  }

  private entryOf(b: Block): string | undefined {
    switch (b.kind) {
      case "node":
        return b.id
      case "sequence":
        for (const item of b.items) {
          const e = this.entryOf(item)
          if (e !== undefined) return e
        }
        return undefined
      case "branch":
        return b.split
      case "loop":
        return b.join
      case "scope":
        return b.id
    }
  }

  // --- leaves -------------------------------------------------------------------------------------------------

  private leaf(id: string): Part {
    const node = this.node(id)
    if (node.kind === "subProcess") return this.subProcess(node, [])
    const part = new Part()
    const size = node.kind === "exclusiveGateway" ? GATEWAY : node.kind === "task" ? TASK_WIDTH : EVENT
    let height = size
    if (node.kind === "task") {
      const text = wrap(node.name, TASK_WIDTH - 2 * INNER_PADDING, innerStyle)
      this.texts.set(id, text.lines)
      // Text is centred: a service task grows until it clears the gear in its corner.
      const clearance = node.service ? 20 : INNER_PADDING
      height = Math.max(TASK_MIN_HEIGHT, Math.ceil((text.height + 2 * clearance) / 10) * 10)
    }
    const bounds = { x: 0, y: -height / 2, width: size, height }
    const box =
      node.kind === "task"
        ? undefined
        : labelled(node.name, node.kind === "exclusiveGateway" ? GATEWAY_LABEL_WIDTH : undefined)
    if (box) this.labels.set(id, box)
    // Gateways carry their question above (flows leave them sideways and downwards), events their name below.
    const label = box
      ? node.kind === "exclusiveGateway"
        ? centred(box, size / 2, -size / 2 - 4 - box.height)
        : centred(box, size / 2, size / 2 + 4)
      : undefined
    part.shape(id, bounds, label)
    if (node.kind !== "endEvent") part.exits = [{ source: id, points: [{ x: size, y: 0 }] }]
    return part
  }

  // --- sequences ----------------------------------------------------------------------------------------------

  private sequence(items: ReadonlyArray<Block>, wraps: boolean): Part {
    const parts = items.map((b) => ({ block: b, part: this.block(b) })).filter((p) => !p.part.empty)
    const out = new Part()
    if (parts.length === 0) return out
    const rows = wraps
      ? wrapRows(
          parts.map((p) => p.part.box.maxX - p.part.box.minX + GAP),
          this.rowBudget
        ).map((r) => r.map((i) => parts[i] as (typeof parts)[number]))
      : [parts]
    const lines = rows.map((row) => {
      const line = new Part()
      let lineExits: Array<Exit> = []
      for (const [i, p] of row.entries())
        lineExits = i === 0 ? line.place(p.part, 0, 0) : this.append(line, lineExits, p.part, this.entryOf(p.block))
      line.exits = lineExits
      return line
    })
    // The rows of a wrapped line are left-aligned; a flow returns from the end of a row along a lane below it, and
    // down the left side into the next row.
    const laneLeft = Math.min(...lines.map((l) => l.box.minX)) - GAP / 2
    let exits: Array<Exit> = []
    let previous: { readonly line: Part; readonly bottom: number } | undefined
    for (const line of lines) {
      const dy = previous === undefined ? 0 : previous.bottom + 2 * ROW_GAP - line.box.minY
      const moved = out.place(line, 0, dy)
      if (previous !== undefined) {
        const target = line.entry as string
        const laneY = previous.bottom + ROW_GAP
        // Right of the row, and of the label of a flow that leaves it (a loop's exit at the end of a row).
        const laneRight = Math.max(previous.line.box.maxX + GAP / 2, ...exits.map((e) => this.reach(e)))
        for (const exit of exits) {
          const last = exit.points[exit.points.length - 1] as Point
          const flow = this.flowOf(exit, target)
          out.edge(
            flow.id,
            [
              ...exit.points,
              { x: laneRight, y: last.y },
              { x: laneRight, y: laneY },
              { x: laneLeft, y: laneY },
              { x: laneLeft, y: dy },
              { x: 0, y: dy }
            ],
            this.exitLabel(flow, exit)
          )
        }
      }
      exits = moved
      previous = { line, bottom: dy + line.box.maxY }
    }
    out.exits = exits
    return out
  }

  /**
   * Puts `next` after what `line` holds, connecting the exits to its entry (straight, or stepping between the two
   * parts); returns the exits of `next`.
   */
  private append(line: Part, exits: ReadonlyArray<Exit>, next: Part, target: string | undefined): Array<Exit> {
    if (target === undefined) throw new Error("layout: nothing to connect to")
    // Room for the label of a flow (a loop's exit, an arm), right after where it leaves its source.
    let x = line.box.maxX + GAP - next.box.minX
    for (const exit of exits) x = Math.max(x, this.reach(exit) - next.box.minX)
    const flows = exits.map((e) => ({ exit: e, flow: this.flowOf(e, target) }))
    const mid = line.box.maxX + GAP / 2
    for (const { exit, flow } of flows) {
      const last = exit.points[exit.points.length - 1] as Point
      const points = [...exit.points]
      if (last.y !== 0) points.push({ x: mid, y: last.y }, { x: mid, y: 0 })
      points.push({ x, y: 0 })
      line.edge(flow.id, points, this.exitLabel(flow, exit))
    }
    return line.place(next, x, 0)
  }

  /** Where the label of a flow routed from an exit goes: just after its source, unless its part placed it. */
  private exitLabel(flow: Flow, exit: Exit): Bounds | undefined {
    if (exit.label) return exit.label
    const box = this.labels.get(flow.id)
    const start = exit.points[0] as Point
    return box ? aboveLine(box, start.x + 6, start.y) : undefined
  }

  /** How far right an exit's label reaches (where it leaves its source when nothing placed it yet). */
  private reach(exit: Exit): number {
    const start = exit.points[0] as Point
    if (exit.label) return exit.label.x + exit.label.width + 6
    const flow =
      exit.flow ?? this.flows.find((f) => f.source === exit.source && f.loopBack === undefined && !this.used.has(f.id))
    const box = flow ? this.labels.get(flow.id) : undefined
    return box ? start.x + 6 + box.width + 6 : start.x
  }

  // --- branches -----------------------------------------------------------------------------------------------

  private branch(b: Extract<Block, { kind: "branch" }>): Part {
    const out = new Part()
    const split = this.leaf(b.split)
    out.place(split, 0, 0)
    const arms = b.arms.map((arm) => {
      const flow = this.flowById(arm.flow)
      return { flow, body: this.block(arm.body), box: this.labels.get(flow.id) }
    })
    const widest = Math.max(0, ...arms.map((a) => a.box?.width ?? 0))
    const armX = GATEWAY + Math.max(GAP, widest + 16)
    const offsets = [0, ...spread(arms.length - 1)]
    // Rows: the first arm on the line, the others below in order.
    const rows: Array<number> = []
    let bottom = 0
    for (const [i, arm] of arms.entries()) {
      const top = Math.max(arm.body.empty ? 0 : -arm.body.box.minY, (arm.box?.height ?? 0) + 8)
      const y = i === 0 ? 0 : bottom + ROW_GAP + top
      rows.push(y)
      bottom = Math.max(y + (arm.body.empty ? 0 : arm.body.box.maxY), i === 0 ? GATEWAY / 2 : y)
    }
    const placed = arms.map((arm, i) => {
      const y = rows[i] as number
      const exits = arm.body.empty ? [] : out.place(arm.body, armX - Math.min(0, arm.body.box.minX), y)
      return { ...arm, y, exits, x: armX - Math.min(0, arm.body.box.minX) }
    })
    const right = Math.max(armX, ...placed.map((a) => (a.body.empty ? 0 : a.x + a.body.box.maxX)))
    const join = b.join !== undefined ? this.leaf(b.join) : undefined
    const jx = Math.max(right + GAP, ...placed.flatMap((a) => a.exits.map((e) => this.reach(e) + 6)))
    if (join) out.place(join, jx, 0)
    const jcx = jx + GATEWAY / 2
    const exits: Array<Exit> = []
    for (const [i, arm] of placed.entries()) {
      const d = offsets[i] as number
      const dock: Point = i === 0 ? { x: GATEWAY, y: 0 } : { x: GATEWAY / 2 + d, y: GATEWAY / 2 - Math.abs(d) }
      const trunk: Array<Point> = i === 0 ? [dock] : [dock, { x: dock.x, y: arm.y }]
      const label = arm.box ? aboveLine(arm.box, GATEWAY + 4, arm.y) : undefined
      // Into the join: the first arm from the west, the others from below, mirrored.
      const into = (exit: Exit): Array<Point> => {
        const last = exit.points[exit.points.length - 1] as Point
        if (i === 0)
          return last.y === 0
            ? [...exit.points, { x: jx, y: 0 }]
            : [...exit.points, { x: right + 15, y: last.y }, { x: right + 15, y: 0 }, { x: jx, y: 0 }]
        return [...exit.points, { x: jcx - d, y: last.y }, { x: jcx - d, y: GATEWAY / 2 - Math.abs(d) }]
      }
      if (arm.body.empty) {
        if (arm.flow.target === b.join) out.edge(arm.flow.id, into({ source: b.split, points: trunk }), label)
        else {
          // Straight on to what follows the branch (it has no join): an exit from the split.
          if (label) out.grow(label)
          exits.push({
            source: b.split,
            flow: arm.flow,
            points: [...trunk, { x: right, y: arm.y }],
            ...(label ? { label } : {})
          })
        }
        continue
      }
      out.edge(arm.flow.id, [...trunk, { x: arm.x, y: arm.y }], label)
      for (const exit of arm.exits) {
        if (join) {
          const flow = this.flowOf(exit, b.join as string)
          out.edge(flow.id, into(exit), this.exitLabel(flow, exit))
        } else {
          const last = exit.points[exit.points.length - 1] as Point
          exits.push({ ...exit, points: [...exit.points, { x: right, y: last.y }] })
        }
      }
    }
    out.exits = join ? [{ source: b.join as string, points: [{ x: jx + GATEWAY, y: 0 }] }] : exits
    return out
  }

  // --- loops --------------------------------------------------------------------------------------------------

  private loop(b: Extract<Block, { kind: "loop" }>): Part {
    const out = new Part()
    out.place(this.leaf(b.join), 0, 0)
    const body = this.block(b.body)
    const restart = this.block(b.restart).mirror()
    const repeatFlow = this.flows.find((f) => f.source === b.split && f.loopRepeat !== undefined)
    if (repeatFlow === undefined) throw new Error(`layout: no way back from ${b.split}`)
    this.used.add(repeatFlow.id)
    const repeatBox = this.labels.get(repeatFlow.id)
    const repeatRoom = Math.max(GAP, (repeatBox?.width ?? 0) + 12)

    const bx = GATEWAY + GAP - (body.empty ? 0 : Math.min(0, body.box.minX))
    const bodyRight = body.empty ? GATEWAY : bx + body.box.maxX
    // The split: after the body, and far enough for the restart to fit between the two gateways.
    const restartWidth = restart.empty ? 0 : restart.box.maxX - restart.box.minX
    const bodyExits = body.empty ? [] : out.place(body, bx, 0)
    const sx = Math.max(
      bodyRight + GAP,
      GATEWAY / 2 + GAP / 2 + restartWidth + repeatRoom - GATEWAY / 2,
      ...bodyExits.map((e) => this.reach(e))
    )
    const split = this.leaf(b.split)
    out.place(split, sx, 0)
    if (body.empty) {
      const flow = this.flow(b.join, b.split)
      out.edge(flow.id, [
        { x: GATEWAY, y: 0 },
        { x: sx, y: 0 }
      ])
    }
    for (const exit of bodyExits) {
      const flow = this.flowOf(exit, b.split)
      const last = exit.points[exit.points.length - 1] as Point
      const mid = bodyRight + GAP / 2
      out.edge(
        flow.id,
        last.y === 0
          ? [...exit.points, { x: sx, y: 0 }]
          : [...exit.points, { x: mid, y: last.y }, { x: mid, y: 0 }, { x: sx, y: 0 }],
        this.exitLabel(flow, exit)
      )
    }
    if (!body.empty) {
      const flow = this.flowEntering(b.join, this.entryOf(b.body))
      out.edge(flow.id, [
        { x: GATEWAY, y: 0 },
        { x: bx, y: 0 }
      ])
    }
    // The way back, below everything the loop holds so far.
    const down = { x: sx + GATEWAY / 2, y: GATEWAY / 2 }
    const up = { x: GATEWAY / 2, y: GATEWAY / 2 }
    const laneTop = out.box.maxY + ROW_GAP
    if (restart.empty) {
      const y = laneTop
      const label = repeatBox ? { x: down.x - 6 - repeatBox.width, y: y + 3, ...size(repeatBox) } : undefined
      out.edge(repeatFlow.id, [down, { x: down.x, y }, { x: up.x, y }, up], label)
    } else {
      const y = laneTop - restart.box.minY
      const rx = down.x - repeatRoom
      const label = repeatBox ? { x: rx + 6, y: y + 3, ...size(repeatBox) } : undefined
      const target = restart.entry as string
      if (repeatFlow.target !== target) throw new Error(`layout: ${repeatFlow.id} does not lead to ${target}`)
      out.edge(repeatFlow.id, [down, { x: down.x, y }, { x: rx, y }], label)
      for (const exit of out.place(restart, rx, y)) {
        const flow = this.flowOf(exit, b.join, true)
        const last = exit.points[exit.points.length - 1] as Point
        out.edge(flow.id, [...exit.points, { x: up.x, y: last.y }, up], this.exitLabel(flow, exit))
      }
    }
    out.exits = [{ source: b.split, points: [{ x: sx + GATEWAY, y: 0 }] }]
    return out
  }

  /** The (forward) flow from a gateway into a part's first element. */
  private flowEntering(source: string, target: string | undefined): Flow {
    if (target === undefined) throw new Error(`layout: nothing after ${source}`)
    return this.flow(source, target)
  }

  // --- subprocesses -------------------------------------------------------------------------------------------

  private scope(b: Extract<Block, { kind: "scope" }>): Part {
    const node = this.node(b.id)
    if (node.kind !== "subProcess") throw new Error(`layout: ${b.id} is not a subprocess`)
    return this.subProcess(node, b.boundaries, b)
  }

  /** A subprocess box around its content, with boundary events on its bottom border and what they lead to below. */
  private subProcess(
    node: Extract<FlowNode, { kind: "subProcess" }>,
    boundaries: ReadonlyArray<string>,
    b?: Extract<Block, { kind: "scope" }>
  ): Part {
    const out = new Part()
    const inner = this.nested(node.container)
    const title = node.name.trim().length > 0 ? wrap(node.name, 400, innerStyle) : undefined
    this.texts.set(node.id, title?.lines ?? [])
    const top = title ? Math.ceil(INNER_PADDING + title.height + 16) : SUB_PADDING
    const escalations = b?.escalations ?? []
    const ways = b?.ways ?? []
    // On the border, left to right: escalations first (their ends hang lowest), then error boundaries, then
    // interruptions (their paths hang right below the box, the rightmost highest).
    const border = [...escalations.map((e) => e.boundary), ...boundaries, ...ways.map((w) => w.boundary)]
    const boundaryBoxes = border.map((id) => {
      const box = labelled(this.node(id).name)
      if (box) this.labels.set(id, box)
      return box
    })
    const slots = border.map((_, i) => EVENT + (boundaryBoxes[i]?.width ?? 0) + 16)
    const innerWidth = inner.empty ? 0 : inner.box.maxX - inner.box.minX
    const width = Math.max(
      innerWidth + 2 * SUB_PADDING,
      Math.ceil((title?.width ?? 0) + 2 * INNER_PADDING),
      SUB_PADDING + slots.reduce((a, s) => a + s, 0),
      100
    )
    const boxTop = (inner.empty ? -EVENT / 2 : inner.box.minY) - top
    const boxBottom = (inner.empty ? EVENT / 2 : inner.box.maxY) + SUB_PADDING
    const bounds = { x: 0, y: boxTop, width, height: boxBottom - boxTop }
    out.shape(node.id, bounds)
    const innerExits = inner.empty ? [] : out.place(inner, SUB_PADDING - inner.box.minX, 0)
    if (innerExits.length > 0) throw new Error(`layout: ${node.id} has flows leaving its content`)
    out.entry = node.id

    // Boundaries on the bottom border, half outside; their names to the right, below the border.
    const placedBorder = border.map((id, i) => {
      const x = SUB_PADDING + slots.slice(0, i).reduce((a, s) => a + s, 0)
      const lb = boundaryBoxes[i]
      out.shape(
        id,
        { x, y: boxBottom - EVENT / 2, width: EVENT, height: EVENT },
        lb ? { x: x + EVENT + 3, y: boxBottom + 3, ...size(lb) } : undefined
      )
      return { id, cx: x + EVENT / 2 }
    })
    const labelDepth = Math.max(EVENT / 2, ...boundaryBoxes.map((lb) => (lb ? lb.height + 3 : 0)))
    let exits: Array<Exit> = this.completes(node) ? [{ source: node.id, points: [{ x: width, y: 0 }] }] : []
    if (b?.after !== undefined) {
      // Every path inside ends the instance: its end comes right after the box.
      const then = this.block(b.after)
      const x = width + GAP - then.box.minX
      for (const exit of exits) out.edge(this.flowOf(exit, then.entry as string).id, [...exit.points, { x, y: 0 }])
      out.place(then, x, 0)
      exits = []
    }
    const bottomOut = boxBottom + EVENT / 2
    let floor = boxBottom + labelDepth + ROW_GAP

    // The handler row: boundaries (merged first when several) → handler → the scope's join.
    const errorBorder = placedBorder.slice(escalations.length, escalations.length + boundaries.length)
    const handlerExits: Array<Exit> = []
    let handlerRight = width
    if (errorBorder.length > 0 && b !== undefined) {
      const handler = b.handler ? this.block(b.handler) : new Part()
      const rowY = floor + Math.max(b.merge !== undefined ? GATEWAY / 2 + 20 : 0, handler.empty ? 8 : -handler.box.minY)
      const lastCx = (errorBorder[errorBorder.length - 1] as { cx: number }).cx
      let hx = lastCx + GAP
      let from: Array<{ source: string; point: Point }> = []
      if (b.merge !== undefined) {
        const lastLabel = boundaryBoxes[boundaryBoxes.length - 1]
        const mx = lastCx + EVENT / 2 + 3 + (lastLabel?.width ?? 0) + GAP / 2
        out.place(this.leaf(b.merge), mx, rowY)
        const m = errorBorder.length
        for (const [k, eb] of errorBorder.entries()) {
          const y = rowY - Math.round((k * 20) / Math.max(1, m - 1))
          const flow = this.flow(eb.id, b.merge)
          out.edge(flow.id, [
            { x: eb.cx, y: bottomOut },
            { x: eb.cx, y },
            { x: mx + (rowY - y), y }
          ])
        }
        from = [{ source: b.merge, point: { x: mx + GATEWAY, y: rowY } }]
        hx = mx + GATEWAY + GAP
      } else {
        const eb = errorBorder[0] as { id: string; cx: number }
        from = [{ source: eb.id, point: { x: eb.cx, y: bottomOut } }]
      }
      if (!handler.empty) {
        const target = handler.entry as string
        const x = hx - Math.min(0, handler.box.minX)
        for (const f of from) {
          const flow = this.flow(f.source, target)
          out.edge(
            flow.id,
            f.point.y === rowY ? [f.point, { x, y: rowY }] : [f.point, { x: f.point.x, y: rowY }, { x, y: rowY }]
          )
        }
        handlerExits.push(...out.place(handler, x, rowY))
        handlerRight = Math.max(handlerRight, x + handler.box.maxX)
      } else {
        for (const f of from)
          handlerExits.push({
            source: f.source,
            points: f.point.y === rowY ? [f.point] : [f.point, { x: f.point.x, y: rowY }]
          })
        handlerRight = Math.max(handlerRight, ...from.map((f) => f.point.x))
      }
      floor = out.box.maxY + ROW_GAP
    }

    // Interruptions: each to its own path, a row each, the rightmost highest so no two cross; they rejoin below.
    const wayBorder = placedBorder.slice(escalations.length + boundaries.length)
    const wayExits: Array<Exit> = []
    for (let k = ways.length - 1; k >= 0; k--) {
      const w = ways[k] as { boundary: string; body: Block }
      const wb = wayBorder[k] as { id: string; cx: number }
      const then = this.block(w.body)
      if (then.empty) {
        const y = floor + 8
        wayExits.push({
          source: wb.id,
          points: [
            { x: wb.cx, y: bottomOut },
            { x: wb.cx, y }
          ]
        })
        handlerRight = Math.max(handlerRight, wb.cx)
        floor = y + ROW_GAP
        continue
      }
      const y = floor - then.box.minY
      const x = wb.cx + GAP - Math.min(0, then.box.minX)
      out.edge(this.flow(wb.id, then.entry as string).id, [
        { x: wb.cx, y: bottomOut },
        { x: wb.cx, y },
        { x, y }
      ])
      wayExits.push(...out.place(then, x, y))
      handlerRight = Math.max(handlerRight, x + then.box.maxX)
      floor = out.box.maxY + ROW_GAP
    }

    // Escalations: each to the end it stands for, the leftmost lowest so no two cross.
    const escalationBorder = placedBorder.slice(0, escalations.length)
    for (let k = escalations.length - 1; k >= 0; k--) {
      const e = escalations[k] as { boundary: string; after: Block }
      const eb = escalationBorder[k] as { id: string; cx: number }
      const then = this.block(e.after)
      const y = floor - then.box.minY
      const target = then.entry as string
      const flow = this.flow(eb.id, target)
      // Right of its boundary: the boundaries further right go down no further than the rows above this one.
      const endX = eb.cx + GAP - Math.min(0, then.box.minX)
      out.edge(flow.id, [
        { x: eb.cx, y: bottomOut },
        { x: eb.cx, y },
        { x: endX, y }
      ])
      out.place(then, endX, y)
      floor = out.box.maxY + ROW_GAP
    }

    if (b?.join !== undefined) {
      const jx = Math.max(
        Math.max(width, handlerRight, out.box.maxX) + GAP,
        ...[...exits, ...handlerExits, ...wayExits].map((e) => this.reach(e))
      )
      out.place(this.leaf(b.join), jx, 0)
      const jcx = jx + GATEWAY / 2
      for (const exit of exits) {
        const flow = this.flowOf(exit, b.join)
        out.edge(flow.id, [...exit.points, { x: jx, y: 0 }], this.exitLabel(flow, exit))
      }
      // From below, the highest leftmost (it turns up first), mirrored as a branch's arms enter its join.
      const below = [...handlerExits, ...wayExits]
      const offsets = spread(below.length)
      for (const [i, exit] of below.entries()) {
        const flow = this.flowOf(exit, b.join)
        const last = exit.points[exit.points.length - 1] as Point
        const d = offsets[i] as number
        out.edge(
          flow.id,
          [...exit.points, { x: jcx - d, y: last.y }, { x: jcx - d, y: GATEWAY / 2 - Math.abs(d) }],
          this.exitLabel(flow, exit)
        )
      }
      out.exits = [{ source: b.join, points: [{ x: jx + GATEWAY, y: 0 }] }]
    } else {
      const right = out.box.maxX
      out.exits = [...exits, ...handlerExits, ...wayExits].map((e) => {
        const last = e.points[e.points.length - 1] as Point
        return { ...e, points: [...e.points, { x: right, y: last.y }] }
      })
    }
    return out
  }

  /** Whether a subprocess has a normal way out (some path inside reaches its plain end event). */
  private completes(node: Extract<FlowNode, { kind: "subProcess" }>): boolean {
    return this.flows.some((f) => f.source === node.id && this.parentOf.get(f.id) === this.parentOf.get(node.id))
  }

  // --- result -------------------------------------------------------------------------------------------------

  diagram(part: Part): Diagram {
    const shapes: Array<ShapeLayout> = []
    const visit = (c: Container) => {
      for (const node of c.nodes) {
        const placed = part.shapes.get(node.id)
        if (placed === undefined) throw new Error(`layout: no position for ${node.id}`)
        const box = this.labels.get(node.id)
        shapes.push({
          node,
          bounds: placed.bounds,
          text: this.texts.get(node.id) ?? [],
          parent: c.id,
          ...(placed.label && box ? { label: { bounds: placed.label, lines: box.lines } } : {})
        })
        if (node.kind === "subProcess") visit(node.container)
      }
    }
    visit(this.graph.root)
    const edges: Array<EdgeLayout> = this.flows.map((flow) => {
      const placed = part.edges.get(flow.id)
      if (placed === undefined) throw new Error(`layout: no route for ${flow.id}`)
      const box = this.labels.get(flow.id)
      const bounds = placed.label ?? undefined
      return {
        flow,
        waypoints: simplify(placed.points),
        parent: this.parentOf.get(flow.id) ?? this.graph.root.id,
        ...(bounds && box ? { label: { bounds, lines: box.lines } } : {})
      }
    })
    const ordered = order(this.graph.root, edges)
    const untangled = untangleLabels(shapes, ordered)
    return { graph: this.graph, shapes, edges: untangled, bounds: extent(shapes, untangled) }
  }
}

/** Edges in the graph's order (containers before their children), as BPMN lists them. */
const order = (root: Container, edges: ReadonlyArray<EdgeLayout>): Array<EdgeLayout> => {
  const byId = new Map(edges.map((e) => [e.flow.id, e]))
  const out: Array<EdgeLayout> = []
  const visit = (c: Container) => {
    for (const f of c.flows) {
      const e = byId.get(f.id)
      if (e) out.push(e)
    }
    for (const n of c.nodes) if (n.kind === "subProcess") visit(n.container)
  }
  visit(root)
  return out
}

const size = (b: LabelBox) => ({ width: b.width, height: b.height })

/** A flow's label just above its line, starting at x. */
const aboveLine = (box: LabelBox, x: number, y: number): Bounds => ({
  x: Math.round(x),
  y: Math.round(y - 3 - box.height),
  ...size(box)
})

/**
 * Splits a line of items (their widths) into rows when it is longer than `max`: rows of about equal width, none
 * left nearly empty (a wide item stays with what precedes it rather than leaving a stub of a row).
 */
export const wrapRows = (widths: ReadonlyArray<number>, max = MAX_ROW_WIDTH): Array<Array<number>> => {
  const total = widths.reduce((a, w) => a + w, 0)
  const all = widths.map((_, i) => i)
  if (total <= max) return [all]
  const target = total / Math.ceil(total / max)
  const rows: Array<Array<number>> = [[]]
  let width = 0
  for (const [i, w] of widths.entries()) {
    const row = rows[rows.length - 1] as Array<number>
    if (row.length > 0 && width + w > target * 1.1 && width >= target / 2) {
      rows.push([i])
      width = w
    } else {
      row.push(i)
      width += w
    }
  }
  // A last row much shorter than a screen joins the one before when together they still fit one comfortably.
  const rowWidth = (r: ReadonlyArray<number>) => r.reduce((a, i) => a + (widths[i] as number), 0)
  const last = rows[rows.length - 1] as Array<number>
  const before = rows[rows.length - 2]
  if (before && rowWidth(last) < 0.3 * max && rowWidth(before) + rowWidth(last) <= 1.3 * max) {
    before.push(...last)
    rows.pop()
  }
  return rows
}

/** The items of a sequence, nested sequences spliced in. */
const flatten = (b: Block): ReadonlyArray<Block> =>
  b.kind === "sequence" ? b.items.flatMap((i) => (i.kind === "sequence" ? flatten(i) : [i])) : [b]

/** Drops repeated points and middle points of straight runs. */
const simplify = (points: ReadonlyArray<Point>): Array<Point> => {
  const out: Array<Point> = []
  for (const raw of points) {
    const p = { x: Math.round(raw.x), y: Math.round(raw.y) }
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
