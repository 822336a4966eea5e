// Independent checks of rendered output, shared by the render tests: the OMG XSDs (xmllint-wasm), bpmn-moddle's
// re-import warnings (dangling references the XSD cannot see), bpmnlint's `recommended` rules.
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { type AnyElement, BpmnModdle } from "bpmn-moddle"
import { validateXML } from "xmllint-wasm"

const require = createRequire(import.meta.url)

const xsdDir = join(dirname(require.resolve("bpmn-moddle/package.json")), "resources", "bpmn", "xsd")
const xsd = (name: string) => ({ fileName: name, contents: readFileSync(join(xsdDir, name), "utf8") })

export interface XmlReport {
  readonly valid: boolean
  readonly errors: ReadonlyArray<string>
}

/** Validates documents against BPMN20.xsd, all in one xmllint run (it is the slow part). */
export const validateBpmn = async (docs: Readonly<Record<string, string>>): Promise<Record<string, XmlReport>> =>
  xmllint(docs, true)

/** Checks documents are well-formed XML (no schema). */
export const wellFormed = async (docs: Readonly<Record<string, string>>): Promise<Record<string, XmlReport>> =>
  xmllint(docs, false)

const xmllint = async (docs: Readonly<Record<string, string>>, schema: boolean): Promise<Record<string, XmlReport>> => {
  const names = Object.keys(docs)
  const result = await validateXML({
    xml: names.map((name) => ({ fileName: `${name}.xml`, contents: docs[name] ?? "" })),
    ...(schema
      ? {
          schema: [xsd("BPMN20.xsd")],
          preload: ["Semantic.xsd", "BPMNDI.xsd", "DC.xsd", "DI.xsd"].map(xsd)
        }
      : { normalization: "format" as const }),
    maxMemoryPages: 16 * 1024
  })
  const out: Record<string, XmlReport> = {}
  for (const name of names) {
    const errors = result.errors.filter(
      (e) => e.loc?.fileName === `${name}.xml` || e.rawMessage.startsWith(`${name}.xml:`)
    )
    out[name] = { valid: errors.length === 0, errors: errors.map((e) => e.rawMessage) }
  }
  // An error not attributed to any document (e.g. a broken schema) fails them all.
  const unattributed = result.errors.filter((e) => !names.some((n) => e.rawMessage.startsWith(`${n}.xml:`)))
  if (!result.valid && unattributed.length > 0)
    for (const name of names) out[name] = { valid: false, errors: unattributed.map((e) => e.rawMessage) }
  return out
}

/** Reads BPMN back with a plain bpmn-moddle (what a consumer without our extensions sees). */
export const reimport = async (xml: string) => new BpmnModdle().fromXML(xml, "bpmn:Definitions")

const { Linter } = require("bpmnlint") as {
  Linter: new (options: object) => { lint(root: object): Promise<LintResults> }
}
const StaticResolver = require("bpmnlint/lib/resolver/static-resolver") as new (cache: object) => object
const recommended = require("bpmnlint/config/recommended") as { rules: Record<string, string> }

type LintResults = Record<
  string,
  ReadonlyArray<{ readonly id?: string; readonly message: string; readonly category: string }>
>

const rules = {
  "config:bpmnlint/recommended": recommended,
  ...Object.fromEntries(
    Object.keys(recommended.rules).map((rule) => [`rule:bpmnlint/${rule}`, require(`bpmnlint/rules/${rule}`)])
  )
}

/** bpmnlint `recommended`: every report, errors and warnings alike, as `rule: id message`. */
export const lint = async (definitions: AnyElement): Promise<Array<string>> => {
  // A linter per run: rule instances keep state (no-duplicate-sequence-flows remembers the flows it saw).
  const linter = new Linter({ config: { extends: "bpmnlint:recommended" }, resolver: new StaticResolver(rules) })
  const results = await linter.lint(definitions)
  return Object.entries(results).flatMap(([rule, reports]) =>
    reports.map((r) => `${r.category} ${rule}: ${r.id ?? "-"} ${r.message}`)
  )
}

/** Every flow element of the process and its subprocesses, depth first. */
export const flowElements = (definitions: AnyElement): Array<AnyElement> => {
  const out: Array<AnyElement> = []
  const visit = (container: AnyElement) => {
    for (const e of (container.get("flowElements") ?? []) as Array<AnyElement>) {
      out.push(e)
      if (e.$type === "bpmn:SubProcess") visit(e)
    }
  }
  for (const root of definitions.get("rootElements") as Array<AnyElement>)
    if (root.$type === "bpmn:Process") visit(root)
  return out
}

/** Diagram elements of the (single) plane, by the id of the BPMN element they draw. */
export const diagramElements = (definitions: AnyElement): Map<string, AnyElement> => {
  const diagram = (definitions.get("diagrams") as Array<AnyElement>)[0]
  const plane = diagram?.get("plane") as AnyElement
  return new Map(((plane.get("planeElement") ?? []) as Array<AnyElement>).map((di) => [di.get("bpmnElement")?.id, di]))
}

