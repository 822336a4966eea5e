import type { FlowNode } from "./graph.js"
import type { Bounds, Label, ShapeLayout } from "./layout.js"
import { innerStyle, outerStyle, type TextStyle } from "./text.js"
import { escapeXml, num } from "./xml.js"

export interface Paint {
  readonly stroke: string
  readonly fill: string
}

/**
 * SVG of one flow node in bpmn.io's visual language (sizes, stroke widths, icon placement), drawn by us so no
 * browser is needed. One exhaustive switch: a new kind of node does not compile until it has a drawing. Timer
 * events put a clock where message and error events put their icons ({@link eventIcon}).
 */
export const drawNode = (shape: ShapeLayout, paint: Paint): string => {
  const node = shape.node
  const b = shape.bounds
  const label = shape.label ? outerLabel(shape.label, paint.stroke) : ""
  switch (node.kind) {
    case "startEvent":
      return circle(b, 18, paint, 2) + label
    case "endEvent":
      // Throwing events have their glyph filled: terminate disc, escalation arrow, error bolt.
      return (
        circle(b, 18, paint, 4) +
        (node.terminate ? circle(b, 10, { stroke: paint.stroke, fill: paint.stroke }, 4) : "") +
        (node.escalation !== undefined || node.error !== undefined ? eventIcon(node, b, paint.stroke) : "") +
        label
      )
    case "messageCatchEvent":
    case "timerCatchEvent":
    case "errorBoundaryEvent":
    case "escalationBoundaryEvent":
    case "interruptBoundaryEvent":
      return circle(b, 18, paint, 1.5) + circle(b, 15, paint, 1.5) + eventIcon(node, b, paint.stroke) + label
    case "exclusiveGateway": {
      const { x, y, width: w, height: h } = b
      const cx = x + w / 2
      const cy = y + h / 2
      const diamond = `<polygon points="${num(cx)},${num(y)} ${num(x + w)},${num(cy)} ${num(cx)},${num(y + h)} ${num(x)},${num(cy)}" ${style(paint, 2)}/>`
      if (node.eventBased === true) {
        // bpmn.io's event-based gateway: two circles around a pentagon.
        const pentagon = [0, 1, 2, 3, 4]
          .map((i) => {
            const a = -Math.PI / 2 + (i * 2 * Math.PI) / 5
            return `${num(cx + 6 * Math.cos(a))},${num(cy + 6 * Math.sin(a))}`
          })
          .join(" ")
        const line = `fill="none" stroke="${paint.stroke}" stroke-width="1"`
        return (
          diamond +
          `<circle cx="${num(cx)}" cy="${num(cy)}" r="${num(0.26 * w)}" ${line}/>` +
          `<circle cx="${num(cx)}" cy="${num(cy)}" r="${num(0.22 * w)}" ${line}/>` +
          `<polygon points="${pentagon}" fill="none" stroke="${paint.stroke}" stroke-width="1.5" stroke-linejoin="round"/>` +
          label
        )
      }
      // bpmn.io's X: thick strokes, about two fifths of the diamond.
      const d = 0.15 * w
      const cross = `<path d="M${num(cx - d)} ${num(cy - d)}L${num(cx + d)} ${num(cy + d)}M${num(cx + d)} ${num(cy - d)}L${num(cx - d)} ${num(cy + d)}" stroke="${paint.stroke}" stroke-width="4" stroke-linecap="square" fill="none"/>`
      return diamond + cross + label
    }
    case "task":
      return (
        rect(b, paint, 2) +
        (node.service ? gear(b.x + 15, b.y + 15, paint) : "") +
        (node.retry !== undefined ? loopMarker(b.x + b.width / 2, b.y + b.height - 10, paint.stroke) : "") +
        innerText(shape.text, b, "middle", paint.stroke) +
        label
      )
    case "subProcess":
      return rect(b, paint, 2) + innerText(shape.text, b, "top", paint.stroke) + label
  }
}

/** The glyph inside an event: envelope for messages, bolt for errors, clock for timers; none elsewhere. */
const eventIcon = (node: FlowNode, b: Bounds, stroke: string): string => {
  const cx = b.x + b.width / 2
  const cy = b.y + b.height / 2
  const line = `fill="none" stroke="${stroke}" stroke-width="1.5" stroke-linejoin="round"`
  switch (node.kind) {
    case "messageCatchEvent":
      return envelope(cx, cy, line)
    case "timerCatchEvent":
      return clock(cx, cy, line)
    case "interruptBoundaryEvent":
      return node.trigger.type === "message" ? envelope(cx, cy, line) : clock(cx, cy, line)
    case "escalationBoundaryEvent":
      return escalationArrow(cx, cy, line)
    case "endEvent":
      if (node.escalation !== undefined) return escalationArrow(cx, cy, filled(stroke))
      return node.error !== undefined ? bolt(cx, cy, filled(stroke)) : ""
    case "errorBoundaryEvent":
      // Lightning bolt, outlined as on catching events.
      return bolt(cx, cy, line)
    case "startEvent":
    case "task":
    case "exclusiveGateway":
    case "subProcess":
      return ""
  }
}

/** Envelope: 21 × 14, flap to the middle. */
const envelope = (cx: number, cy: number, line: string): string => {
  const x0 = cx - 10.5
  const y0 = cy - 7
  return `<path d="M${num(x0)} ${num(y0)}h21v14h-21zM${num(x0)} ${num(y0)}L${num(cx)} ${num(cy + 1)}L${num(x0 + 21)} ${num(y0)}" ${line}/>`
}

