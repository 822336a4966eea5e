import type { ModelNode, WorkflowModel } from "../model/WorkflowModel.js"
import type { Container, ExclusiveGatewayNode, Flow, FlowGraph, FlowNode, SubProcessNode } from "./graph.js"
import { IdAllocator, ids } from "./ids.js"

/**
 * Spells a model out as a BPMN-shaped flow graph. This is the only place that knows the model's node kinds: one
 * exhaustive `switch (node.kind)` in {@link emit}, so a new kind does not compile until it is drawn.
 *
 * Building works on "pending" flows: a node receives the flows that lead into it and returns those that leave it,
 * still without a target. An empty sequence returns what it received (a path straight through); an `end` returns
 * nothing, and whatever follows it on the same path is unreachable and left out.
 *
 * @example
 * const graph = toFlowGraph(model)
 * graph.root.nodes.map((n) => n.id) // ["StartEvent", "Activity_charge", …, "EndEvent"]
 */
export const toFlowGraph = (model: WorkflowModel): FlowGraph => {
  const builder = new GraphBuilder()
  const root = builder.container(builder.reserve(ids.process(model.root.id)), (c) => {
    const start = c.add({ kind: "startEvent", id: ids.processStart, name: "Start" }, [])
    const outs = builder.emit(model.root, [builder.pend({ source: start })], c)
    if (outs.length > 0) c.add({ kind: "endEvent", id: ids.processEnd, name: "End", terminate: false }, outs)
  })
  return {
    rootId: model.root.id,
    name: model.name,
    ...(model.description !== undefined ? { description: model.description } : {}),
    root,
    messages: [...builder.messages],
    errors: [...builder.errors],
    loops: builder.loops
  }
}

/** A flow that knows where it comes from but not yet where it goes. */
interface Pending extends Omit<Flow, "id" | "target"> {
  /** Order of creation: flows are listed in this order, so arms keep their model order even when empty. */
  readonly seq: number
}

class ContainerBuilder {
  readonly nodes: Array<FlowNode> = []
  private readonly flows: Array<{ readonly seq: number; readonly flow: Flow }> = []

  constructor(
    readonly id: string,
    private readonly alloc: IdAllocator,
    readonly pend: (p: Omit<Pending, "seq">) => Pending,
    private readonly onNode: (node: FlowNode) => void
  ) {}

  /** Adds a node (reserving its id) and connects the pending flows to it; returns its id. */
  add(node: FlowNode, incoming: ReadonlyArray<Pending>): string {
    return this.place({ ...node, id: this.alloc.take(node.id) }, incoming)
  }

  /** Adds a node whose id is already reserved. */
  place(node: FlowNode, incoming: ReadonlyArray<Pending>): string {
    // A task or event with several incoming flows would be a "fake join" (bpmnlint): merge them first.
    const into =
      incoming.length > 1 && !(node.kind === "exclusiveGateway" && node.direction === "join")
        ? [this.pend({ source: this.join(ids.join(node.id), undefined, incoming) })]
        : incoming
    this.nodes.push(node)
    this.onNode(node)
    this.connect(into, node.id)
    return node.id
  }

  join(id: string, progressKey: string | undefined, incoming: ReadonlyArray<Pending>): string {
    const gateway: ExclusiveGatewayNode = {
      kind: "exclusiveGateway",
      id,
      name: "",
      direction: "join",
      ...(progressKey !== undefined ? { progressKey, composite: true } : {})
    }
    return this.add(gateway, incoming)
  }

  connect(incoming: ReadonlyArray<Pending>, target: string): void {
    for (const p of incoming) {
      const { seq, source, ...rest } = p
      const id = this.alloc.take(p.arm !== undefined ? ids.armFlow(p.arm) : ids.flow(source, target))
      this.flows.push({ seq, flow: { id, source, target, ...rest } })
    }
  }

  /** The container, with a lone terminate end event made plain: ending there ends everything anyway (bpmnlint). */
  finish(): Container {
    const ends = this.nodes.filter((n) => n.kind === "endEvent")
    const superfluous = ends.length === 1 && ends[0]?.kind === "endEvent" && ends[0].terminate
    const nodes = superfluous
      ? this.nodes.map((n) => (n.kind === "endEvent" ? { ...n, terminate: false } : n))
      : this.nodes
    const flows = [...this.flows].sort((a, b) => a.seq - b.seq).map((f) => f.flow)
    return { id: this.id, nodes, flows }
  }
}

