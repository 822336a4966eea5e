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
  type Point,
  toBpmn,
  toFlowGraph,
  toMermaid,
  toSvg
} from "../../src/render/index.js"
import { isBoundaryEvent } from "../../src/render/graph.js"
import {
  armOrderProblems,
  aspectProblems,
  diagramElements,
  flowElements,
  geometryProblems,
  sharedLines,
  spacingProblems,
  lint,
  reimport,
  validateBpmn,
  wellFormed,
  type XmlReport
} from "./checks.js"
import { exampleModels } from "../../docs/diagrams.js"
import { GAP, MAX_ROW_WIDTH, ROW_GAP } from "../../src/render/layout.js"
import {
  countNodes,
  edgeCases,
  fixtures,
  generated,
  nested,
  nestedProgress,
  randomWorkflow,
  timed,
  timedProgress
} from "./fixtures.js"

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
  nestedWithProgress: { model: nested, progress: nestedProgress },
  timedWithProgress: { model: timed, progress: timedProgress }
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
    // …and nothing but them (plus the process itself, and with progress the status annotation).
    expect(di.size).toBe(elements.length + (cases[name]?.progress ? 1 : 0))
  })

  it("lays out without overlapping labels, flows through shapes or labels, or detached flow ends", () => {
    expect(geometryProblems(get().diagram)).toEqual([])
  })

  it("keeps flows apart, a decision's flows in declared order with the first straight ahead, merges on the line", () => {
    const graph = toFlowGraph(model())
    const loopDecisions = new Set(
      allNodes(graph.root).flatMap((n) =>
        n.kind === "exclusiveGateway" && n.direction === "split" && graph.loops.has(n.progressKey ?? "") ? [n.id] : []
      )
    )
    expect(sharedLines(get().diagram)).toEqual([])
    expect(armOrderProblems(get().diagram, loopDecisions)).toEqual([])
  })

  it("spaces subprocess content as the top level, with no element in a far layer", () => {
    expect(spacingProblems(get().diagram, GAP, 200)).toEqual([])
  })

  it("fits a screen: long lines wrap into rows", () => {
    expect(aspectProblems(get().diagram.bounds, 1.3 * MAX_ROW_WIDTH + 100, Number.POSITIVE_INFINITY)).toEqual([])
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
    const nodes = allNodes(graph.root).filter((n) => n.kind !== "subProcess" && !isBoundaryEvent(n))
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

describe("the harder workflows", () => {
  it("wrap a 40-step sequence into rows that fit a screen", () => {
    const d = (rendered.longSequence as Rendered).diagram
    expect(aspectProblems(d.bounds, MAX_ROW_WIDTH, 3)).toEqual([])
    const rows = new Set(d.shapes.filter((s) => s.node.kind === "task").map((s) => s.bounds.y))
    expect(rows.size).toBe(5)
  })

  it("draw the six ways out of a branch each from its own point, in declared order", () => {
    const d = (rendered.supportTicket as Rendered).diagram
    const out = d.edges.filter((e) => e.flow.source === "Split_route")
    expect(out.map((e) => e.flow.id)).toEqual([
      "Flow_billing",
      "Flow_outage",
      "Flow_feature",
      "Flow_security",
      "Flow_spam",
      "Flow_other"
    ])
    const split = d.shapes.find((s) => s.node.id === "Split_route")?.bounds as { x: number; y: number }
    // Straight ahead from the east corner; the others from the lower corners, nearest rightmost.
    expect(out.map((e) => [(e.waypoints[0]?.x ?? 0) - split.x, (e.waypoints[0]?.y ?? 0) - split.y])).toEqual([
      [50, 25],
      [45, 30],
      [35, 40],
      [25, 50],
      [15, 40],
      [5, 30]
    ])
  })

  it("keep the ways back of nested loops a row apart", () => {
    const d = (rendered.nestedLoops as Rendered).diagram
    const lane = (id: string) => {
      const e = d.edges.find((e) => e.flow.id === id)
      return Math.max(...(e?.waypoints.map((p) => p.y) ?? []))
    }
    expect(lane("Flow_Activity_fetch_Join_batches") - lane("Flow_Activity_advance_Join_items")).toBeGreaterThanOrEqual(
      ROW_GAP
    )
  })
})

describe("random structured workflows", () => {
  it("all lay out cleanly and pass bpmnlint", async () => {
    const problems: Array<string> = []
    for (let seed = 1; seed <= 40; seed++) {
      const model = randomWorkflow(seed)
      const diagram = await layout(model)
      const graph = diagram.graph
      const loopDecisions = new Set(
        allNodes(graph.root).flatMap((n) =>
          n.kind === "exclusiveGateway" && n.direction === "split" && graph.loops.has(n.progressKey ?? "") ? [n.id] : []
        )
      )
      const { rootElement, warnings } = await reimport(await toBpmn(diagram))
      problems.push(
        ...[
          ...geometryProblems(diagram),
          ...sharedLines(diagram),
          ...armOrderProblems(diagram, loopDecisions),
          ...spacingProblems(diagram, GAP, 200),
          ...warnings.map((w) => w.message),
          ...(await lint(rootElement))
        ].map((p) => `seed ${seed}: ${p}`)
      )
    }
    expect(problems).toEqual([])
  }, 60_000)
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

  it("catch the layout defects of issue 11: shared trunks, arm order, cramped subprocesses, far layers, one long row", () => {
    const branching = (rendered.branching as Rendered).diagram
    const edge = (d: Diagram, id: string) => d.edges.find((e) => e.flow.id === id) as Diagram["edges"][number]
    const other = edge(branching, "Flow_other")
    // Two arms on one trunk out of the split (as ELK drew them).
    const shared = branching.edges.map((e) =>
      e.flow.id === "Flow_no"
        ? { ...e, waypoints: [...other.waypoints.slice(0, 2), ...e.waypoints.slice(2).map((p) => ({ ...p, x: p.x }))] }
        : e
    )
    expect(sharedLines({ ...branching, edges: shared })).toEqual(["Flow_no and Flow_other share 202 px of line"])
    // Arms drawn in another order than declared.
    const swapped = [...branching.edges]
    const [no, otherwise] = [swapped.indexOf(edge(branching, "Flow_no")), swapped.indexOf(other)]
    ;[swapped[no], swapped[otherwise]] = [other, edge(branching, "Flow_no")]
    expect(armOrderProblems({ ...branching, edges: swapped }, new Set())).toEqual([
      "Flow_no of Split_decide is out of the declared order"
    ])
    // Two loop-backs 11 px apart.
    const a = { x: 100, y: 300 }
    const parallel = {
      shapes: [],
      edges: [
        { flow: { id: "A", source: "s1", target: "t1" }, waypoints: [a, { x: 800, y: 300 }] },
        {
          flow: { id: "B", source: "s2", target: "t2" },
          waypoints: [
            { x: 90, y: 311 },
            { x: 750, y: 311 }
          ]
        }
      ]
    }
    expect(sharedLines(parallel)).toEqual(["A and B run closer than 12 px for 650 px"])
    // Inside a subprocess, 20 px between elements; a handler in a far layer.
    const nested = (rendered.nested as Rendered).diagram
    const inside = edge(nested, "Flow_Start_fulfil_Activity_reserve")
    const [p] = inside.waypoints as [Point]
    const cramped = nested.edges.map((e) => (e === inside ? { ...e, waypoints: [p, { x: p.x + 20, y: p.y }] } : e))
    expect(spacingProblems({ ...nested, edges: cramped }, GAP, 200)).toEqual([
      "Flow_Start_fulfil_Activity_reserve is 20 px long, less than 40"
    ])
    const handler = edge(nested, "Flow_Boundary_fulfil_Activity_apologise")
    const [b] = handler.waypoints as [Point]
    const far = nested.edges.map((e) =>
      e === handler ? { ...e, waypoints: [b, { x: b.x, y: b.y + 100 }, { x: b.x + 585, y: b.y + 100 }] } : e
    )
    expect(spacingProblems({ ...nested, edges: far }, GAP, 200)).toEqual([
      "Flow_Boundary_fulfil_Activity_apologise runs 585 px into Activity_apologise"
    ])
    // The 40 steps as one row.
    expect(aspectProblems({ width: 5752, height: 120 }, MAX_ROW_WIDTH, 3)).toEqual([
      "5752 × 120 px does not fit a screen"
    ])
  })
})
