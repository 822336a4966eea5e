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
  | EscalationBoundaryEventNode
  | InterruptBoundaryEventNode

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
  /** Ends the whole instance (an `end` node at the top level), not just this path. */
  readonly terminate: boolean
  /**
   * An `end` inside a subprocess: BPMN ends only the subprocess there, while the library ends the instance, so the
   * event throws this escalation (an end node id) and the subprocess' boundary for it leads to the instance's end.
   */
  readonly escalation?: string
  /** An error end event: throws this `bpmn:Error` (a step's typed error), for an enclosing catch to handle. */
  readonly error?: string
}

export interface TaskNode extends NodeCommon {
  readonly kind: "task"
  /** A step that runs an effect (BPMN service task) rather than a pure transition (plain task). */
  readonly service: boolean
  /** Typed errors it may raise: tells which error boundary fired when it failed. */
  readonly errors: ReadonlyArray<string>
  /** A step's durable retry policy, as the definition states it: a loop marker, the policy as its condition. */
  readonly retry?: string
}

export interface MessageCatchEventNode extends NodeCommon {
  readonly kind: "messageCatchEvent"
  /** Signal name: one `bpmn:Message` per distinct signal. */
  readonly message: string
  readonly errors: ReadonlyArray<string>
}

/** A timer expression: an ISO 8601 duration or date, else the definition's label of how it is computed. */
export interface TimerDefinition {
  readonly type: "duration" | "date"
  readonly expression: string
}

/** A durable timer (`Workflow.sleep`, a race's deadline): written as `timeDuration` or `timeDate`. */
export interface TimerCatchEventNode extends NodeCommon {
  readonly kind: "timerCatchEvent"
  readonly timer: TimerDefinition
}

export interface ExclusiveGatewayNode extends NodeCommon {
  readonly kind: "exclusiveGateway"
  /** `split` decides between outgoing flows; `join` merges incoming ones. */
  readonly direction: "split" | "join"
  /** The outcome of a step that may raise typed errors (model id): on, or to an error end event per error. */
  readonly outcomeOf?: string
  /**
   * A split decided by whichever of the catch events right after it happens first (a race): BPMN's event-based
   * gateway, drawn with the same geometry as an exclusive one.
   */
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
}

/** Catches the escalation an `end` inside its subprocess throws (interrupting) and leads on to ending the instance. */
export interface EscalationBoundaryEventNode extends NodeCommon {
  readonly kind: "escalationBoundaryEvent"
  readonly attachedTo: string
  /** The escalation caught: the id of the `end` node that throws it. */
  readonly escalation: string
}

/**
 * Cuts an interruptible section short (interrupting, `cancelActivity`): a signal (message boundary event) or the
 * section's timeout (timer boundary event). What it leads to runs instead of the rest of the section.
 */
export interface InterruptBoundaryEventNode extends NodeCommon {
  readonly kind: "interruptBoundaryEvent"
  readonly attachedTo: string
  readonly trigger:
    | { readonly type: "message"; readonly message: string }
    | { readonly type: "timer"; readonly timer: TimerDefinition }
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
  /** Step model id, on the default flow out of its outcome gateway: taken when the step completed. */
  readonly ok?: string
  /** Error name, on the flow from an outcome gateway to the error end event that throws it. */
  readonly raises?: string
}

/** A process or the inside of a subprocess: its nodes in flow order (every forward flow goes to a later node). */
export interface Container {
  readonly id: string
  readonly nodes: ReadonlyArray<FlowNode>
  readonly flows: ReadonlyArray<Flow>
  /** How the nodes nest (what the layout reads): the container's content as one sequence. */
  readonly block: Block
}

/**
 * The structure a container's nodes came from, as the layout needs it: which nodes follow each other on one line,
 * which gateways open and close a branch or a loop, what hangs below a subprocess. Leaves are flow node ids.
 * (`ArmFlow` is how an arm's first flow is known: its id, or while the graph is built, the flow still pending.)
 */
export type Block<ArmFlow = string> =
  | { readonly kind: "node"; readonly id: string }
  | { readonly kind: "sequence"; readonly items: ReadonlyArray<Block<ArmFlow>> }
  | {
      readonly kind: "branch"
      readonly split: string
      /** In declared order, `otherwise` (or the pass-through) last; `flow` is the arm's first flow (its id). */
      readonly arms: ReadonlyArray<{ readonly flow: ArmFlow; readonly body: Block<ArmFlow> }>
      readonly join?: string
    }
  | {
      readonly kind: "loop"
      readonly join: string
      readonly body: Block<ArmFlow>
      readonly split: string
      /** On the way back, drawn right to left below the body. */
      readonly restart: Block<ArmFlow>
    }
  | {
      readonly kind: "scope"
      /** The subprocess. */
      readonly id: string
      /** Boundary events on its bottom border, each with what follows it until the scope's join (if any). */
      readonly boundaries: ReadonlyArray<string>
      /** Merges several boundaries before the handler. */
      readonly merge?: string
      readonly handler?: Block<ArmFlow>
      readonly join?: string
      /** Escalation boundaries, each followed by the end of the instance (or of the enclosing scope). */
      readonly escalations: ReadonlyArray<{ readonly boundary: string; readonly after: Block<ArmFlow> }>
      /** When every path inside ends the instance: the end its normal way out leads to, right after it. */
      readonly after?: Block<ArmFlow>
      /**
       * Interrupt boundaries (right of the error boundaries on the border), each with its own path below the
       * subprocess, in order, each rejoining at the scope's join (or leaving as an exit when there is none).
       */
      readonly ways?: ReadonlyArray<{ readonly boundary: string; readonly body: Block<ArmFlow> }>
    }

export interface FlowGraph {
  /** The workflow's name as an id fragment: the document-level ids (process, definitions) derive from it. */
  readonly rootId: string
  /** Workflow name: the BPMN process name. */
  readonly name: string
  readonly description?: string
  /** The process. */
  readonly root: Container
  /** Distinct signal names, in order of first use. */
  readonly messages: ReadonlyArray<string>
  /** Distinct error names raised by steps or caught by catch nodes, in order of first use. */
  readonly errors: ReadonlyArray<string>
  /** The `end` nodes inside subprocesses (id and name): one `bpmn:Escalation` each. */
  readonly escalations: ReadonlyArray<{ readonly id: string; readonly name: string }>
  /** For each loop id, the model ids inside its body and restart: a repeat shows as a count above 1 there. */
  readonly loops: ReadonlyMap<string, ReadonlyArray<string>>
}

export type BoundaryEventNode = ErrorBoundaryEventNode | EscalationBoundaryEventNode | InterruptBoundaryEventNode

/** An event on a subprocess' border (drawn on top of it, a dotted link in Mermaid). */
export const isBoundaryEvent = (node: FlowNode): node is BoundaryEventNode =>
  node.kind === "errorBoundaryEvent" ||
  node.kind === "escalationBoundaryEvent" ||
  node.kind === "interruptBoundaryEvent"

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
