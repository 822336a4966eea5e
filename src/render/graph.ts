/**
 * The BPMN-shaped flow graph every renderer draws: what the model becomes once its structure (sequences, branches,
 * loops, catches) is spelled out as flow nodes and sequence flows. BPMN XML, layout, SVG and Mermaid all read this
 * one graph, so they agree on elements, ids and edges; only {@link toFlowGraph} knows the model's node kinds.
 *
 * New BPMN element kinds (timer events, parallel gateways, …) are added to {@link FlowNode}; every renderer
 * switches exhaustively over `kind`, so the compiler lists each place that must learn to draw them.
 */
export type FlowNode =
  | StartEventNode
  | EndEventNode
  | TaskNode
  | MessageCatchEventNode
  | TimerCatchEventNode
  | ExclusiveGatewayNode
  | SubProcessNode
  | ErrorBoundaryEventNode

interface NodeCommon {
  /** BPMN element id (see `ids.ts`). */
  readonly id: string
  readonly name: string
  /** The model node whose progress colours this element; absent for elements that only exist in the drawing. */
  readonly progressKey?: string
  /**
   * The model node is composite (branch, loop, catch, subworkflow): progress may leave it out even when it was
   * reached, so its state is then inferred. A leaf node left out of progress was not reached.
   */
  readonly composite?: boolean
  readonly description?: string
}

export interface StartEventNode extends NodeCommon {
  readonly kind: "startEvent"
}

export interface EndEventNode extends NodeCommon {
  readonly kind: "endEvent"
  /** Ends the whole instance (an `end` node), not just this path. */
  readonly terminate: boolean
}

export interface TaskNode extends NodeCommon {
  readonly kind: "task"
  /** A step that runs an effect (BPMN service task) rather than a pure transition (plain task). */
  readonly service: boolean
  /** Typed errors it may raise: tells which error boundary fired when it failed. */
  readonly errors: ReadonlyArray<string>
  /** A step's durable retry policy: drawn as a loop marker, the policy written as its condition. */
  readonly retry?: string
}

export interface MessageCatchEventNode extends NodeCommon {
  readonly kind: "messageCatchEvent"
  /** Signal name: one `bpmn:Message` per distinct signal. */
  readonly message: string
  readonly errors: ReadonlyArray<string>
}

export interface TimerCatchEventNode extends NodeCommon {
  readonly kind: "timerCatchEvent"
  /** Written as the timer event definition's `timeDuration` or `timeDate` expression. */
  readonly timer: { readonly type: "duration" | "date"; readonly expression: string }
}

export interface ExclusiveGatewayNode extends NodeCommon {
  readonly kind: "exclusiveGateway"
  /** `split` decides between outgoing flows; `join` merges incoming ones. */
  readonly direction: "split" | "join"
  /** A split decided by which of the events after it happens first (BPMN event-based gateway): a race. */
  readonly eventBased?: boolean
}

export interface SubProcessNode extends NodeCommon {
  readonly kind: "subProcess"
  readonly container: Container
}

export interface ErrorBoundaryEventNode extends NodeCommon {
  readonly kind: "errorBoundaryEvent"
  /** Id of the subprocess it is attached to (always emitted right before it in the same container). */
  readonly attachedTo: string
  /** The error caught; absent: any error. */
  readonly error?: string
  /**
   * Set on an interrupting boundary event that is not an error's: an interruption's signal (message) or a section's
   * timeout (timer). `error` is then absent.
   */
  readonly interrupt?:
    | { readonly type: "message"; readonly message: string }
    | { readonly type: "timer"; readonly timer: TimerCatchEventNode["timer"] }
}

export interface Flow {
  readonly id: string
  readonly source: string
  readonly target: string
  /** Shown on the diagram: condition names, `otherwise`, a loop's exit and repeat names. */
  readonly name?: string
  /** Condition name, written as the flow's condition expression. */
  readonly condition?: string
  /** The default flow of its (split gateway) source. */
  readonly isDefault?: boolean
  /** Branch arm id, on the arm's first flow: it is taken exactly when the arm is. */
  readonly arm?: string
  /** Branch id, on the default flow of a branch with no `otherwise`: taken when no arm is. */
  readonly passThrough?: string
  /** Loop id, on the flow out of a loop. */
  readonly loopExit?: string
  /** Loop id, on the flow from a loop's decision towards its start. */
  readonly loopRepeat?: string
  /** Loop id, on the flow that returns to the start of a loop (drawn against the direction of the diagram). */
  readonly loopBack?: string
}

/** A process or the inside of a subprocess: its nodes in flow order (every forward flow goes to a later node). */
export interface Container {
  readonly id: string
  readonly nodes: ReadonlyArray<FlowNode>
  readonly flows: ReadonlyArray<Flow>
}

export interface FlowGraph {
  /** Id of the model's root node: the other document-level ids derive from it. */
  readonly rootId: string
  /** Workflow name: the BPMN process name. */
  readonly name: string
  readonly description?: string
  /** The process. */
  readonly root: Container
  /** Distinct signal names, in order of first use. */
  readonly messages: ReadonlyArray<string>
  /** Distinct error names caught by catch nodes, in order of first use. */
  readonly errors: ReadonlyArray<string>
  /** For each loop id, the model ids inside its body and restart: a repeat shows as a count above 1 there. */
  readonly loops: ReadonlyMap<string, ReadonlyArray<string>>
}

/** Every node of a container and of the containers nested in it, depth first, containers before their children. */
export const allNodes = (container: Container): Array<FlowNode> => {
  const out: Array<FlowNode> = []
  const visit = (c: Container) => {
    for (const node of c.nodes) {
      out.push(node)
      if (node.kind === "subProcess") visit(node.container)
    }
  }
  visit(container)
  return out
}

/** Every flow of a container and of the containers nested in it. */
export const allFlows = (container: Container): Array<Flow> => {
  const out: Array<Flow> = []
  const visit = (c: Container) => {
    out.push(...c.flows)
    for (const node of c.nodes) if (node.kind === "subProcess") visit(node.container)
  }
  visit(container)
  return out
}
