import type { Progress } from "../model/Progress.js"
import { type RenderInput, type RenderOptions, toDiagram } from "./bpmn.js"
import { colorsFor, containerFill, defaultColors, legendEntries, notReached } from "./colors.js"
import { isBoundaryEvent } from "./graph.js"
import { slug } from "./ids.js"
import type { Diagram, EdgeLayout, Point, ShapeLayout } from "./layout.js"
import { type Overlay, overlay, takenLast } from "./progress.js"
import { badge, legendDisc } from "./svgBadges.js"
import { drawNode, outerLabel, type Paint } from "./svgNodes.js"
import { measure } from "./text.js"
import { escapeXml, num } from "./xml.js"

/**
 * The diagram as a standalone SVG document, drawn by us from the same layout as the BPMN diagram interchange (no
 * browser needed), in bpmn.io's visual language. Every element is a `<g data-element-id="…">` with a `<title>`
 * (its BPMN id, so a page can attach behaviour to it). With `progress`, elements and taken flows are coloured and
 * a legend is added.
 *
 * @example
 * const svg = await toSvg(model, { progress })
 * document.body.insertAdjacentHTML("beforeend", svg)
 */
export const toSvg = async (input: RenderInput, options: RenderOptions = {}): Promise<string> => {
  const diagram = await toDiagram(input)
  return svgDocument(diagram, options.progress)
}

const MARGIN = 20
const LEGEND_HEIGHT = 34

const svgDocument = (diagram: Diagram, progress: Progress | undefined): string => {
  const colors = progress ? overlay(diagram.graph, progress) : undefined
  const prefix = `dm-${slug(diagram.graph.rootId)}`
  const b = diagram.bounds
  const x0 = b.x - MARGIN
  const y0 = b.y - MARGIN
  const width = Math.max(b.width + 2 * MARGIN, progress ? legendWidth(progress) + 20 : 0)
  const height = b.height + 2 * MARGIN + (progress ? LEGEND_HEIGHT : 0)

  const edgeStrokes = [...new Set([defaultColors.stroke, ...diagram.edges.map((e) => edgePaint(e, colors).stroke)])]
  const markerIds = new Map(edgeStrokes.map((stroke, i) => [stroke, `${prefix}-${i}`]))
  const defs = edgeStrokes
    .map((stroke) => {
      const id = markerIds.get(stroke)
      return (
        `<marker id="${id}-end" viewBox="0 0 20 20" refX="11" refY="10" markerWidth="10" markerHeight="10" orient="auto">` +
        `<path d="M 1 5 L 11 10 L 1 15 Z" fill="${stroke}" stroke="${stroke}" stroke-width="1" stroke-linejoin="round"/></marker>` +
        `<marker id="${id}-default" viewBox="0 0 20 20" refX="0" refY="10" markerWidth="10" markerHeight="10" orient="auto">` +
        `<path d="M 6 4 L 10 16" fill="none" stroke="${stroke}" stroke-width="2" stroke-linecap="round"/></marker>`
      )
    })
    .join("")

  const containers = diagram.shapes.filter((s) => s.node.kind === "subProcess")
  const isBoundary = (s: ShapeLayout) => isBoundaryEvent(s.node)
  const boundaries = diagram.shapes.filter(isBoundary)
  const others = diagram.shapes.filter((s) => s.node.kind !== "subProcess" && !isBoundary(s))
  const name = diagram.graph.name

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="${num(x0)} ${num(y0)} ${num(width)} ${num(height)}" font-family="Arial, Helvetica, sans-serif" role="img" aria-label="${escapeXml(name)}">`,
    `<title>${escapeXml(name)}</title>`,
    `<defs>${defs}</defs>`,
    `<rect x="${num(x0)}" y="${num(y0)}" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    ...containers.map((s) => shapeGroup(s, colors)),
    ...takenLast(diagram.edges, colors).map((e) => edgeGroup(e, colors, markerIds)),
    ...others.map((s) => shapeGroup(s, colors)),
    ...boundaries.map((s) => shapeGroup(s, colors)),
    progress ? legend(progress, x0 + 10, b.y + b.height + MARGIN + 6) : "",
    "</svg>",
    ""
  ].join("\n")
}

