import type { FlowNode } from "./graph.js"
import type { DrawState, Overlay } from "./progress.js"

export interface Colors {
  readonly stroke: string
  readonly fill: string
  /** Text colour, when not the default dark grey. */
  readonly text?: string
}

/** Without progress: bpmn-js' own defaults, so a plain diagram looks exactly as bpmn.io draws it. */
export const defaultColors: Colors = { stroke: "#22242a", fill: "#ffffff" }

/** Not reached by the instance: greyed out, so what did happen stands out (also in greyscale). */
export const notReached: Colors = { stroke: "#b0b3b8", fill: "#ffffff", text: "#8a8d93" }

/**
 * The palette of bpmn-js' colour picker (green, blue, orange, red, purple), so a coloured diagram looks at home in
 * bpmn.io and Camunda Modeler. Amber marks "current" while the instance waits (for a signal), blue while it runs.
 * Colour is never the only cue: every state also has a badge ({@link badges}).
 */
export const palette = {
  done: { stroke: "#43a047", fill: "#c8e6c9" },
  running: { stroke: "#1e88e5", fill: "#bbdefb" },
  waiting: { stroke: "#fb8c00", fill: "#ffe0b2" },
  failed: { stroke: "#e53935", fill: "#ffcdd2" },
  incident: { stroke: "#8e24aa", fill: "#e1bee7" }
} as const satisfies Record<string, Colors>

/** The colours of an element in a given state of an instance. */
export const colorsFor = (state: DrawState, status: Overlay["status"]): Colors => {
  switch (state) {
    case "done":
      return palette.done
    case "current":
      return status === "waiting" ? palette.waiting : palette.running
    case "failed":
      return palette.failed
    case "incident":
      return palette.incident
  }
}

/** A subprocess is a large box: fill it with a lighter tint so what it contains stays readable. */
export const containerFill = (state: DrawState, status: Overlay["status"]): string => {
  switch (state) {
    case "done":
      return "#f1f8f1"
    case "current":
      return status === "waiting" ? "#fff6ea" : "#eef6fd"
    case "failed":
      return "#fdeff0"
    case "incident":
      return "#f6eef8"
  }
}

/** The badge of each state: a glyph that tells the state without colour. */
export const badges = (status: Overlay["status"]): Readonly<Record<DrawState, string>> => ({
  done: "✓",
  // ⏸ (U+23F8) is missing from many fonts; the double bar reads the same and is everywhere.
  current: status === "waiting" ? "‖" : "▶",
  failed: "✕",
  incident: "⚠"
})

/** The text prefix of a node's label for text renderers (Mermaid): badge, ×n (times done), ↻n (attempts). */
export const badgeText = (overlay: Overlay, node: FlowNode): string => {
  const state = overlay.states.get(node.id)
  if (state === undefined) return ""
  const times = overlay.counts.get(node.id)
  const attempts = overlay.attempts.get(node.id)
  return `${badges(overlay.status)[state]}${times !== undefined ? ` ×${times}` : ""}${attempts !== undefined ? ` ↻${attempts}` : ""} `
}

/**
 * Legend entries, in the order drawn: the states (with their badge), what is not reached (greyed, no badge), then the
 * count pills (a badge, no state).
 */
export const legendEntries = (
  status: Overlay["status"]
): ReadonlyArray<{
  readonly name: string
  readonly state?: DrawState
  readonly badge?: string
  readonly colors: Colors
}> => {
  const badge = badges(status)
  const state = (s: DrawState, name: string) => ({ name, state: s, badge: badge[s], colors: colorsFor(s, status) })
  return [
    state("done", "done"),
    state("current", status === "waiting" ? "waiting here" : "running"),
    state("failed", "failed"),
    state("incident", "incident"),
    { name: "not reached", colors: notReached },
    { name: "done n times", badge: "×n", colors: defaultColors },
    { name: "n attempts", badge: "↻n", colors: defaultColors }
  ]
}
