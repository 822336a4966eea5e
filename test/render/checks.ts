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
    readonly flow: { readonly id: string; readonly source: string; readonly target: string }
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
