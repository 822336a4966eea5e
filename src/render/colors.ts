import type { DrawState, Overlay } from "./progress.js"

export interface Colors {
  readonly stroke: string
  readonly fill: string
}

/** Not reached: bpmn-js' own defaults, so an untouched element looks exactly as without progress. */
export const defaultColors: Colors = { stroke: "#22242a", fill: "#ffffff" }

/**
 * The palette of bpmn-js' colour picker (green, blue, orange, red), so a coloured diagram looks at home in bpmn.io
 * and Camunda Modeler. Amber marks "current" while the instance waits (for a signal), blue while it runs.
 */
export const palette = {
  done: { stroke: "#43a047", fill: "#c8e6c9" },
  running: { stroke: "#1e88e5", fill: "#bbdefb" },
  waiting: { stroke: "#fb8c00", fill: "#ffe0b2" },
  failed: { stroke: "#e53935", fill: "#ffcdd2" }
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
  }
}

/** Legend entries, in the order drawn. */
export const legendEntries = (
  status: Overlay["status"]
): ReadonlyArray<{ readonly name: string; readonly colors: Colors }> => [
  { name: "done", colors: palette.done },
  { name: status === "waiting" ? "waiting here" : "current", colors: colorsFor("current", status) },
  { name: "failed", colors: palette.failed },
  { name: "not reached", colors: defaultColors }
]
