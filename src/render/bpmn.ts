import type { BpmnActivity, BpmnBaseElement, BpmnFlowNode, BpmnModdle, ModdleTypeMap, Of } from "bpmn-moddle"
import type { Progress } from "../model/Progress.js"
import type { WorkflowModel } from "../model/WorkflowModel.js"
import { importOptional } from "../package/optionalDependency.js"
import { colorsFor, containerFill, legendEntries, notReached } from "./colors.js"
import type { Container, FlowNode, TimerDefinition } from "./graph.js"
import { IdAllocator, ids } from "./ids.js"
import { type Bounds, type Diagram, type Label, layout } from "./layout.js"
import { type DrawState, type Overlay, overlay, takenLast } from "./progress.js"
import { measure } from "./text.js"

export interface RenderOptions {
  /** An instance's progress: elements and flows are coloured done / current / failed. */
  readonly progress?: Progress
}

/** A model, or a layout of one made earlier with {@link layout} (to draw BPMN and SVG from the same layout). */
export type RenderInput = WorkflowModel | Diagram

export const toDiagram = async (input: RenderInput): Promise<Diagram> => ("shapes" in input ? input : layout(input))

/**
 * BPMN 2.0 XML with diagram interchange, laid out, so bpmn.io and Camunda Modeler open it ready to read. With
 * `progress`, elements carry the colour attributes both understand (`bioc:*` and OMG `color:*`).
 *
 * @example
 * const xml = await toBpmn(model, { progress })
 * await writeFile("order.bpmn", xml)
 */
export const toBpmn = async (input: RenderInput, options: RenderOptions = {}): Promise<string> => {
  const diagram = await toDiagram(input)
  const colors = options.progress ? overlay(diagram.graph, options.progress) : undefined
  // bpmn-moddle 10 registers both colour vocabularies (`bioc`, OMG `color`) itself.
  const { BpmnModdle: Moddle } = await importOptional("bpmn-moddle", "writing BPMN XML", () => import("bpmn-moddle"))
  const moddle = new Moddle()
  const { xml } = await moddle.toXML(definitions(moddle, diagram, colors), { format: true })
  return xml
}

type El<K extends keyof ModdleTypeMap> = ModdleTypeMap[K]
type FlowNodeElement = Of<BpmnFlowNode>

const definitions = (moddle: BpmnModdle, diagram: Diagram, colors: Overlay | undefined): El<"bpmn:Definitions"> => {
  const graph = diagram.graph
  const rootIds = new IdAllocator()
  const messages = new Map(
    graph.messages.map((name) => [name, moddle.create("bpmn:Message", { id: rootIds.take(ids.message(name)), name })])
  )
  const errors = new Map(
    graph.errors.map((name) => [
      name,
      moddle.create("bpmn:Error", { id: rootIds.take(ids.error(name)), name, errorCode: name })
    ])
  )
  const escalations = new Map(
    graph.escalations.map((e) => [
      e.id,
      moddle.create("bpmn:Escalation", {
        id: rootIds.take(ids.escalation(e.id)),
        name: e.name,
        escalationCode: e.id
      })
    ])
  )
  const elements = new Map<string, Of<BpmnBaseElement>>()
  const process = moddle.create("bpmn:Process", {
    id: graph.root.id,
    name: graph.name,
    isExecutable: false,
    ...documentation(moddle, graph.description)
  })
  elements.set(graph.root.id, process)
  fillContainer(moddle, process, graph.root, { messages, errors, escalations, elements })

  const plane = moddle.create("bpmndi:BPMNPlane", { id: ids.plane(graph.rootId), bpmnElement: process })
  plane.planeElement = [
    ...diagram.shapes.map((s) => shape(moddle, s, elements, colors)),
    ...takenLast(diagram.edges, colors).map((e) => edge(moddle, e, elements, colors))
  ]
  if (colors) {
    // The instance's status and the legend travel with the file: a text annotation under the diagram.
    const text = statusText(diagram, colors)
    const annotationId = ids.status(graph.rootId)
    const annotation = moddle.create("bpmn:TextAnnotation", {
      id: annotationId,
      text
    })
    process.artifacts = [annotation]
    const lines = text.split("\n")
    const width = Math.max(220, Math.ceil(Math.max(...lines.map((l) => measure(l, 12))) + 20))
    plane.planeElement.push(
      moddle.create("bpmndi:BPMNShape", {
        id: ids.di(annotationId),
        bpmnElement: annotation,
        bounds: bounds(moddle, {
          x: diagram.bounds.x,
          y: diagram.bounds.y + diagram.bounds.height + 30,
          width,
          height: Math.ceil(lines.length * 14.4 + 14)
        })
      })
    )
  }
  return moddle.create("bpmn:Definitions", {
    id: ids.definitions(graph.rootId),
    targetNamespace: "http://bpmn.io/schema/bpmn",
    exporter: "durable-monad",
    rootElements: [...messages.values(), ...errors.values(), ...escalations.values(), process],
    diagrams: [moddle.create("bpmndi:BPMNDiagram", { id: ids.diagram(graph.rootId), plane })]
  })
}

