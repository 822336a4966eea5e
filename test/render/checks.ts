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
