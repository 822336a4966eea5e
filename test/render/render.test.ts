// Every fixture through every renderer, checked by independent tools. The expensive work (layouts, xmllint) is
// done once in beforeAll and shared by the assertions.
import type { AnyElement, FromXmlResult } from "bpmn-moddle"
import { beforeAll, describe, expect, it } from "vitest"
import type { WorkflowModel } from "../../src/model/WorkflowModel.js"
import {
  allFlows,
  allNodes,
  type Diagram,
  layout,
  toBpmn,
  toFlowGraph,
  toMermaid,
  toSvg
} from "../../src/render/index.js"
import {
  diagramElements,
  flowElements,
  geometryProblems,
  lint,
  reimport,
  validateBpmn,
  wellFormed,
  type XmlReport
} from "./checks.js"
import { exampleModels } from "../../docs/diagrams.js"
import { countNodes, edgeCases, fixtures, generated, nested, nestedProgress } from "./fixtures.js"

interface Rendered {
  readonly diagram: Diagram
  readonly bpmn: string
  readonly bpmnAgain: string
  readonly svg: string
  readonly svgAgain: string
  readonly imported: FromXmlResult
}

const cases: Record<string, { model: WorkflowModel; progress?: typeof nestedProgress }> = {
  ...Object.fromEntries(Object.entries(fixtures).map(([name, model]) => [name, { model }])),
  ...Object.fromEntries(Object.entries(edgeCases).map(([name, model]) => [`edge-${name}`, { model }])),
  generated: { model: generated() },
  nestedWithProgress: { model: nested, progress: nestedProgress }
}

// The examples, as the library models them, bare and with a scripted instance's progress.
for (const example of await exampleModels()) {
  cases[`example-${example.name}`] = { model: example.model }
  cases[`example-${example.name}-progress`] = { model: example.model, progress: example.progress }
}

const rendered: Record<string, Rendered> = {}
let xsd: Record<string, XmlReport> = {}
let svgXml: Record<string, XmlReport> = {}

beforeAll(async () => {
  for (const [name, { model, progress }] of Object.entries(cases)) {
    const options = progress ? { progress } : {}
    const diagram = await layout(model)
    const [bpmn, svg] = await Promise.all([toBpmn(diagram, options), toSvg(diagram, options)])
    // From scratch again (a new layout): the output must not depend on anything but the model.
    const [bpmnAgain, svgAgain] = await Promise.all([toBpmn(model, options), toSvg(model, options)])
    rendered[name] = { diagram, bpmn, bpmnAgain, svg, svgAgain, imported: await reimport(bpmn) }
  }
  ;[xsd, svgXml] = await Promise.all([
    validateBpmn(Object.fromEntries(Object.entries(rendered).map(([n, r]) => [n, r.bpmn]))),
    wellFormed(Object.fromEntries(Object.entries(rendered).map(([n, r]) => [n, r.svg])))
  ])
}, 60_000)

