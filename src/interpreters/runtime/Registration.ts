import type { Context } from "effect"
import type { CompiledAwaitSignal } from "../../dsl/CompiledNode.js"
import { type Compiled, compile } from "../../dsl/compile.js"
import type { Definition } from "../../dsl/Definition.js"
import { toNode } from "../../dsl/Workflow.js"

/** A definition registered with a worker, with the services its steps and signal handlers run with. */
export interface Registration {
  /** Distinguishes two definitions of the same name in one worker (loaded instances are cached per definition). */
  readonly index: number
  readonly definition: Definition.Any
  readonly workflow: Compiled
  services: Context.Context<any>
  /** The signal nodes of the definition by signal name: the definition's own Signal schemas validate requests. */
  readonly signals: ReadonlyMap<string, ReadonlyArray<CompiledAwaitSignal>>
}

export const makeRegistration = (
  index: number,
  definition: Definition.Any,
  services: Context.Context<any>
): Registration => {
  const workflow = compile(toNode(definition.workflow))
  const signals = new Map<string, Array<CompiledAwaitSignal>>()
  for (const node of workflow.nodes.values()) {
    if ("_tag" in node && node._tag === "AwaitSignal") {
      const list = signals.get(node.signal.name) ?? []
      list.push(node)
      signals.set(node.signal.name, list)
    }
  }
  return { index, definition, workflow, services, signals }
}