const shapePaint = (s: ShapeLayout, colors: Overlay | undefined): Paint => {
  const state = colors?.states.get(s.node.id)
  if (!colors) return defaultColors
  if (!state) return notReached
  const c = colorsFor(state, colors.status)
  return s.node.kind === "subProcess" ? { stroke: c.stroke, fill: containerFill(state, colors.status) } : c
}

const edgePaint = (e: EdgeLayout, colors: Overlay | undefined): Paint => {
  const state = colors?.states.get(e.flow.id)
  return colors ? (state ? colorsFor(state, colors.status) : notReached) : defaultColors
}

/** The state as the tooltip says it: "done ×2", "current (3 attempts)". */
const stateLine = (id: string, state: string | undefined, colors: Overlay | undefined): string | undefined => {
  if (state === undefined || colors === undefined) return colors ? "not reached" : undefined
  const times = colors.counts.get(id)
  const attempts = colors.attempts.get(id)
  const due = colors.dues.get(id)
  return `${state}${times !== undefined ? ` ×${times}` : ""}${attempts !== undefined ? ` (${attempts} attempts)` : ""}${due !== undefined ? ` (due ${due})` : ""}`
}

/** What a reader sees on hover: name, what it is, and how far the instance got. */
const tooltip = (name: string, what: string, state: string | undefined, description: string | undefined) =>
  `<title>${escapeXml([name.length > 0 ? `${name} (${what})` : what, state ? `state: ${state}` : undefined, description].filter((l) => l !== undefined).join("\n"))}</title>`

const KIND_NAMES: Readonly<Record<ShapeLayout["node"]["kind"], string>> = {
  startEvent: "start event",
  endEvent: "end event",
  task: "task",
  messageCatchEvent: "message event",
  timerCatchEvent: "timer event",
  exclusiveGateway: "exclusive gateway",
  subProcess: "subprocess",
  errorBoundaryEvent: "error boundary event",
  escalationBoundaryEvent: "escalation boundary event",
  interruptBoundaryEvent: "interrupting boundary event"
}

/** What the shape does not show in words: a timer's expression, a step's retry policy, the description. */
const details = (node: ShapeLayout["node"]): string | undefined => {
  const timer =
    node.kind === "timerCatchEvent"
      ? node.timer
      : node.kind === "interruptBoundaryEvent" && node.trigger.type === "timer"
        ? node.trigger.timer
        : undefined
  const lines = [
    ...(timer !== undefined ? [`${timer.type === "date" ? "until" : "after"}: ${timer.expression}`] : []),
    ...(node.kind === "task" && node.retry !== undefined ? [`retry: ${node.retry}`] : []),
    ...(node.description !== undefined ? [node.description] : [])
  ]
  return lines.length > 0 ? lines.join("\n") : undefined
}

const shapeGroup = (s: ShapeLayout, colors: Overlay | undefined): string => {
  const node = s.node
  const state = colors?.states.get(node.id)
  const what =
    node.kind === "task" && node.service
      ? "service task"
      : node.kind === "exclusiveGateway" && node.eventBased === true
        ? "event-based gateway"
        : node.kind === "interruptBoundaryEvent"
          ? `interrupting ${node.trigger.type} boundary event`
          : node.kind === "endEvent" && node.terminate
            ? "terminate end event"
            : node.kind === "endEvent" && node.escalation !== undefined
              ? "escalation end event"
              : node.kind === "endEvent" && node.error !== undefined
                ? "error end event"
                : KIND_NAMES[node.kind]
  return (
    `<g class="dm-shape dm-${node.kind}${state ? ` dm-${state}` : ""}" data-element-id="${escapeXml(node.id)}">` +
    tooltip(node.name, what, stateLine(node.id, state, colors), details(node)) +
    drawNode(s, shapePaint(s, colors)) +
    (colors ? badge(s, colors, shapePaint(s, colors).stroke) : "") +
    "</g>"
  )
}