interface Box {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}
interface Geometry {
  readonly shapes: ReadonlyArray<{
    readonly node: { readonly id: string; readonly kind: string; readonly attachedTo?: string }
    readonly bounds: Box
    readonly label?: { readonly bounds: Box }
  }>
  readonly edges: ReadonlyArray<{
    readonly flow: { readonly id: string; readonly source: string; readonly target: string; readonly arm?: string }
    readonly waypoints: ReadonlyArray<{ readonly x: number; readonly y: number }>
    readonly label?: { readonly bounds: Box }
  }>
}

/**
 * What a reader would call a mess, in the spirit of bpmn-check's heuristics: labels overlapping labels or shapes,
 * flows running through shapes other than their own ends (or the host of a boundary they leave), flows through
 * labels, flow ends detached from their shapes.
 */
export const geometryProblems = (d: Geometry): Array<string> => {
  const problems: Array<string> = []
  const overlap = (a: Box, b: Box, pad = 1) =>
    a.x + pad < b.x + b.width && b.x + pad < a.x + a.width && a.y + pad < b.y + b.height && b.y + pad < a.y + a.height
  const shrink = (b: Box, pad: number): Box => ({
    x: b.x + pad,
    y: b.y + pad,
    width: b.width - 2 * pad,
    height: b.height - 2 * pad
  })
  const through = (points: Geometry["edges"][number]["waypoints"], box: Box) =>
    points.slice(1).some((p, i) => {
      const q = points[i] as { x: number; y: number }
      return (
        Math.min(p.x, q.x) < box.x + box.width &&
        Math.max(p.x, q.x) > box.x &&
        Math.min(p.y, q.y) < box.y + box.height &&
        Math.max(p.y, q.y) > box.y
      )
    })
  const solid = d.shapes.filter((s) => s.node.kind !== "subProcess")
  const labels = [
    ...d.shapes.flatMap((s) => (s.label ? [{ owner: s.node.id, box: s.label.bounds }] : [])),
    ...d.edges.flatMap((e) => (e.label ? [{ owner: e.flow.id, box: e.label.bounds }] : []))
  ]
  labels.forEach((a, i) => {
    for (const b of labels.slice(i + 1))
      if (overlap(a.box, b.box)) problems.push(`labels of ${a.owner} and ${b.owner} overlap`)
    for (const s of solid)
      if (s.node.id !== a.owner && overlap(a.box, s.bounds)) problems.push(`label of ${a.owner} overlaps ${s.node.id}`)
  })
  const byId = new Map(d.shapes.map((s) => [s.node.id, s]))
  for (const e of d.edges) {
    const ends = new Set([e.flow.source, e.flow.target, byId.get(e.flow.source)?.node.attachedTo ?? ""])
    for (const s of solid)
      if (!ends.has(s.node.id) && through(e.waypoints, shrink(s.bounds, 2)))
        problems.push(`${e.flow.id} crosses ${s.node.id}`)
    for (const l of labels)
      if (l.owner !== e.flow.id && through(e.waypoints, shrink(l.box, 1)))
        problems.push(`${e.flow.id} crosses the label of ${l.owner}`)
    const near = (p: { x: number; y: number } | undefined, id: string) => {
      const b = byId.get(id)?.bounds
      return (
        p !== undefined &&
        b !== undefined &&
        p.x >= b.x - 3 &&
        p.x <= b.x + b.width + 3 &&
        p.y >= b.y - 3 &&
        p.y <= b.y + b.height + 3
      )
    }
    if (!near(e.waypoints[0], e.flow.source)) problems.push(`${e.flow.id} does not start on ${e.flow.source}`)
    if (!near(e.waypoints[e.waypoints.length - 1], e.flow.target))
      problems.push(`${e.flow.id} does not end on ${e.flow.target}`)
  }
  return problems
}

type Pt = { readonly x: number; readonly y: number }
const segmentsOf = (points: ReadonlyArray<Pt>): Array<readonly [Pt, Pt]> =>
  points.slice(1).map((p, i) => [points[i] as Pt, p] as const)

/**
 * Flows that a reader cannot tell apart: two flows drawn on the same stretch of line (a trunk shared by two arms, a
 * flow on top of another), or running side by side closer than 12 px for more than 100 px (loop-backs of nested
 * loops 11 px apart). Flows fanning out of one gateway (or into one) may run closer: each has its own point of the
 * gateway, and a diamond is only 50 px wide.
 */
