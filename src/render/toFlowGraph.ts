import type { ModelNode, RaiseModel, WorkflowModel } from "../model/WorkflowModel.js"
import type { Block, Container, ExclusiveGatewayNode, Flow, FlowGraph, FlowNode, SubProcessNode } from "./graph.js"
import { IdAllocator, ids, slug } from "./ids.js"

/**
 * Spells a model out as a BPMN-shaped flow graph. This is the only place that knows the model's node kinds: one
 * exhaustive `switch (node.kind)` in {@link emit}, so a new kind does not compile until it is drawn.
 *
 * Building works on "pending" flows: a node receives the flows that lead into it and returns those that leave it,
 * still without a target. An empty sequence returns what it received (a path straight through); an `end` returns
 * nothing, and whatever follows it on the same path is unreachable and left out. Alongside, each node returns the
 * {@link Block} it was drawn as, which the layout reads.
 *
 * BPMN meaning is kept where the library and BPMN differ:
 * - a step that may raise typed errors is followed by an outcome gateway with an error end event per error (BPMN
 *   events cannot raise errors; error end events do, and the catch's error boundary catches them);
 * - an `end` inside a subprocess throws an escalation caught on the subprocess' border, which leads to the end of
 *   the instance (a terminate end event inside a subprocess would end only the subprocess).
 *
 * @example
 * const graph = toFlowGraph(model)
 * graph.root.nodes.map((n) => n.id) // ["StartEvent", "Activity_charge", …, "EndEvent"]
 */
export const toFlowGraph = (model: WorkflowModel): FlowGraph => {
  const builder = new GraphBuilder()
  const title = humanize(model.name)
  const root = builder.container(builder.reserve(ids.process(slug(model.name))), undefined, (c) => {
    const start = c.add({ kind: "startEvent", id: ids.processStart, name: `${title} started` }, [])
    const body = builder.emit(model.root, [builder.pend({ source: start })], c)
    const items: Array<RawBlock> = [{ kind: "node", id: start }, body.block]
    if (body.outs.length > 0)
      items.push({
        kind: "node",
        id: c.add({ kind: "endEvent", id: ids.processEnd, name: `${title} completed`, terminate: false }, body.outs)
      })
    return { kind: "sequence", items }
  })
  return {
    rootId: slug(model.name),
    name: model.name,
    ...(model.description !== undefined ? { description: model.description } : {}),
    root,
    messages: [...builder.messages],
    errors: [...builder.errors],
    escalations: [...builder.escalations.values()],
    loops: builder.loops
  }
}

/** "expenseReport", "expense-report" → "Expense report": how a name reads on an event label. */
export const humanize = (name: string): string => {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[-_]+/g, " ")
    .trim()
    .split(/\s+/)
    .map((w, i) => (i > 0 && /^[A-Z][a-z]/.test(w) ? w.toLowerCase() : w))
    .join(" ")
  return words.length > 0 ? words.charAt(0).toUpperCase() + words.slice(1) : "Workflow"
}

/** A flow that knows where it comes from but not yet where it goes. */
interface Pending extends Omit<Flow, "id" | "target"> {
  /** Order of creation: flows are listed in this order, so arms keep their model order even when empty. */
  readonly seq: number
}

/** A {@link Block} whose arm flows are still pending (their ids are known once connected). */
type RawBlock = Block<Pending>

const EMPTY: RawBlock = { kind: "sequence", items: [] }

interface Emitted {
  readonly outs: ReadonlyArray<Pending>
  readonly block: RawBlock
}

/** An `end` met inside a subprocess, to be caught on its border. */
interface Escalation {
  readonly endId: string
  readonly name: string
  readonly description?: string
}

class ContainerBuilder {
  readonly nodes: Array<FlowNode> = []
  private readonly flows: Array<{ readonly seq: number; readonly flow: Flow }> = []
  /** Ends met inside this (subprocess) container, in order. */
  readonly escalations: Array<Escalation> = []
  /**
   * Every path inside ends the instance: the subprocess' ends are plain end events and the subprocess leads straight
   * to the instance's end (an escalation would leave the subprocess without a normal way out, an implicit end).
   */
  endsOnly = false