interface Globals {
  readonly messages: ReadonlyMap<string, El<"bpmn:Message">>
  readonly errors: ReadonlyMap<string, El<"bpmn:Error">>
  readonly escalations: ReadonlyMap<string, El<"bpmn:Escalation">>
  readonly elements: Map<string, Of<BpmnBaseElement>>
}

const documentation = (moddle: BpmnModdle, text: string | undefined) =>
  text !== undefined && text.length > 0 ? { documentation: [moddle.create("bpmn:Documentation", { text })] } : {}

const fillContainer = (
  moddle: BpmnModdle,
  parent: El<"bpmn:Process"> | El<"bpmn:SubProcess">,
  container: Container,
  globals: Globals
): void => {
  const nodes = new Map<string, FlowNodeElement>()
  for (const node of container.nodes) {
    const element = flowNode(moddle, node, nodes, globals)
    element.incoming = []
    element.outgoing = []
    nodes.set(node.id, element)
    globals.elements.set(node.id, element)
  }
  const flows = container.flows.map((flow) => {
    const source = nodes.get(flow.source)
    const target = nodes.get(flow.target)
    if (!source || !target) throw new Error(`toBpmn: flow ${flow.id} leaves its container`)
    const element = moddle.create("bpmn:SequenceFlow", {
      id: flow.id,
      sourceRef: source,
      targetRef: target,
      ...(flow.name !== undefined ? { name: flow.name } : {}),
      ...(flow.condition !== undefined
        ? { conditionExpression: moddle.create("bpmn:FormalExpression", { body: flow.condition }) }
        : {})
    })
    source.outgoing?.push(element)
    target.incoming?.push(element)
    if (flow.isDefault === true) (source as El<"bpmn:ExclusiveGateway">).default = element
    globals.elements.set(flow.id, element)
    return element
  })
  parent.flowElements = [...nodes.values(), ...flows]
}

/** The BPMN element of each kind of flow node: one exhaustive switch. */
const flowNode = (
  moddle: BpmnModdle,
  node: FlowNode,
  siblings: ReadonlyMap<string, FlowNodeElement>,
  globals: Globals
): FlowNodeElement => {
  const common = {
    id: node.id,
    ...(node.name.length > 0 ? { name: node.name } : {}),
    ...documentation(moddle, node.description)
  }
  const definition = { id: ids.eventDefinition(node.id) }
  // Thrown by end events, caught by boundary events: the same definitions, referring to the same root elements.
  const escalation = (code: string) =>
    moddle.create("bpmn:EscalationEventDefinition", {
      ...definition,
      ...withRef("escalationRef", globals.escalations.get(code))
    })
  const error = (name: string | undefined) =>
    moddle.create("bpmn:ErrorEventDefinition", {
      ...definition,
      ...withRef("errorRef", name !== undefined ? globals.errors.get(name) : undefined)
    })
  const timer = (t: TimerDefinition) =>
    moddle.create("bpmn:TimerEventDefinition", {
      ...definition,
      [t.type === "date" ? "timeDate" : "timeDuration"]: moddle.create("bpmn:FormalExpression", { body: t.expression })
    })
  const message = (name: string) =>
    moddle.create("bpmn:MessageEventDefinition", {
      ...definition,
      ...withRef("messageRef", globals.messages.get(name))
    })
  switch (node.kind) {
    case "startEvent":
      return moddle.create("bpmn:StartEvent", common)
    case "endEvent": {
      const eventDefinition = node.terminate
        ? moddle.create("bpmn:TerminateEventDefinition", definition)
        : node.escalation !== undefined
          ? escalation(node.escalation)
          : node.error !== undefined
            ? error(node.error)
            : undefined
      return moddle.create("bpmn:EndEvent", {
        ...common,
        ...(eventDefinition !== undefined ? { eventDefinitions: [eventDefinition] } : {})
      })
    }
    case "task": {
      // A retried step runs again until it succeeds or its policy gives up: the loop marker, the policy its condition.
      const task = {
        ...common,
        ...(node.retry !== undefined
          ? {
              loopCharacteristics: moddle.create("bpmn:StandardLoopCharacteristics", {
                id: ids.retry(node.id),
                loopCondition: moddle.create("bpmn:FormalExpression", { body: `retry: ${node.retry}` })
              })
            }
          : {})
      }
      return node.service ? moddle.create("bpmn:ServiceTask", task) : moddle.create("bpmn:Task", task)
    }
    case "messageCatchEvent":
      return moddle.create("bpmn:IntermediateCatchEvent", { ...common, eventDefinitions: [message(node.message)] })
    case "timerCatchEvent":
      return moddle.create("bpmn:IntermediateCatchEvent", { ...common, eventDefinitions: [timer(node.timer)] })
    case "exclusiveGateway":
      if (node.eventBased === true)
        return moddle.create("bpmn:EventBasedGateway", { ...common, gatewayDirection: "Diverging" })
      return moddle.create("bpmn:ExclusiveGateway", {
        ...common,
        gatewayDirection: node.direction === "split" ? "Diverging" : "Converging"
      })
    case "subProcess": {
      const sub = moddle.create("bpmn:SubProcess", common)
      fillContainer(moddle, sub, node.container, globals)
      return sub
    }
    case "escalationBoundaryEvent":
    case "errorBoundaryEvent":
      return moddle.create("bpmn:BoundaryEvent", {
        ...common,
        ...withRef("attachedToRef", siblings.get(node.attachedTo) as Of<BpmnActivity> | undefined),
        eventDefinitions: [node.kind === "escalationBoundaryEvent" ? escalation(node.escalation) : error(node.error)]
      })
    case "interruptBoundaryEvent":
      return moddle.create("bpmn:BoundaryEvent", {
        ...common,
        cancelActivity: true,
        ...withRef("attachedToRef", siblings.get(node.attachedTo) as Of<BpmnActivity> | undefined),
        eventDefinitions: [node.trigger.type === "message" ? message(node.trigger.message) : timer(node.trigger.timer)]
      })
  }
}