export const sharedLines = (d: Geometry): Array<string> => {
  const problems: Array<string> = []
  const edges = d.edges.map((e) => ({ id: e.flow.id, flow: e.flow, segments: segmentsOf(e.waypoints) }))
  edges.forEach((a, i) => {
    for (const b of edges.slice(i + 1)) {
      let shared = 0
      let close = 0
      for (const [p, q] of a.segments)
        for (const [r, s] of b.segments) {
          const horizontal = p.y === q.y && r.y === s.y
          const vertical = p.x === q.x && r.x === s.x
          if (!horizontal && !vertical) continue
          const [lo1, hi1] = horizontal
            ? [Math.min(p.x, q.x), Math.max(p.x, q.x)]
            : [Math.min(p.y, q.y), Math.max(p.y, q.y)]
          const [lo2, hi2] = horizontal
            ? [Math.min(r.x, s.x), Math.max(r.x, s.x)]
            : [Math.min(r.y, s.y), Math.max(r.y, s.y)]
          const overlap = Math.min(hi1, hi2) - Math.max(lo1, lo2)
          const distance = horizontal ? Math.abs(p.y - r.y) : Math.abs(p.x - r.x)
          if (overlap > 1 && distance === 0) shared += overlap
          else if (overlap > 0 && distance < 12) close = Math.max(close, overlap)
        }
      if (shared > 0) problems.push(`${a.id} and ${b.id} share ${shared} px of line`)
      const fan = a.flow.source === b.flow.source || a.flow.target === b.flow.target
      if (close > 100 && !fan) problems.push(`${a.id} and ${b.id} run closer than 12 px for ${close} px`)
    }
  })
  return problems
}

/**
 * A decision's flows in the order of the workflow: the first straight ahead (from the gateway's east corner, or its
 * west one on a way back drawn right to left, on its centre line), the others below it in their declared order, each from its own point of the gateway. Loop decisions
 * are left out (their way back goes down by design); `loopDecisions` are their ids.
 */
export const armOrderProblems = (d: Geometry, loopDecisions: ReadonlySet<string>): Array<string> => {
  const problems: Array<string> = []
  const byId = new Map(d.shapes.map((s) => [s.node.id, s]))
  for (const s of d.shapes) {
    if (s.node.kind !== "exclusiveGateway" || loopDecisions.has(s.node.id)) continue
    const out = d.edges.filter((e) => e.flow.source === s.node.id)
    if (out.length < 2) continue
    const cy = s.bounds.y + s.bounds.height / 2
    const [first, ...others] = out
    const start = first?.waypoints[0]
    // Straight ahead is east, or west on a way back drawn right to left (a loop's restart).
    const side = start !== undefined && (start.x === s.bounds.x + s.bounds.width || start.x === s.bounds.x)
    if (!first || start?.y !== cy || !side || first.waypoints[1]?.y !== cy)
      problems.push(`${first?.flow.id} (first of ${s.node.id}) does not go straight ahead`)
    // The row of an arm: the y at which it runs towards its target, after leaving the gateway.
    const rows = others.map((e) => e.waypoints[1]?.y ?? Number.NaN)
    rows.forEach((y, i) => {
      if (!(y > (i === 0 ? cy : (rows[i - 1] as number))))
        problems.push(`${others[i]?.flow.id} of ${s.node.id} is out of the declared order`)
    })
    const starts = out.map((e) => `${e.waypoints[0]?.x},${e.waypoints[0]?.y}`)
    if (new Set(starts).size !== starts.length) problems.push(`flows of ${s.node.id} leave from the same point`)
    for (const e of out) if (!byId.has(e.flow.target)) problems.push(`${e.flow.id} goes nowhere`)
    // The happy path is one line: a branch merges on the line it split from.
    const join = byId.get(s.node.id.replace(/^Split_/, "Join_"))
    if (s.node.id.startsWith("Split_") && join && join.bounds.y + join.bounds.height / 2 !== cy)
      problems.push(`${join.node.id} is off the line of ${s.node.id}`)
  }
  return problems
}

/**
 * Spacing as at the top level everywhere (subprocesses included): a flow straight from one element to the next is at
 * least `gap` long, and no arm's first element or handler lands in a far layer (the last stretch of a branch arm's
 * flow, or of a boundary event's, into a task or event is at most `far`).
 */
export const spacingProblems = (d: Geometry, gap: number, far: number): Array<string> => {
  const problems: Array<string> = []
  const kinds = new Map(d.shapes.map((s) => [s.node.id, s.node.kind]))
  for (const e of d.edges) {
    const points = e.waypoints
    const [a, b] = [points[0], points[1]]
    if (points.length === 2 && a && b && a.y === b.y && Math.abs(b.x - a.x) < gap)
      problems.push(`${e.flow.id} is ${Math.abs(b.x - a.x)} px long, less than ${gap}`)
    // Where the issue saw far layers: an arm's first element, what a boundary event leads to.
    const fromBoundary = /BoundaryEvent$/.test(kinds.get(e.flow.source) ?? "")
    const kind = kinds.get(e.flow.target)
    const last = points[points.length - 1]
    const before = points[points.length - 2]
    const watched = (e.flow.arm !== undefined || fromBoundary) && kind !== "exclusiveGateway"
    if (watched && last && before && last.y === before.y && Math.abs(last.x - before.x) > far)
      problems.push(`${e.flow.id} runs ${Math.abs(last.x - before.x)} px into ${e.flow.target}`)
  }
  return problems
}

/** A diagram that fits a screen: no wider than `maxWidth`, and no wider than `maxRatio` times its height. */
export const aspectProblems = (
  bounds: { readonly width: number; readonly height: number },
  maxWidth: number,
  maxRatio: number
): Array<string> =>
  bounds.width > maxWidth || bounds.width > maxRatio * bounds.height
    ? [`${bounds.width} × ${bounds.height} px does not fit a screen`]
    : []