  constructor(
    readonly id: string,
    /** The subprocess' model id; undefined for the process. */
    readonly scope: string | undefined,
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
    // A task or event with several incoming flows would be a "fake join" (bpmnlint): merge them first. Structured
    // workflows always merge themselves (branches, catches and loops have their join), so this is a safety net.
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

  /** Flow ids by the `seq` of the pending flow they were made from. */
  private readonly bySeq = new Map<number, string>()

  connect(incoming: ReadonlyArray<Pending>, target: string): void {
    for (const p of incoming) {
      const { seq, source, ...rest } = p
      const id = this.alloc.take(p.arm !== undefined ? ids.armFlow(p.arm) : ids.flow(source, target))
      this.bySeq.set(seq, id)
      this.flows.push({ seq, flow: { id, source, target, ...rest } })
    }
  }

  /** The container, with a lone terminate end event made plain: ending there ends everything anyway (bpmnlint). */
  finish(block: RawBlock): Container {
    const ends = this.nodes.filter((n) => n.kind === "endEvent")
    const superfluous = ends.length === 1 && ends[0]?.kind === "endEvent" && ends[0].terminate
    const nodes = superfluous
      ? this.nodes.map((n) => (n.kind === "endEvent" ? { ...n, terminate: false } : n))
      : this.nodes
    const flows = [...this.flows].sort((a, b) => a.seq - b.seq).map((f) => f.flow)
    return { id: this.id, nodes, flows, block: this.resolve(block) }
  }

  private resolve(block: RawBlock): Block {
    switch (block.kind) {
      case "node":
        return block
      case "sequence":
        return { kind: "sequence", items: block.items.map((b) => this.resolve(b)) }
      case "branch":
        return {
          kind: "branch",
          split: block.split,
          arms: block.arms.map((a) => {
            const flow = this.bySeq.get(a.flow.seq)
            if (flow === undefined) throw new Error(`toFlowGraph: arm flow from ${block.split} never connected`)
            return { flow, body: this.resolve(a.body) }
          }),
          ...(block.join !== undefined ? { join: block.join } : {})
        }
      case "loop":
        return { ...block, body: this.resolve(block.body), restart: this.resolve(block.restart) }
      case "scope": {
        const { handler, escalations, after, ways, ...rest } = block
        return {
          ...rest,
          ...(handler !== undefined ? { handler: this.resolve(handler) } : {}),
          ...(after !== undefined ? { after: this.resolve(after) } : {}),
          ...(ways !== undefined
            ? { ways: ways.map((w) => ({ boundary: w.boundary, body: this.resolve(w.body) })) }
            : {}),
          escalations: escalations.map((e) => ({ boundary: e.boundary, after: this.resolve(e.after) }))
        }
      }
    }
  }
}

class GraphBuilder {
  readonly messages = new Set<string>()
  readonly errors = new Set<string>()
  readonly escalations = new Map<string, { readonly id: string; readonly name: string }>()
  readonly loops = new Map<string, Array<string>>()
  private readonly alloc = new IdAllocator()
  readonly reserve = (id: string): string => this.alloc.take(id)
  private seq = 0
  readonly pend = (p: Omit<Pending, "seq">): Pending => ({ seq: this.seq++, ...p })
  /** Loops being emitted: every progress key added meanwhile belongs to each of them. */
  private readonly openLoops: Array<Array<string>> = []

  /** Builds a container; `id` must be reserved already. */
  container(id: string, scope: string | undefined, fill: (c: ContainerBuilder) => RawBlock): Container {
    return this.open(id, scope, fill).finish()
  }

  private open(
    id: string,
    scope: string | undefined,
    fill: (c: ContainerBuilder) => RawBlock
  ): { readonly builder: ContainerBuilder; readonly finish: () => Container } {
    const c = new ContainerBuilder(id, scope, this.alloc, this.pend, (node) => {
      if (node.progressKey !== undefined) for (const keys of this.openLoops) keys.push(node.progressKey)
    })
    const block = fill(c)
    return { builder: c, finish: () => c.finish(block) }
  }