class GraphBuilder {
  readonly messages = new Set<string>()
  readonly errors = new Set<string>()
  readonly loops = new Map<string, Array<string>>()
  private readonly alloc = new IdAllocator()
  readonly reserve = (id: string): string => this.alloc.take(id)
  private seq = 0
  readonly pend = (p: Omit<Pending, "seq">): Pending => ({ seq: this.seq++, ...p })
  /** Loops being emitted: every progress key added meanwhile belongs to each of them. */
  private readonly openLoops: Array<Array<string>> = []

  /** Builds a container; `id` must be reserved already. */
  container(id: string, fill: (c: ContainerBuilder) => void): Container {
    const c = new ContainerBuilder(id, this.alloc, this.pend, (node) => {
      if (node.progressKey !== undefined) for (const keys of this.openLoops) keys.push(node.progressKey)
    })
    fill(c)
    return c.finish()
  }

  emit(node: ModelNode, incoming: ReadonlyArray<Pending>, c: ContainerBuilder): ReadonlyArray<Pending> {
    // Nothing leads here (an `end` came first on this path): what would be drawn is unreachable.
    if (incoming.length === 0) return []
    const common = (modelId: string) => ({
      progressKey: modelId,
      ...(node.description !== undefined ? { description: node.description } : {})
    })
    const composite = (modelId: string) => ({ ...common(modelId), composite: true })
    switch (node.kind) {
      case "step":
      case "transition": {
        const task: FlowNode = {
          kind: "task",
          id: ids.activity(node.id),
          name: label(node.name, node.id),
          service: node.kind === "step",
          errors: node.errors,
          ...(node.kind === "step" && node.retry !== undefined ? { retry: node.retry } : {}),
          ...common(node.id)
        }
        return [this.pend({ source: c.add(task, incoming) })]
      }
      case "signal": {
        this.messages.add(node.signal)
        const event: FlowNode = {
          kind: "messageCatchEvent",
          id: ids.event(node.id),
          name: label(node.name, node.id),
          message: node.signal,
          errors: node.errors,
          ...common(node.id)
        }
        return [this.pend({ source: c.add(event, incoming) })]
      }
      case "timer": {
        const event: FlowNode = {
          kind: "timerCatchEvent",
          id: ids.event(node.id),
          name: label(node.name, node.id),
          timer: node.timer,
          ...common(node.id)
        }
        return [this.pend({ source: c.add(event, incoming) })]
      }
      case "race": {
        const split = c.add(
          {
            kind: "exclusiveGateway",
            id: ids.split(node.id),
            name: label(node.name ?? "", ""),
            direction: "split",
            eventBased: true,
            ...composite(node.id)
          },
          incoming
        )
        const outs: Array<Pending> = []
        for (const arm of [...node.arms, ...(node.deadline === undefined ? [] : [node.deadline])]) {
          const after = this.emit(arm.trigger, [this.pend({ source: split })], c)
          outs.push(...(arm.body === undefined ? after : this.emit(arm.body, after, c)))
        }
        return outs.length > 1 ? [this.pend({ source: c.join(ids.join(node.id), undefined, outs) })] : outs
      }
      case "sequence": {
        let pending = incoming
        for (const child of node.children) pending = this.emit(child, pending, c)
        return pending
      }
      case "branch": {
        // With no arms there is nothing to decide: a lone gateway would be superfluous (bpmnlint).
        if (node.arms.length === 0) return node.otherwise ? this.emit(node.otherwise.body, incoming, c) : incoming
        const split = c.add(
          {
            kind: "exclusiveGateway",
            id: ids.split(node.id),
            name: label(node.name ?? "", "?"),
            direction: "split",
            ...composite(node.id)
          },
          incoming
        )
        const outs: Array<Pending> = []
        for (const arm of node.arms) {
          const first = this.pend({ source: split, name: arm.condition, condition: arm.condition, arm: arm.id })
          outs.push(...this.emit(arm.body, [first], c))
        }
        if (node.otherwise) {
          const first = this.pend({
            source: split,
            name: node.otherwise.condition,
            isDefault: true,
            arm: node.otherwise.id
          })
          outs.push(...this.emit(node.otherwise.body, [first], c))
        } else {
          outs.push(this.pend({ source: split, name: "otherwise", isDefault: true, passThrough: node.id }))
        }
        return outs.length > 1 ? [this.pend({ source: c.join(ids.join(node.id), undefined, outs) })] : outs
      }
      case "loop": {
        const keys: Array<string> = []
        this.loops.set(node.id, keys)
        this.openLoops.push(keys)
        const join = c.join(ids.join(node.id), node.id, incoming)
        const bodyOuts = this.emit(node.body, [this.pend({ source: join })], c)
        if (bodyOuts.length === 0) {
          this.openLoops.pop()
          return []
        }
        const split = c.add(
          {
            kind: "exclusiveGateway",
            id: ids.split(node.id),
            name: label(node.name ?? "", `${node.exit}?`),
            direction: "split",
            ...composite(node.id)
          },
          bodyOuts
        )
        const repeat = this.pend({ source: split, name: node.repeat, isDefault: true, loopRepeat: node.id })
        const back = node.restart ? this.emit(node.restart, [repeat], c) : [repeat]
        c.connect(
          back.map((p) => ({ ...p, loopBack: node.id })),
          join
        )
        this.openLoops.pop()
        return [this.pend({ source: split, name: node.exit, condition: node.exit, loopExit: node.id })]
      }
      case "catch": {
        for (const error of node.errors) this.errors.add(error)
        const sub = this.subProcess(node.id, node.name ?? "", node.body, c, incoming, composite(node.id))
        const normal = this.pend({ source: sub })
        const boundaries = (node.errors.length > 0 ? node.errors : [undefined]).map((error, i) =>
          c.add(
            {
              kind: "errorBoundaryEvent",
              id: node.errors.length > 1 ? `${ids.boundary(node.id)}_${i + 1}` : ids.boundary(node.id),
              name: error ?? "any error",
              attachedTo: sub,
              ...(error !== undefined ? { error } : {})
            },
            []
          )
        )
        const fromBoundaries = boundaries.map((source) => this.pend({ source }))
        const handlerIn =
          boundaries.length > 1
            ? [this.pend({ source: c.join(ids.handlerJoin(node.id), undefined, fromBoundaries) })]
            : fromBoundaries
        const outs = [normal, ...this.emit(node.handler, handlerIn, c)]
        return outs.length > 1 ? [this.pend({ source: c.join(ids.join(node.id), undefined, outs) })] : outs
      }
      case "interruptible": {
        const sub = this.subProcess(node.id, node.name, node.body, c, incoming, composite(node.id))
        const outs: Array<Pending> = [this.pend({ source: sub })]
        const ways = [
          ...node.interruptions.map((a) => ({
            ...a,
            interrupt: { type: "message" as const, message: a.trigger.signal }
          })),
          ...(node.timeout === undefined
            ? []
            : [{ ...node.timeout, interrupt: { type: "timer" as const, timer: node.timeout.trigger.timer } }])
        ]
        for (const way of ways) {
          if (way.interrupt.type === "message") this.messages.add(way.interrupt.message)
          const boundary = c.add(
            {
              kind: "errorBoundaryEvent",
              id: ids.event(way.trigger.id),
              name: label(way.trigger.name, way.trigger.id),
              attachedTo: sub,
              interrupt: way.interrupt,
              progressKey: way.trigger.id
            },
            []
          )
          const after = [this.pend({ source: boundary })]
          outs.push(...(way.body === undefined ? after : this.emit(way.body, after, c)))
        }
        return outs.length > 1 ? [this.pend({ source: c.join(ids.join(node.id), undefined, outs) })] : outs
      }
      case "end": {
        c.add(
          {
            kind: "endEvent",
            id: ids.event(node.id),
            name: label(node.name, node.id),
            terminate: true,
            ...common(node.id)
          },
          incoming
        )
        return []
      }
      case "subworkflow": {
        const sub = this.subProcess(node.id, label(node.name, node.id), node.body, c, incoming, composite(node.id))
        return [this.pend({ source: sub })]
      }
      default:
        // A model kind added without a drawing fails the build here.
        return node satisfies never
    }
  }

  /** An expanded subprocess around `body`, with its own start and end events (bpmnlint wants both, named). */
  private subProcess(
    modelId: string,
    name: string,
    body: ModelNode,
    c: ContainerBuilder,
    incoming: ReadonlyArray<Pending>,
    common: { readonly progressKey: string; readonly composite: boolean; readonly description?: string }
  ): string {
    // Reserved before the content so that ids are handed out in flow order.
    const id = this.reserve(ids.activity(modelId))
    const inner = this.container(id, (inside) => {
      const start = inside.add({ kind: "startEvent", id: ids.subStart(modelId), name: "Start" }, [])
      const outs = this.emit(body, [this.pend({ source: start })], inside)
      if (outs.length > 0)
        inside.add({ kind: "endEvent", id: ids.subEnd(modelId), name: "End", terminate: false }, outs)
    })
    const node: SubProcessNode = { kind: "subProcess", id, name, container: inner, ...common }
    return c.place(node, incoming)
  }
}

/** bpmnlint requires a name on every event, task and forking gateway: fall back to something meaningful. */
const label = (name: string, fallback: string): string => (name.trim().length > 0 ? name : fallback)
