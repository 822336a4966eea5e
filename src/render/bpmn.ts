import {
  type BpmnActivity,
  type BpmnBaseElement,
  type BpmnFlowNode,
  BpmnModdle,
  type ModdleTypeMap,
  type Of
} from "bpmn-moddle"
import type { Progress } from "../model/Progress.js"
import type { WorkflowModel } from "../model/WorkflowModel.js"
import { colorsFor, containerFill } from "./colors.js"
import type { Container, FlowNode } from "./graph.js"
import { IdAllocator, ids } from "./ids.js"
import { type Bounds, type Diagram, type Label, layout } from "./layout.js"
import { type Overlay, overlay, takenLast } from "./progress.js"

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
  const moddle = new BpmnModdle()
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
  const elements = new Map<string, Of<BpmnBaseElement>>()
  const process = moddle.create("bpmn:Process", {
    id: graph.root.id,
    name: graph.name,
    isExecutable: false,
    ...documentation(moddle, graph.description)
  })
  elements.set(graph.root.id, process)
  fillContainer(moddle, process, graph.root, { messages, errors, elements })

  const plane = moddle.create("bpmndi:BPMNPlane", { id: ids.plane(graph.rootId), bpmnElement: process })
  plane.planeElement = [
    ...diagram.shapes.map((s) => shape(moddle, s, elements, colors)),
    ...takenLast(diagram.edges, colors).map((e) => edge(moddle, e, elements, colors))
  ]
  return moddle.create("bpmn:Definitions", {
    id: ids.definitions(graph.rootId),
    targetNamespace: "http://bpmn.io/schema/bpmn",
    exporter: "durable-monad",
    rootElements: [...messages.values(), ...errors.values(), process],
    diagrams: [moddle.create("bpmndi:BPMNDiagram", { id: ids.diagram(graph.rootId), plane })]
  })
}

interface Globals {
  readonly messages: ReadonlyMap<string, El<"bpmn:Message">>
  readonly errors: ReadonlyMap<string, El<"bpmn:Error">>
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
  switch (node.kind) {
    case "startEvent":
      return moddle.create("bpmn:StartEvent", common)
    case "endEvent":
      return moddle.create("bpmn:EndEvent", {
        ...common,
        ...(node.terminate ? { eventDefinitions: [moddle.create("bpmn:TerminateEventDefinition", definition)] } : {})
      })
    case "task": {
      // A retried step repeats until it succeeds or its policy gives up: BPMN's loop marker, the policy its condition.
      const retry =
        node.retry === undefined
          ? {}
          : {
              loopCharacteristics: moddle.create("bpmn:StandardLoopCharacteristics", {
                id: `${node.id}_retry`,
                loopCondition: moddle.create("bpmn:FormalExpression", { body: `retry: ${node.retry}` })
              })
            }
      return node.service
        ? moddle.create("bpmn:ServiceTask", { ...common, ...retry })
        : moddle.create("bpmn:Task", { ...common, ...retry })
    }
    case "messageCatchEvent":
      return moddle.create("bpmn:IntermediateCatchEvent", {
        ...common,
        eventDefinitions: [
          moddle.create("bpmn:MessageEventDefinition", {
            ...definition,
            ...withRef("messageRef", globals.messages.get(node.message))
          })
        ]
      })
    case "timerCatchEvent":
      return moddle.create("bpmn:IntermediateCatchEvent", {
        ...common,
        eventDefinitions: [
          moddle.create("bpmn:TimerEventDefinition", {
            ...definition,
            [node.timer.type === "date" ? "timeDate" : "timeDuration"]: moddle.create("bpmn:FormalExpression", {
              body: node.timer.expression
            })
          })
        ]
      })
    case "exclusiveGateway":
      if (node.eventBased === true) {
        return moddle.create("bpmn:EventBasedGateway", { ...common, gatewayDirection: "Diverging" })
      }
      return moddle.create("bpmn:ExclusiveGateway", {
        ...common,
        gatewayDirection: node.direction === "split" ? "Diverging" : "Converging"
      })
    case "subProcess": {
      const sub = moddle.create("bpmn:SubProcess", common)
      fillContainer(moddle, sub, node.container, globals)
      return sub
    }
    case "errorBoundaryEvent": {
      const host = siblings.get(node.attachedTo)
      const interrupt = node.interrupt
      if (interrupt !== undefined) {
        return moddle.create("bpmn:BoundaryEvent", {
          ...common,
          cancelActivity: true,
          ...withRef("attachedToRef", host as Of<BpmnActivity> | undefined),
          eventDefinitions: [
            interrupt.type === "message"
              ? moddle.create("bpmn:MessageEventDefinition", {
                  ...definition,
                  ...withRef("messageRef", globals.messages.get(interrupt.message))
                })
              : moddle.create("bpmn:TimerEventDefinition", {
                  ...definition,
                  [interrupt.timer.type === "date" ? "timeDate" : "timeDuration"]: moddle.create(
                    "bpmn:FormalExpression",
                    { body: interrupt.timer.expression }
                  )
                })
          ]
        })
      }
      return moddle.create("bpmn:BoundaryEvent", {
        ...common,
        ...withRef("attachedToRef", host as Of<BpmnActivity> | undefined),
        eventDefinitions: [
          moddle.create("bpmn:ErrorEventDefinition", {
            ...definition,
            ...withRef("errorRef", node.error !== undefined ? globals.errors.get(node.error) : undefined)
          })
        ]
      })
    }
  }
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
    ...(node.kind === "exclusiveGateway" ? { isMarkerVisible: true } : {}),
    ...bpmnLabel(moddle, s.label)
  })
  const state = colors?.states.get(node.id)
  if (colors && state) {
    const c = colorsFor(state, colors.status)
    const fill = node.kind === "subProcess" ? containerFill(state, colors.status) : c.fill
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
  if (colors && state) {
    const c = colorsFor(state, colors.status)
    element.set("bioc:stroke", c.stroke)
    element.set("color:border-color", c.stroke)
  }
  return element
}
