/**
 * Text measuring and wrapping without a browser. bpmn-js wraps every label inside a box (a task's bounds, an
 * external label's `BPMNLabel` bounds) with its own algorithm and the browser's font metrics; we reproduce that
 * algorithm with Arial's advance widths (Liberation Sans, the usual Arial stand-in, has the same metrics), so the
 * boxes we write hold the lines bpmn-js will draw, and our SVG breaks lines at the same places.
 */

/** Arial advance widths of the printable ASCII characters (32 to 126), in thousandths of the font size. */
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
  722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
  556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
  260, 334, 584
]

/** East Asian wide characters take a full em; everything else unknown is taken as wide as a digit. */
const isWide = (code: number): boolean =>
  (code >= 0x1100 && code <= 0x115f) ||
  (code >= 0x2e80 && code <= 0xa4cf) ||
  (code >= 0xac00 && code <= 0xd7a3) ||
  (code >= 0xf900 && code <= 0xfaff) ||
  (code >= 0xfe30 && code <= 0xfe4f) ||
  (code >= 0xff00 && code <= 0xff60) ||
  (code >= 0x1f300 && code <= 0x1faff)

/** Width in px of `text` in Arial at `fontSize` px. */
export const measure = (text: string, fontSize: number): number => {
  let units = 0
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 32
    units += code >= 32 && code <= 126 ? (ASCII_WIDTHS[code - 32] ?? 556) : isWide(code) ? 1000 : 556
  }
  return (units * fontSize) / 1000
}

export interface TextStyle {
  readonly fontSize: number
  /** Line height in px (bpmn-js: 1.2 × font size). */
  readonly lineHeight: number
}

/** bpmn-js' style for labels inside shapes (tasks, subprocess titles). */
export const innerStyle: TextStyle = { fontSize: 12, lineHeight: 14.4 }
/** bpmn-js' style for labels outside shapes (events, gateways, flows). */
export const outerStyle: TextStyle = { fontSize: 11, lineHeight: 13.2 }

export interface WrappedText {
  readonly lines: ReadonlyArray<string>
  /** Widest line, px. */
  readonly width: number
  readonly height: number
}

/**
 * Breaks `text` into lines no wider than `maxWidth` the way bpmn-js (diagram-js `Text.layoutText`) does: try the
 * whole line; if too wide, guess how many characters fit, cut at the last space or hyphen before that, else
 * cut the word; repeat with the rest.
 */
export const wrap = (text: string, maxWidth: number, style: TextStyle): WrappedText => {
  const pending = text.split(/\u00AD?\r?\n/)
  const lines: Array<string> = []
  let width = 0
  while (pending.length > 0) {
    const original = pending.shift() ?? ""
    let fit = original
    // Like the browser measurement in diagram-js, trailing whitespace does not count.
    let w = measure(fit.replace(/\s+$/, ""), style.fontSize)
    while (!(fit === " " || fit === "" || w <= maxWidth || fit.length < 2)) {
      fit = shorten(fit, w, maxWidth)
      w = measure(fit.replace(/\s+$/, ""), style.fontSize)
    }
    // What did not fit goes back to be laid out as the next line (diagram-js `fit`).
    if (fit !== original) {
      const rest = original.slice(fit.length).trim()
      pending.unshift(rest)
    }
    const trimmed = fit.replace(/\s+$/, "")
    lines.push(trimmed)
    width = Math.max(width, measure(trimmed, style.fontSize))
  }
  return { lines, width, height: lines.length * style.lineHeight }
}

const shorten = (line: string, width: number, maxWidth: number): string => {
  const length = Math.max(line.length * (maxWidth / width), 1)
  const semantic = semanticShorten(line, length)
  return semantic.length > 0 ? semantic : line.slice(0, Math.max(Math.round(length - 1), 1))
}

const semanticShorten = (line: string, maxLength: number): string => {
  const parts = line.split(/(\s|-|\u00AD)/g)
  const kept: Array<string> = []
  let length = 0
  if (parts.length > 1) {
    for (let part = parts.shift(); part !== undefined && part !== ""; part = parts.shift()) {
      if (part.length + length < maxLength) {
        kept.push(part)
        length += part.length
      } else {
        if (part === "-" || part === "\u00AD") kept.pop()
        break
      }
    }
  }
  const last = kept[kept.length - 1]
  if (last === "\u00AD") kept[kept.length - 1] = "-"
  return kept.join("")
}

/** Default width bpmn-js gives external labels; wider names wrap. */
export const EXTERNAL_LABEL_WIDTH = 90

export interface LabelBox {
  readonly lines: ReadonlyArray<string>
  readonly width: number
  readonly height: number
}

/**
 * The box of an external label (event, gateway, flow): wrapped at bpmn-js' 90 px (or `maxWidth`: a wider box is
 * kept by bpmn-js, which wraps at the width of the BPMNLabel bounds), then shrunk to the text. A couple of
 * px of slack absorb rounding in the browser's measurement; if bpmn-js would break the lines differently inside the
 * shrunk box, the full width is kept.
 */
export const externalLabel = (text: string, maxWidth = EXTERNAL_LABEL_WIDTH): LabelBox => {
  const wrapped = wrap(text, maxWidth, outerStyle)
  const tight = Math.min(maxWidth, Math.ceil(wrapped.width) + 2)
  const again = wrap(text, tight, outerStyle)
  const width = again.lines.length === wrapped.lines.length ? tight : maxWidth
  return { lines: wrapped.lines, width, height: Math.ceil(wrapped.height) }
}