/**
 * The text of the status annotation: the instance and its status, what the colours mean (with the badges our SVG
 * and Mermaid draw), and what ran more than once.
 */
const statusText = (diagram: Diagram, colors: Overlay): string => {
  const colourNames: Readonly<Record<DrawState, string>> = {
    done: "green",
    current: colors.status === "waiting" ? "orange" : "blue",
    failed: "red",
    incident: "purple"
  }
  // States and what is not reached; the count pills are spelled out below instead.
  const legend = legendEntries(colors.status).flatMap((e) =>
    e.state !== undefined
      ? [`${e.badge} ${e.name} (${colourNames[e.state]})`]
      : e.badge === undefined
        ? [`${e.name} (grey)`]
        : []
  )
  const named = (counts: ReadonlyMap<string, number>, mark: string) =>
    diagram.shapes.flatMap((s) => {
      const n = counts.get(s.node.id)
      return n !== undefined && s.node.name.length > 0 ? [`${s.node.name} ${mark}${n}`] : []
    })
  const repeated = named(colors.counts, "×")
  const attempts = named(colors.attempts, "↻")
  const sleeping = diagram.shapes.flatMap((s) => {
    const due = colors.dues.get(s.node.id)
    return due !== undefined ? [`${s.node.name} until ${due}`] : []
  })
  return [
    `Instance ${colors.instance}: ${colors.status}`,
    legend.join(" · "),
    ...(repeated.length > 0 ? [`Repeated: ${repeated.join(", ")}`] : []),
    ...(attempts.length > 0 ? [`Attempts: ${attempts.join(", ")}`] : []),
    ...(sleeping.length > 0 ? [`Sleeping: ${sleeping.join(", ")}`] : [])
  ].join("\n")
}

const withRef = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value !== undefined ? { [key]: value } : {}) as { [P in K]?: V }

const bounds = (moddle: BpmnModdle, b: Bounds) =>
  moddle.create("dc:Bounds", { x: b.x, y: b.y, width: b.width, height: b.height })

const bpmnLabel = (moddle: BpmnModdle, label: Label | undefined) =>
  label ? { label: moddle.create("bpmndi:BPMNLabel", { bounds: bounds(moddle, label.bounds) }) } : {}

const shape = (
  moddle: BpmnModdle,
  s: Diagram["shapes"][number],
  elements: ReadonlyMap<string, Of<BpmnBaseElement>>,
  colors: Overlay | undefined
): El<"bpmndi:BPMNShape"> => {
  const node = s.node
  const element = moddle.create("bpmndi:BPMNShape", {
    id: ids.di(node.id),
    ...withRef("bpmnElement", elements.get(node.id)),
    bounds: bounds(moddle, s.bounds),
    ...(node.kind === "subProcess" ? { isExpanded: true } : {}),
    ...(node.kind === "exclusiveGateway" && node.eventBased !== true ? { isMarkerVisible: true } : {}),
    ...bpmnLabel(moddle, s.label)
  })
  const state = colors?.states.get(node.id)
  if (colors) {
    const c = state ? colorsFor(state, colors.status) : notReached
    const fill = node.kind === "subProcess" && state ? containerFill(state, colors.status) : c.fill
    element.set("bioc:stroke", c.stroke)
    element.set("bioc:fill", fill)
    element.set("color:border-color", c.stroke)
    element.set("color:background-color", fill)
  }
  return element
}

const edge = (
  moddle: BpmnModdle,
  e: Diagram["edges"][number],
  elements: ReadonlyMap<string, Of<BpmnBaseElement>>,
  colors: Overlay | undefined
): El<"bpmndi:BPMNEdge"> => {
  const element = moddle.create("bpmndi:BPMNEdge", {
    id: ids.di(e.flow.id),
    ...withRef("bpmnElement", elements.get(e.flow.id)),
    waypoint: e.waypoints.map((p) => moddle.create("dc:Point", { x: p.x, y: p.y })),
    ...bpmnLabel(moddle, e.label)
  })
  const state = colors?.states.get(e.flow.id)
  if (colors) {
    const c = state ? colorsFor(state, colors.status) : notReached
    element.set("bioc:stroke", c.stroke)
    element.set("color:border-color", c.stroke)
  }
  return element
}