/** Clock: a face, twelve ticks, hands at ten past two (bpmn.io's timer). */
const clock = (cx: number, cy: number, line: string): string => {
  const ticks: Array<string> = []
  for (let i = 0; i < 12; i++) {
    const a = (i * Math.PI) / 6
    const [sin, cos] = [Math.sin(a), Math.cos(a)]
    ticks.push(`M${num(cx + 9 * sin)} ${num(cy - 9 * cos)}L${num(cx + 11 * sin)} ${num(cy - 11 * cos)}`)
  }
  return (
    `<circle cx="${num(cx)}" cy="${num(cy)}" r="11" ${line}/>` +
    `<path d="${ticks.join("")}M${num(cx)} ${num(cy)}L${num(cx + 5)} ${num(cy - 7)}M${num(cx)} ${num(cy)}L${num(cx + 7)} ${num(cy - 1)}" ${line}/>`
  )
}

/** bpmn.io's standard loop marker: an open circle with an arrow head, centred at the bottom of a task. */
const loopMarker = (cx: number, cy: number, stroke: string): string =>
  `<path d="M${num(cx - 3)} ${num(cy + 5)}A6 6 0 1 1 ${num(cx + 3)} ${num(cy + 5)}M${num(cx + 3)} ${num(cy + 1)}L${num(cx + 3)} ${num(cy + 5)}L${num(cx + 7)} ${num(cy + 5)}" fill="none" stroke="${stroke}" stroke-width="1.5" stroke-linecap="round"/>`

const filled = (stroke: string) => `fill="${stroke}" stroke="${stroke}" stroke-width="1.5" stroke-linejoin="round"`

/** bpmn.io's escalation glyph: an arrowhead pointing up with a notch. */
const escalationArrow = (cx: number, cy: number, attrs: string): string =>
  `<polygon points="${[
    [0, -10],
    [7, 9],
    [0, 2],
    [-7, 9]
  ]
    .map(([x, y]) => `${num(cx + (x as number))},${num(cy + (y as number))}`)
    .join(" ")}" ${attrs}/>`

const bolt = (cx: number, cy: number, attrs: string): string => {
  const points: ReadonlyArray<readonly [number, number]> = [
    [-10, 8],
    [-3.5, -2],
    [4, 7],
    [9, -10],
    [3, 1],
    [-4, -9]
  ]
  return `<polygon points="${points.map(([x, y]) => `${num(cx + x)},${num(cy + y)}`).join(" ")}" ${attrs}/>`
}

const style = (paint: Paint, width: number) =>
  `fill="${paint.fill}" stroke="${paint.stroke}" stroke-width="${width}" stroke-linejoin="round"`

const circle = (b: Bounds, r: number, paint: Paint, width: number) =>
  `<circle cx="${num(b.x + b.width / 2)}" cy="${num(b.y + b.height / 2)}" r="${r}" ${style(paint, width)}/>`

const rect = (b: Bounds, paint: Paint, width: number) =>
  `<rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}" rx="10" ry="10" ${style(paint, width)}/>`

/** A gear of eight teeth around (cx, cy), as on bpmn.io's service tasks. */
const gear = (cx: number, cy: number, paint: Paint): string => {
  const teeth = 8
  const points: Array<string> = []
  for (let i = 0; i < teeth * 4; i++) {
    const angle = (i / (teeth * 4)) * 2 * Math.PI
    const r = i % 4 === 0 || i % 4 === 1 ? 8 : 6
    points.push(`${num(cx + r * Math.cos(angle))},${num(cy + r * Math.sin(angle))}`)
  }
  return (
    `<polygon points="${points.join(" ")}" fill="${paint.fill}" stroke="${paint.stroke}" stroke-width="1" stroke-linejoin="round"/>` +
    `<circle cx="${num(cx)}" cy="${num(cy)}" r="2.5" fill="${paint.fill}" stroke="${paint.stroke}" stroke-width="1"/>`
  )
}

/**
 * Lines of text placed as bpmn-js places them (diagram-js `Text.layoutText`): each baseline one line height
 * below the previous, the first a quarter line height above a full line from the top of the text block.
 */
const lines = (text: ReadonlyArray<string>, cx: number, top: number, style: TextStyle, fill: string): string => {
  if (text.length === 0) return ""
  const tspans = text
    .map(
      (line, i) =>
        `<tspan x="${num(cx)}" y="${num(top - style.lineHeight / 4 + (i + 1) * style.lineHeight)}">${escapeXml(line)}</tspan>`
    )
    .join("")
  return `<text font-size="${style.fontSize}" text-anchor="middle" fill="${fill}">${tspans}</text>`
}

/** Text inside a shape: centred in a task, at the top of a subprocess; 7 px padding as in bpmn-js. */
const innerText = (text: ReadonlyArray<string>, b: Bounds, align: "middle" | "top", fill: string): string => {
  const height = text.length * innerStyle.lineHeight
  const top = align === "middle" ? b.y + (b.height - height) / 2 : b.y + 7
  return lines(text, b.x + b.width / 2, top, innerStyle, fill)
}

/** A label outside its element (events, gateways, flows). */
export const outerLabel = (label: Label, fill: string): string =>
  lines(label.lines, label.bounds.x + label.bounds.width / 2, label.bounds.y, outerStyle, fill)