describe.each(Object.keys(cases))("%s", (name) => {
  const get = () => rendered[name] as Rendered
  const model = () => (cases[name] as { model: WorkflowModel }).model

  it("validates against the OMG BPMN 2.0 XSDs", () => {
    expect(xsd[name]).toEqual({ valid: true, errors: [] })
  })

  it("re-imports into bpmn-moddle with no warnings", () => {
    expect(get().imported.warnings.map((w) => w.message)).toEqual([])
  })

  it("passes bpmnlint recommended with no errors and no warnings", async () => {
    expect(await lint(get().imported.rootElement)).toEqual([])
  })

  it("has diagram interchange for every flow element, with BPMN-js display flags", () => {
    const definitions = get().imported.rootElement
    const di = diagramElements(definitions)
    const elements = flowElements(definitions)
    expect(elements.length).toBeGreaterThan(0)
    for (const element of elements) {
      const shape = di.get(element.id ?? "")
      expect(shape, element.id).toBeDefined()
      if (element.$type === "bpmn:ExclusiveGateway") expect(shape?.get("isMarkerVisible"), element.id).toBe(true)
      if (element.$type === "bpmn:SubProcess") expect(shape?.get("isExpanded"), element.id).toBe(true)
      if (element.$type === "bpmn:SequenceFlow")
        expect(((shape?.get("waypoint") ?? []) as unknown[]).length).toBeGreaterThanOrEqual(2)
      // Named elements drawn with an outside label carry its bounds.
      const outside = /Event|Gateway|SequenceFlow/.test(element.$type)
      if (outside && (element.name ?? "").length > 0)
        expect(shape?.get("label")?.get("bounds"), element.id).toBeDefined()
    }
    // …and nothing but them (plus the process itself).
    expect(di.size).toBe(elements.length)
  })

  it("lays out without overlapping labels, flows through shapes or labels, or detached flow ends", () => {
    expect(geometryProblems(get().diagram)).toEqual([])
  })

  it("renders byte-identical output from the same model", () => {
    expect(get().bpmnAgain).toBe(get().bpmn)
    expect(get().svgAgain).toBe(get().svg)
  })

  it("draws well-formed SVG with a data-element-id for every BPMN flow element", () => {
    expect(svgXml[name]).toEqual({ valid: true, errors: [] })
    const svgIds = [...get().svg.matchAll(/data-element-id="([^"]+)"/g)].map((m) => m[1])
    const bpmnIds = flowElements(get().imported.rootElement).map((e) => e.id)
    expect([...svgIds].sort()).toEqual([...bpmnIds].sort())
  })

  it("writes Mermaid with exactly the graph's nodes and flows", () => {
    const graph = toFlowGraph(model())
    const text = toMermaid(model())
    const nodes = allNodes(graph.root).filter((n) => n.kind !== "subProcess" && n.kind !== "errorBoundaryEvent")
    const subgraphs = allNodes(graph.root).filter((n) => n.kind === "subProcess")
    expect(text.match(/^\s+n_\w+[([{]/gm)?.length ?? 0).toBe(nodes.length)
    expect(text.match(/^\s+subgraph /gm)?.length ?? 0).toBe(subgraphs.length)
    expect(text.match(/ (-->|-\.->)[ |]/g)?.length ?? 0).toBe(allFlows(graph.root).length)
  })
})

describe("the generated model", () => {
  it("has about 200 model nodes, each drawn", () => {
    const model = generated()
    expect(countNodes(model.root)).toBeGreaterThanOrEqual(200)
    const definitions = (rendered.generated as Rendered).imported.rootElement as AnyElement
    const ids = new Set(flowElements(definitions).map((e) => e.id))
    const graph = toFlowGraph(model)
    for (const node of allNodes(graph.root)) expect(ids.has(node.id), node.id).toBe(true)
  })
})

describe("the checks themselves", () => {
  it("catch a schema violation, a malformed SVG, a dangling reference and a lint error", async () => {
    const xml = (rendered.linear as Rendered).bpmn
    const broken = xml.replace(
      '<bpmn:serviceTask id="Activity_charge" name="Charge card">',
      '<bpmn:serviceTask id="Activity_charge" name="Charge card" bogus="1">'
    )
    expect(broken).not.toBe(xml)
    expect((await validateBpmn({ broken })).broken?.valid).toBe(false)
    expect((await wellFormed({ broken: "<svg><g></svg>" })).broken?.valid).toBe(false)
    const dangling = await reimport(xml.replace('targetRef="Activity_charge"', 'targetRef="Nowhere"'))
    expect(dangling.warnings.length).toBeGreaterThan(0)
    const unnamed = await reimport(xml.replace(' name="Charge card"', ""))
    expect(await lint(unnamed.rootElement)).toContain(
      "error label-required: Activity_charge Element is missing label/name"
    )
    const diagram = (rendered.linear as Rendered).diagram
    const [first, second] = diagram.shapes
    const moved = diagram.shapes.map((s) => (s === second && first ? { ...s, bounds: first.bounds } : s))
    expect(geometryProblems({ ...diagram, shapes: moved }).length).toBeGreaterThan(0)
  })
})
