import { createHash } from "node:crypto"
import { compile } from "../dsl/compile.js"
import { type Definition, isDefinition } from "../dsl/Definition.js"
import { absurd, type CompiledArm, type CompiledNode, type CompiledRaceArm } from "../dsl/CompiledNode.js"
import { toNode, type Workflow } from "../dsl/Workflow.js"
import type {
  BranchArmModel,
  ModelNode,
  SequenceModel,
  SignalModel,
  TimerModel,
  WorkflowModel
} from "./WorkflowModel.js"

const describe = (node: { readonly description: string | undefined }) =>
  node.description === undefined ? {} : { description: node.description }

/** The model of one compiled node, or undefined when it is invisible (an anonymous pure transition). */
const visible = (node: CompiledNode): ModelNode | undefined => {
  switch (node._tag) {
    case "Step":
      return {
        kind: "step",
        id: node.id,
        name: node.name,
        errors: node.errors,
        ...(node.retry === undefined ? {} : { retry: node.retry.label }),
        ...describe(node)
      }
    case "AwaitSignal":
      return {
        kind: "signal",
        id: node.id,
        name: node.name,
        signal: node.signal.name,
        errors: node.errors,
        ...describe(node)
      }
    case "Pure":
      return node.name === undefined
        ? undefined
        : {
            kind: node.raises ? "raise" : "transition",
            id: node.id,
            name: node.name,
            errors: node.errors,
            ...describe(node)
          }
    case "Sequence": {
      const children: Array<ModelNode> = []
      for (const n of node.steps) {
        const m = visible(n)
        if (m !== undefined) children.push(m)
      }
      return children.length === 1 ? children[0] : ({ kind: "sequence", id: node.id, children } as SequenceModel)
    }
    case "Catch":
      return {
        kind: "catch",
        id: node.id,
        ...(node.name === undefined ? {} : { name: node.name }),
        errors: node.tags ?? [],
        body: model(node.body),
        handler: model(node.handler),
        ...describe(node)
      }
    case "Branch":
      return {
        kind: "branch",
        id: node.id,
        ...(node.name === undefined ? {} : { name: node.name }),
        arms: node.arms.map(arm),
        ...(node.otherwise === undefined ? {} : { otherwise: arm(node.otherwise) }),
        ...describe(node)
      }
    case "Loop":
      return {
        kind: "loop",
        id: node.id,
        ...(node.name === undefined ? {} : { name: node.name }),
        body: model(node.body),
        exit: node.exit.name,
        repeat: node.repeat,
        ...(node.restart === undefined ? {} : { restart: model(node.restart) }),
        ...describe(node)
      }
    case "End":
      return { kind: "end", id: node.id, name: node.name, ...describe(node) }
    case "Sleep":
      return {
        kind: "timer",
        id: node.id,
        name: node.name,
        timer:
          node.timer._tag === "Duration"
            ? { type: "duration", expression: node.timer.iso }
            : { type: node.timer._tag === "Date" ? "date" : "duration", expression: node.timer.label },
        ...describe(node)
      }
    case "Race":
      return {
        kind: "race",
        id: node.id,
        ...(node.name === undefined ? {} : { name: node.name }),
        arms: node.arms.map((a) => triggered<SignalModel>(a)),
        ...(node.deadline === undefined ? {} : { deadline: triggered<TimerModel>(node.deadline) }),
        ...describe(node)
      }
    case "Interruptible":
      return {
        kind: "interruptible",
        id: node.id,
        name: node.name,
        body: model(node.body),
        interruptions: node.interruptions.map((a) => triggered<SignalModel>(a)),
        ...(node.timeout === undefined ? {} : { timeout: triggered<TimerModel>(node.timeout) }),
        ...describe(node)
      }
    case "Named":
      return { kind: "subworkflow", id: node.id, name: node.name, body: model(node.body), ...describe(node) }
    default:
      return absurd(node)
  }
}

/** Always a node: an invisible one becomes an empty sequence (a path that passes straight through). */
const model = (node: CompiledNode): ModelNode => visible(node) ?? { kind: "sequence", id: node.id, children: [] }

/** A race arm or an interruption: its trigger's model, and the rest when there is one. */
const triggered = <T extends ModelNode>(a: CompiledRaceArm<CompiledNode>) => ({
  trigger: visible(a.trigger) as T,
  ...(a.then === undefined ? {} : { body: model(a.then) })
})

const arm = (a: CompiledArm): BranchArmModel => ({ id: a.id, condition: a.condition, body: model(a.body) })

/**
 * The erased, JSON-serialisable model of a workflow: what renderers, the linter and UIs read.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow, toModel } from "durable-monad"
 *
 * const hello = Workflow.pure("Greet", (name: string) => `hello ${name}`)
 * const model = toModel(hello.pipe(Workflow.define({ name: "hello", input: Schema.String })))
 * // { format: 1, name: "hello", root: { kind: "transition", id: "greet", name: "Greet", errors: [] } }
 * ```
 */
export const toModel = (
  workflow: Definition.Any | Workflow.Any,
  options?: { readonly name?: string }
): WorkflowModel => {
  const def = isDefinition(workflow) ? workflow : undefined
  const root = compile(toNode(def === undefined ? (workflow as Workflow.Any) : def.workflow)).root
  return {
    format: 1,
    name: options?.name ?? def?.name ?? "workflow",
    ...(def?.description === undefined ? {} : { description: def.description }),
    root: model(root)
  }
}

/**
 * A short hash of a definition's structure (kinds, ids, names, signals, conditions), recorded in the first event
 * of every instance so that an instance started by another version of the definition can be recognised.
 * Descriptions and the error names steps declare are documentation: changing them does not change it.
 */
export const fingerprint = (model: WorkflowModel): string =>
  createHash("sha256")
    .update(
      JSON.stringify(model.root, function (this: { readonly kind?: string }, key, value) {
        // A catch's `errors` are the tags it handles — behaviour; elsewhere `errors` only documents.
        return key === "description" || (key === "errors" && this.kind !== "catch") ? undefined : value
      })
    )
    .digest("hex")
    .slice(0, 16)