  emit(node: ModelNode, incoming: ReadonlyArray<Pending>, c: ContainerBuilder): Emitted {
    // Nothing leads here (an `end` came first on this path): what would be drawn is unreachable.
    if (incoming.length === 0) return { outs: [], block: EMPTY }
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
        return this.raising(node.id, node.name, node.errors, c.add(task, incoming), c)
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
        return this.raising(node.id, node.name, node.errors, c.add(event, incoming), c)
      }
      case "timer": {
        const event: FlowNode = {
          kind: "timerCatchEvent",
          id: ids.event(node.id),
          name: label(node.name, node.id),
          timer: node.timer,
          ...common(node.id)
        }
        const id = c.add(event, incoming)
        return { outs: [this.pend({ source: id })], block: { kind: "node", id } }
      }
      case "race": {
        const all = [...node.arms, ...(node.deadline === undefined ? [] : [node.deadline])]
        // A race of one is a wait for it: a lone event-based gateway would be invalid (bpmnlint: at least two ways).
        const [only] = all
        if (all.length <= 1) {
          if (only === undefined) return { outs: incoming, block: EMPTY }
          const trigger = this.emit(only.trigger, incoming, c)
          if (only.body === undefined) return trigger
          const body = this.emit(only.body, trigger.outs, c)
          return { outs: body.outs, block: { kind: "sequence", items: [trigger.block, body.block] } }
        }
        // The event that happens first decides: no conditions on the flows, each arm starts with its catch event.
        const split = c.add(
          {
            kind: "exclusiveGateway",
            id: ids.split(node.id),
            name: label(node.name ?? "", "Whichever first"),
            direction: "split",
            eventBased: true,
            ...composite(node.id)
          },
          incoming
        )
        const outs: Array<Pending> = []
        const arms: Array<{ flow: Pending; body: RawBlock }> = []
        for (const arm of all) {
          const first = this.pend({ source: split })
          const trigger = this.emit(arm.trigger, [first], c)
          const body =
            arm.body === undefined ? { outs: trigger.outs, block: EMPTY } : this.emit(arm.body, trigger.outs, c)
          arms.push({ flow: first, body: { kind: "sequence", items: [trigger.block, body.block] } })
          outs.push(...body.outs)
        }
        if (outs.length <= 1) return { outs, block: { kind: "branch", split, arms } }
        const join = c.join(ids.join(node.id), undefined, outs)
        return { outs: [this.pend({ source: join })], block: { kind: "branch", split, arms, join } }
      }
      case "interruptible": {
        const scope = this.subProcess(node.id, label(node.name, node.id), node.body, c, incoming, composite(node.id))
        const triggered = [
          ...node.interruptions.map((a) => ({
            model: a.trigger,
            body: a.body,
            trigger: { type: "message" as const, message: a.trigger.signal }
          })),
          ...(node.timeout === undefined
            ? []
            : [
                {
                  model: node.timeout.trigger,
                  body: node.timeout.body,
                  trigger: { type: "timer" as const, timer: node.timeout.trigger.timer }
                }
              ])
        ]
        // The boundaries first, as a catch places its own: they sit on the border, their paths hang below.
        const boundaries = triggered.map((t) => {
          if (t.trigger.type === "message") this.messages.add(t.trigger.message)
          return c.add(
            {
              kind: "interruptBoundaryEvent",
              id: ids.event(t.model.id),
              name: label(t.model.name, t.model.id),
              attachedTo: scope.id,
              trigger: t.trigger,
              ...common(t.model.id)
            },
            []
          )
        })
        const outs: Array<Pending> = [...scope.outs]
        const ways = triggered.map((t, i) => {
          const boundary = boundaries[i] as string
          const from = [this.pend({ source: boundary })]
          const way = t.body === undefined ? { outs: from, block: EMPTY } : this.emit(t.body, from, c)
          outs.push(...way.outs)
          return { boundary, body: way.block }
        })
        return this.closeScope(node.id, scope, { boundaries: [], ways, escalations: scope.escalate() }, outs, c)
      }
      case "sequence": {
        let pending = incoming
        const items: Array<RawBlock> = []
        for (const child of node.children) {
          const emitted = this.emit(child, pending, c)
          items.push(emitted.block)
          pending = emitted.outs
        }
        return { outs: pending, block: { kind: "sequence", items } }
      }
      case "branch": {
        // With no arms there is nothing to decide: a lone gateway would be superfluous (bpmnlint).
        if (node.arms.length === 0)
          return node.otherwise ? this.emit(node.otherwise.body, incoming, c) : { outs: incoming, block: EMPTY }
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
        const arms: Array<{ flow: Pending; body: RawBlock }> = []
        for (const arm of node.arms) {
          const first = this.pend({ source: split, name: arm.condition, condition: arm.condition, arm: arm.id })
          const emitted = this.emit(arm.body, [first], c)
          arms.push({ flow: first, body: emitted.block })
          outs.push(...emitted.outs)
        }
        if (node.otherwise) {
          const first = this.pend({
            source: split,
            name: node.otherwise.condition,
            isDefault: true,
            arm: node.otherwise.id
          })
          const emitted = this.emit(node.otherwise.body, [first], c)
          arms.push({ flow: first, body: emitted.block })
          outs.push(...emitted.outs)
        } else {
          const first = this.pend({ source: split, name: "otherwise", isDefault: true, passThrough: node.id })
          arms.push({ flow: first, body: EMPTY })
          outs.push(first)
        }
        if (outs.length <= 1) return { outs, block: { kind: "branch", split, arms } }
        const join = c.join(ids.join(node.id), undefined, outs)
        return { outs: [this.pend({ source: join })], block: { kind: "branch", split, arms, join } }
      }
      case "loop": {
        const keys: Array<string> = []
        this.loops.set(node.id, keys)
        this.openLoops.push(keys)
        // A loop whose restart always ends the instance never goes round: no merge (it would be superfluous).
        const goesRound = reachesAfter(node.body) && (node.restart === undefined || reachesAfter(node.restart))
        const join = goesRound ? c.join(ids.join(node.id), node.id, incoming) : undefined
        const body = this.emit(node.body, join !== undefined ? [this.pend({ source: join })] : incoming, c)
        if (body.outs.length === 0) {
          this.openLoops.pop()
          const items: Array<RawBlock> = join !== undefined ? [{ kind: "node", id: join }, body.block] : [body.block]
          return { outs: [], block: { kind: "sequence", items } }
        }
        const split = c.add(
          {
            kind: "exclusiveGateway",
            id: ids.split(node.id),
            name: label(node.name ?? "", `${node.exit}?`),
            direction: "split",
            ...composite(node.id)
          },
          body.outs
        )
        const repeat = this.pend({ source: split, name: node.repeat, isDefault: true, loopRepeat: node.id })
        const restart = node.restart ? this.emit(node.restart, [repeat], c) : { outs: [repeat], block: EMPTY }
        if (join !== undefined)
          c.connect(
            restart.outs.map((p) => ({ ...p, loopBack: node.id })),
            join
          )
        this.openLoops.pop()
        const exit = this.pend({ source: split, name: node.exit, condition: node.exit, loopExit: node.id })
        return {
          outs: [exit],
          block:
            join !== undefined
              ? { kind: "loop", join, body: body.block, split, restart: restart.block }
              : {
                  kind: "sequence",
                  items: [
                    body.block,
                    {
                      kind: "branch",
                      split,
                      arms: [
                        { flow: exit, body: EMPTY },
                        { flow: repeat, body: restart.block }
                      ]
                    }
                  ]
                }
        }
      }
      case "catch": {
        for (const error of node.errors) this.errors.add(error)
        // A catch around a named sub-workflow is one box: the sub-workflow's, with the catch's boundaries.
        const inner = node.body.kind === "subworkflow" ? node.body : undefined
        const scope = this.subProcess(
          inner?.id ?? node.id,
          inner ? label(inner.name, inner.id) : "",
          inner?.body ?? node.body,
          c,
          incoming,
          inner ? { ...composite(inner.id), ...describeOf(inner) } : composite(node.id)
        )
        const named = (error: string | undefined) =>
          node.name === undefined || node.name.trim().length === 0
            ? (error ?? "any error")
            : node.errors.length > 1 && error !== undefined
              ? `${node.name}: ${error}`
              : node.name
        const boundaries = (node.errors.length > 0 ? node.errors : [undefined]).map((error, i) =>
          c.add(
            {
              kind: "errorBoundaryEvent",
              id: node.errors.length > 1 ? `${ids.boundary(node.id)}_${i + 1}` : ids.boundary(node.id),
              name: named(error),
              attachedTo: scope.id,
              ...(error !== undefined ? { error } : {})
            },
            []
          )
        )
        const fromBoundaries = boundaries.map((source) => this.pend({ source }))
        const merge = boundaries.length > 1 ? c.join(ids.handlerJoin(node.id), undefined, fromBoundaries) : undefined
        const handlerIn = merge !== undefined ? [this.pend({ source: merge })] : fromBoundaries
        const handler = this.emit(node.handler, handlerIn, c)
        const parts = {
          boundaries,
          ...(merge !== undefined ? { merge } : {}),
          handler: handler.block,
          escalations: scope.escalate()
        }
        return this.closeScope(node.id, scope, parts, [...scope.outs, ...handler.outs], c)
      }
      case "end":
        return { outs: [], block: this.end(node.id, node.name, node.description, incoming, c) }
      case "raise":
        return { outs: [], block: this.raise(node, incoming, c) }
      case "subworkflow": {
        const scope = this.subProcess(node.id, label(node.name, node.id), node.body, c, incoming, composite(node.id))
        const escalations = scope.escalate()
        return {
          outs: scope.outs,
          block:
            escalations.length === 0 && scope.after === undefined
              ? { kind: "node", id: scope.id }
              : {
                  kind: "scope",
                  id: scope.id,
                  boundaries: [],
                  escalations,
                  ...(scope.after ? { after: scope.after } : {})
                }
        }
      }
      default:
        // A model kind added without a drawing fails the build here.
        return node satisfies never
    }
  }

  /** A subprocess with what hangs off its border: the paths that leave it merged after it when there are several. */
  private closeScope(
    modelId: string,
    scope: { readonly id: string; readonly after?: RawBlock },
    parts: Omit<Extract<RawBlock, { kind: "scope" }>, "kind" | "id" | "join" | "after">,
    outs: ReadonlyArray<Pending>,
    c: ContainerBuilder
  ): Emitted {
    const block = (join?: string): RawBlock => ({
      kind: "scope",
      id: scope.id,
      ...parts,
      ...(join !== undefined ? { join } : {}),
      ...(scope.after ? { after: scope.after } : {})
    })
    if (outs.length <= 1) return { outs, block: block() }
    const join = c.join(ids.join(modelId), undefined, outs)
    return { outs: [this.pend({ source: join })], block: block(join) }
  }

  /**
   * After a node that may raise typed errors: an outcome gateway, the default flow on, and an error end event per
   * error (what throws the error in BPMN; an enclosing error boundary catches it).
   */
  private raising(
    modelId: string,
    name: string,
    errors: ReadonlyArray<string>,
    id: string,
    c: ContainerBuilder
  ): Emitted {
    if (errors.length === 0) return { outs: [this.pend({ source: id })], block: { kind: "node", id } }
    // One error: a yes/no question. Several: which error (each flow named after its error).
    const single = errors.length === 1
    const outcome = c.add(
      {
        kind: "exclusiveGateway",
        id: ids.outcome(modelId),
        name: single ? `${errors[0]}?` : `${label(name, modelId)} failed?`,
        direction: "split",
        progressKey: modelId,
        outcomeOf: modelId
      },
      [this.pend({ source: id })]
    )
    const arms: Array<{ flow: Pending; body: RawBlock }> = []
    const ok = this.pend({ source: outcome, isDefault: true, ok: modelId, ...(single ? { name: "no" } : {}) })
    arms.push({ flow: ok, body: EMPTY })
    for (const error of errors) {
      this.errors.add(error)
      const first = this.pend({ source: outcome, name: single ? "yes" : error, condition: error, raises: error })
      const end = c.add(
        {
          kind: "endEvent",
          id: ids.raise(modelId, error),
          name: error,
          terminate: false,
          error,
          progressKey: modelId
        },
        [first]
      )
      arms.push({ flow: first, body: { kind: "node", id: end } })
    }
    return {
      outs: [ok],
      block: {
        kind: "sequence",
        items: [
          { kind: "node", id },
          { kind: "branch", split: outcome, arms }
        ]
      }
    }
  }

  /**
   * A path that ends with a typed error: its error end event (one per error it may raise, after a gateway naming
   * them when there are several). Nothing follows; an enclosing catch's error boundary takes it from there.
   */
  private raise(node: RaiseModel, incoming: ReadonlyArray<Pending>, c: ContainerBuilder): RawBlock {
    const end = (error: string, name: string, flows: ReadonlyArray<Pending>) => {
      this.errors.add(error)
      return c.add(
        {
          kind: "endEvent",
          id: ids.raise(node.id, error),
          name,
          terminate: false,
          error,
          progressKey: node.id,
          ...(node.description !== undefined ? { description: node.description } : {})
        },
        flows
      )
    }
    // Declared by the types; an untyped caller that named none still gets an error end event, named after the node.
    const errors = node.errors.length > 0 ? node.errors : [label(node.name, node.id)]
    const [only, ...more] = errors
    if (only !== undefined && more.length === 0)
      return { kind: "node", id: end(only, label(node.name, node.id), incoming) }
    const which = c.add(
      {
        kind: "exclusiveGateway",
        id: ids.outcome(node.id),
        name: `${label(node.name, node.id)}: which error?`,
        direction: "split",
        progressKey: node.id,
        outcomeOf: node.id
      },
      incoming
    )
    const arms = errors.map((error) => {
      const flow = this.pend({ source: which, name: error, condition: error, raises: error })
      return { flow, body: { kind: "node", id: end(error, error, [flow]) } as RawBlock }
    })
    return { kind: "branch", split: which, arms }
  }

  /** The end of the instance: a terminate end event at the top level, an escalation inside a subprocess. */
  private end(
    modelId: string,
    name: string,
    description: string | undefined,
    incoming: ReadonlyArray<Pending>,
    c: ContainerBuilder
  ): RawBlock {
    const inScope = c.scope !== undefined && !c.endsOnly
    if (c.scope !== undefined && c.endsOnly)
      c.escalations.push({ endId: modelId, name: label(name, modelId), ...(description ? { description } : {}) })
    if (inScope) {
      this.escalations.set(modelId, { id: modelId, name: label(name, modelId) })
      c.escalations.push({ endId: modelId, name: label(name, modelId), ...(description ? { description } : {}) })
    }
    const id = c.add(
      {
        kind: "endEvent",
        id: inScope ? ids.escalate(modelId) : ids.event(modelId),
        name: label(name, modelId),
        terminate: c.scope === undefined,
        ...(inScope ? { escalation: modelId } : {}),
        progressKey: modelId,
        ...(description !== undefined ? { description } : {})
      },
      incoming
    )
    return { kind: "node", id }
  }

  /**
   * An expanded subprocess around `body`, with its own start and end events (bpmnlint wants both, named). Returns
   * its id, its normal way out (none when every path inside ends the instance) and a function that attaches the
   * boundaries for the ends met inside, to be called once the scope's other boundaries are placed.
   */
  private subProcess(
    modelId: string,
    name: string,
    body: ModelNode,
    c: ContainerBuilder,
    incoming: ReadonlyArray<Pending>,
    common: { readonly progressKey: string; readonly composite: boolean; readonly description?: string }
  ): {
    readonly id: string
    readonly outs: ReadonlyArray<Pending>
    readonly escalate: () => ReadonlyArray<{ boundary: string; after: RawBlock }>
    /** When every path inside ends the instance: the end right after it. */
    readonly after?: RawBlock
  } {
    // Reserved before the content so that ids are handed out in flow order.
    const id = this.reserve(ids.activity(modelId))
    const [started, done] = name.length > 0 ? [`${name} started`, `${name} completed`] : ["Try", "No error"]
    let completes = false
    const opened = this.open(id, modelId, (inside) => {
      inside.endsOnly = !reachesAfter(body)
      const start = inside.add({ kind: "startEvent", id: ids.subStart(modelId), name: started }, [])
      const emitted = this.emit(body, [this.pend({ source: start })], inside)
      const items: Array<RawBlock> = [{ kind: "node", id: start }, emitted.block]
      if (emitted.outs.length > 0) {
        completes = true
        items.push({
          kind: "node",
          id: inside.add({ kind: "endEvent", id: ids.subEnd(modelId), name: done, terminate: false }, emitted.outs)
        })
      }
      return { kind: "sequence", items }
    })
    const node: SubProcessNode = { kind: "subProcess", id, name, container: opened.finish(), ...common }
    c.place(node, incoming)
    const inner = opened.builder
    if (inner.endsOnly) {
      // Completing it means one of its ends was reached: the instance ends right after it.
      const [first, ...more] = inner.escalations
      const after =
        first === undefined
          ? undefined
          : more.length === 0
            ? this.end(first.endId, first.name, first.description, [this.pend({ source: id })], c)
            : this.end(
                `${modelId}-ended`,
                inner.escalations.map((e) => e.name).join(" / "),
                undefined,
                [this.pend({ source: id })],
                c
              )
      return { id, outs: [], escalate: () => [], ...(after ? { after } : {}) }
    }
    const escalate = () =>
      inner.escalations.map((e) => {
        const boundary = c.add(
          {
            kind: "escalationBoundaryEvent",
            id: ids.escalated(e.endId),
            name: e.name,
            attachedTo: id,
            escalation: e.endId,
            progressKey: e.endId
          },
          []
        )
        return { boundary, after: this.end(e.endId, e.name, e.description, [this.pend({ source: boundary })], c) }
      })
    return { id, outs: completes ? [this.pend({ source: id })] : [], escalate }
  }
}

