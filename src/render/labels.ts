import type { Bounds, EdgeLayout, Point, ShapeLayout } from "./layout.js"

/**
 * Moves flow labels left on top of another flow, a shape or another label to the nearest free spot along their own
 * flow. The layout reserves room for every label it places; this is the safety net for the combinations it does not
 * foresee, so that no label is ever drawn over something else.
 */
export const untangleLabels = (
  shapes: ReadonlyArray<ShapeLayout>,
  edges: ReadonlyArray<EdgeLayout>
): Array<EdgeLayout> => {
  const solids = shapes.filter((s) => s.node.kind !== "subProcess").map((s) => s.bounds)
  const labels = new Map<string, Bounds>()
  for (const s of shapes) if (s.label) labels.set(`shape:${s.node.id}`, s.label.bounds)
  for (const e of edges) if (e.label) labels.set(`edge:${e.flow.id}`, e.label.bounds)

  const free = (box: Bounds, own: EdgeLayout): boolean =>
    !edges.some((e) => e !== own && crosses(e.waypoints, box)) &&
    !solids.some((s) => overlaps(s, box)) &&
    ![...labels].some(([key, other]) => key !== `edge:${own.flow.id}` && overlaps(other, box))

  return edges.map((edge) => {
    const label = edge.label
    if (!label || free(label.bounds, edge)) return edge
    const { width: w, height: h } = label.bounds
    const centre = { x: label.bounds.x + w / 2, y: label.bounds.y + h / 2 }
    const candidates: Array<Bounds> = []
    segments(edge.waypoints).forEach(([a, b]) => {
      const horizontal = a.y === b.y
      const from = horizontal ? Math.min(a.x, b.x) : Math.min(a.y, b.y)
      const to = horizontal ? Math.max(a.x, b.x) : Math.max(a.y, b.y)
      for (let t = from + 4; t + (horizontal ? w : h) <= to - 4; t += 4) {
        if (horizontal)
          candidates.push({ x: t, y: a.y + 3, width: w, height: h }, { x: t, y: a.y - 3 - h, width: w, height: h })
        else candidates.push({ x: a.x + 4, y: t, width: w, height: h }, { x: a.x - 4 - w, y: t, width: w, height: h })
      }
    })
    const distance = (b: Bounds) => Math.hypot(b.x + w / 2 - centre.x, b.y + h / 2 - centre.y)
    const best = candidates
      .filter((c) => free(c, edge))
      .sort((p, q) => distance(p) - distance(q) || p.x - q.x || p.y - q.y)[0]
    if (!best) return edge
    labels.set(`edge:${edge.flow.id}`, best)
    return { ...edge, label: { ...label, bounds: best } }
  })
}

const segments = (points: ReadonlyArray<Point>): Array<readonly [Point, Point]> =>
  points.slice(1).map((p, i) => [points[i] as Point, p] as const)

const overlaps = (a: Bounds, b: Bounds): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

/** Whether an orthogonal polyline passes through a box (touching its border does not count). */
const crosses = (points: ReadonlyArray<Point>, box: Bounds): boolean =>
  segments(points).some(([a, b]) => {
    const x1 = Math.min(a.x, b.x)
    const x2 = Math.max(a.x, b.x)
    const y1 = Math.min(a.y, b.y)
    const y2 = Math.max(a.y, b.y)
    return x1 < box.x + box.width && x2 > box.x && y1 < box.y + box.height && y2 > box.y
  })
