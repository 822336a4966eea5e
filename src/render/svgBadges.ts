import { badges } from "./colors.js"
import type { Bounds, ShapeLayout } from "./layout.js"
import type { DrawState, Overlay } from "./progress.js"
import { measure } from "./text.js"
import { escapeXml, num } from "./xml.js"

/**
 * The state of an element as a badge, so progress reads without colour (greyscale prints, colour-blind readers):
 * a disc in the state's colour with a white glyph (✓ done, a pause sign (two bars) waiting, ▶ running, ✕ failed, ! incident), and a
 * pill where something ran more than once ("×n") or took several attempts ("↻n"). Glyphs are paths, not characters, so every viewer draws them alike.
 */
export const badge = (s: ShapeLayout, overlay: Overlay, stroke: string): string => {
  const state = overlay.states.get(s.node.id)
  const at = badgeCentre(s)
  const times = overlay.counts.get(s.node.id)
  const attempts = overlay.attempts.get(s.node.id)
  const text = [times !== undefined ? `×${times}` : "", attempts !== undefined ? `↻${attempts}` : ""]
    .filter((t) => t.length > 0)
    .join(" ")
  return (
    (state !== undefined && at !== undefined ? disc(at.x, at.y, state, overlay.status, stroke) : "") +
    (text.length > 0 ? pill(s.bounds, s.node.kind, text, stroke) : "")
  )
}

/** Where an element's state badge goes; gateways and start events have none (their flows tell). */
const badgeCentre = (s: ShapeLayout): { x: number; y: number } | undefined => {
  const b = s.bounds
  switch (s.node.kind) {
    case "task":
      return { x: b.x + b.width - 11, y: b.y + 11 }
    case "subProcess":
      return { x: b.x + b.width - 14, y: b.y + 14 }
    case "messageCatchEvent":
    case "timerCatchEvent":
    case "endEvent":
    case "errorBoundaryEvent":
    case "escalationBoundaryEvent":
    case "interruptBoundaryEvent":
      // Top left: flow labels sit right of an event, its name below.
      return { x: b.x + 4, y: b.y + 4 }
    case "startEvent":
    case "exclusiveGateway":
      return undefined
  }
}

const R = 7

const disc = (cx: number, cy: number, state: DrawState, status: Overlay["status"], fill: string): string => {
  const line = `fill="none" stroke="#ffffff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"`
  const at = (d: string) =>
    d.replace(/(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)/g, (_, x, y) => `${num(cx + Number(x))} ${num(cy + Number(y))}`)
  const glyph = (() => {
    switch (state) {
      case "done":
        return `<path d="${at("M-3.5,0.5L-1,3L3.5,-2.5")}" ${line}/>`
      case "failed":
        return `<path d="${at("M-3,-3L3,3M3,-3L-3,3")}" ${line}/>`
      case "incident":
        return `<path d="${at("M0,-4L0,1M0,3.8L0,4")}" ${line}/>`
      case "current":
        return status === "waiting"
          ? `<path d="${at("M-2,-3.5L-2,3.5M2,-3.5L2,3.5")}" ${line}/>`
          : `<path d="${at("M-2,-3.5L3.5,0L-2,3.5Z")}" fill="#ffffff" stroke="#ffffff" stroke-width="1" stroke-linejoin="round"/>`
    }
  })()
  return (
    `<g class="dm-badge" aria-label="${escapeXml(badges(status)[state])}">` +
    `<circle cx="${num(cx)}" cy="${num(cy)}" r="${R}" fill="${fill}" stroke="#ffffff" stroke-width="1.5"/>${glyph}</g>`
  )
}

/** "×n" in a small pill: under a task's right corner, above an event or a gateway. */
const pill = (b: Bounds, kind: ShapeLayout["node"]["kind"], text: string, stroke: string): string => {
  const w = Math.ceil(measure(text, 10) + 8)
  const h = 14
  const x =
    kind === "task" || kind === "subProcess"
      ? b.x + b.width - w
      : kind === "exclusiveGateway"
        ? b.x + b.width / 2 + 8
        : b.x + b.width / 2 - w / 2
  const y =
    kind === "task" || kind === "subProcess"
      ? b.y + b.height + 3
      : kind === "exclusiveGateway"
        ? b.y + b.height / 2 + 12
        : b.y - h - 2
  return (
    `<g class="dm-count"><rect x="${num(x)}" y="${num(y)}" width="${w}" height="${h}" rx="7" ry="7" fill="#ffffff" stroke="${stroke}" stroke-width="1.5"/>` +
    `<text x="${num(x + w / 2)}" y="${num(y + 10.5)}" font-size="10" font-weight="bold" text-anchor="middle" fill="${stroke}">${escapeXml(text)}</text></g>`
  )
}

/** A legend swatch's badge: the same disc, for the state of the entry. */
export const legendDisc = (cx: number, cy: number, state: DrawState, status: Overlay["status"], fill: string) =>
  disc(cx, cy, state, status, fill)
