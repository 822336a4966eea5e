import { dual } from "effect/Function"
import { compile } from "./compile.js"
import { InvalidDefinition } from "./InvalidDefinition.js"
import type { PlainCodec } from "./Signal.js"
import { toNode, type Workflow } from "./Workflow.js"

const DefinitionTypeId = "~durable-monad/Definition" as const

/**
 * A top-level workflow the runtime can run: a name (the journal's stream category), the Schema of its input
 * (persisted in the first event, so an instance can be recovered before its first step), and the workflow.
 */
export interface Definition<in out In, out Out, out E, out R, out S> {
  readonly [DefinitionTypeId]: typeof DefinitionTypeId
  readonly name: string
  readonly description: string | undefined
  readonly input: PlainCodec<In>
  readonly workflow: Workflow<In, Out, E, R, S>
}

export declare namespace Definition {
  export type Any = Definition<any, any, any, any, any>
}

export interface DefineOptions<In> {
  /**
   * The workflow's name. Streams are named `<name>-<instanceId>`: the name may not contain "-" (EventStoreDB
   * takes everything before the first dash as the category) and must start with a letter.
   */
  readonly name: string
  readonly input: PlainCodec<In>
  readonly description?: string
}

const NAME = /^[A-Za-z][A-Za-z0-9_.]*$/
/** Stream names are `<name>-<id>`: keep the name's share short. */
const MAX_NAME_LENGTH = 100

/**
 * Name a workflow and give the Schema of its input, so the runtime can start, persist and recover instances.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow } from "durable-monad"
 *
 * const greet = Workflow.pure("Greet", (name: string) => `hello ${name}`)
 * export const greeting = greet.pipe(Workflow.define({ name: "greeting", input: Schema.String }))
 * ```
 */
export const define: {
  <I>(
    options: DefineOptions<I>
  ): <In, Out, E, R, S>(
    self: Workflow<In, Out, E, R, S> & ([I] extends [In] ? unknown : never)
  ) => Definition<I, Out, E, R, S>
  <I, In, Out, E, R, S>(
    self: Workflow<In, Out, E, R, S> & ([I] extends [In] ? unknown : never),
    options: DefineOptions<I>
  ): Definition<I, Out, E, R, S>
} = dual(2, (self: Workflow.Any, options: DefineOptions<unknown>): Definition.Any => {
  if (typeof options.name !== "string" || !NAME.test(options.name) || options.name.length > MAX_NAME_LENGTH) {
    throw new InvalidDefinition(
      `workflow name ${JSON.stringify(options.name)}: use up to 100 letters, digits, "_" and "." and start with a letter (no "-": streams are named <name>-<instanceId>)`
    )
  }
  // Assign (and so check) the ids now: a duplicate explicit id is a bug to report where the workflow is defined.
  compile(toNode(self))
  return {
    [DefinitionTypeId]: DefinitionTypeId,
    name: options.name,
    description: options.description,
    input: options.input,
    workflow: self
  }
})

export const isDefinition = (u: unknown): u is Definition.Any =>
  typeof u === "object" && u !== null && DefinitionTypeId in u