/** Whether some path through a node reaches what follows it (rather than ending the instance). */
const reachesAfter = (node: ModelNode): boolean => {
  switch (node.kind) {
    case "step":
    case "signal":
    case "transition":
    case "timer":
      return true
    case "race":
      return [...node.arms, ...(node.deadline === undefined ? [] : [node.deadline])].some(
        (a) => a.body === undefined || reachesAfter(a.body)
      )
    case "interruptible":
      return (
        reachesAfter(node.body) ||
        [...node.interruptions, ...(node.timeout === undefined ? [] : [node.timeout])].some(
          (a) => a.body === undefined || reachesAfter(a.body)
        )
      )
    case "end":
    case "raise":
      return false
    case "sequence":
      return node.children.every(reachesAfter)
    case "branch":
      return node.otherwise === undefined || [...node.arms, node.otherwise].some((a) => reachesAfter(a.body))
    case "loop":
      return reachesAfter(node.body)
    case "catch":
      return reachesAfter(node.body) || reachesAfter(node.handler)
    case "subworkflow":
      return reachesAfter(node.body)
  }
}

const describeOf = (node: { readonly description?: string }) =>
  node.description !== undefined ? { description: node.description } : {}

/** bpmnlint requires a name on every event, task and forking gateway: fall back to something meaningful. */
const label = (name: string, fallback: string): string => (name.trim().length > 0 ? name : fallback)