const edgeGroup = (e: EdgeLayout, colors: Overlay | undefined, markerIds: ReadonlyMap<string, string>): string => {
  const state = colors?.states.get(e.flow.id)
  const paint = edgePaint(e, colors)
  const marker = markerIds.get(paint.stroke)
  const what =
    e.flow.isDefault === true ? "default flow" : e.flow.condition !== undefined ? "conditional flow" : "sequence flow"
  return (
    `<g class="dm-flow${state ? ` dm-${state}` : ""}" data-element-id="${escapeXml(e.flow.id)}">` +
    tooltip(e.flow.name ?? "", what, state, undefined) +
    `<path d="${roundedPath(e.waypoints, 5)}" fill="none" stroke="${paint.stroke}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" marker-end="url(#${marker}-end)"${e.flow.isDefault === true ? ` marker-start="url(#${marker}-default)"` : ""}/>` +
    (e.label ? outerLabel(e.label, paint.stroke) : "") +
    "</g>"
  )
}

/** An orthogonal polyline with its corners rounded (radius `r`, less on short segments), as bpmn-js draws flows. */
const roundedPath = (points: ReadonlyArray<Point>, r: number): string => {
  const first = points[0]
  if (first === undefined) return ""
  let d = `M${num(first.x)} ${num(first.y)}`
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as Point
    const prev = points[i - 1] as Point
    const next = points[i + 1]
    if (next === undefined) {
      d += `L${num(p.x)} ${num(p.y)}`
      continue
    }
    const inLen = Math.hypot(p.x - prev.x, p.y - prev.y)
    const outLen = Math.hypot(next.x - p.x, next.y - p.y)
    const radius = Math.min(r, inLen / 2, outLen / 2)
    if (radius <= 0) {
      d += `L${num(p.x)} ${num(p.y)}`
      continue
    }
    const ax = p.x - ((p.x - prev.x) / inLen) * radius
    const ay = p.y - ((p.y - prev.y) / inLen) * radius
    const bx = p.x + ((next.x - p.x) / outLen) * radius
    const by = p.y + ((next.y - p.y) / outLen) * radius
    d += `L${num(ax)} ${num(ay)}Q${num(p.x)} ${num(p.y)} ${num(bx)} ${num(by)}`
  }
  return d
}

const LEGEND_FONT = 11
const caption = (progress: Progress) => `instance ${progress.instance}: ${progress.status}`
const entryWidth = (name: string) => 24 + measure(name, LEGEND_FONT) + 16
const legendWidth = (progress: Progress): number =>
  legendEntries(progress.status).reduce(
    (w, entry) => w + entryWidth(entry.name),
    measure(caption(progress), LEGEND_FONT) + 18
  )

/** One line under the diagram: the instance, then a swatch with its badge per state. */
const legend = (progress: Progress, x: number, y: number): string => {
  const fontSize = LEGEND_FONT
  let cursor = x + measure(caption(progress), fontSize) + 18
  const parts = [
    `<text x="${num(x)}" y="${num(y + 10)}" font-size="${fontSize}" fill="${defaultColors.stroke}">${escapeXml(caption(progress))}</text>`
  ]
  for (const entry of legendEntries(progress.status)) {
    if (entry.state !== undefined)
      parts.push(legendDisc(cursor + 9, y + 6, entry.state, progress.status, entry.colors.stroke))
    else if (entry.badge === undefined)
      parts.push(
        `<rect x="${num(cursor)}" y="${num(y)}" width="18" height="12" rx="3" ry="3" fill="${entry.colors.fill}" stroke="${entry.colors.stroke}" stroke-width="1.5"/>`
      )
    else
      parts.push(
        `<rect x="${num(cursor)}" y="${num(y - 1)}" width="20" height="14" rx="7" ry="7" fill="#ffffff" stroke="${defaultColors.stroke}" stroke-width="1.5"/>`,
        `<text x="${num(cursor + 10)}" y="${num(y + 9.5)}" font-size="9" font-weight="bold" text-anchor="middle" fill="${defaultColors.stroke}">${escapeXml(entry.badge ?? "")}</text>`
      )
    parts.push(
      `<text x="${num(cursor + 24)}" y="${num(y + 10)}" font-size="${fontSize}" fill="${defaultColors.stroke}">${escapeXml(entry.name)}</text>`
    )
    cursor += entryWidth(entry.name)
  }
  return `<g class="dm-legend">${parts.join("")}</g>`
}
