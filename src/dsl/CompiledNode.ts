/**
 * A workflow after `compile`: the same union as {@link Node}, but every node and branch arm has its id (no
 * `undefined` left to check with `!`), and sequences are flat lists (`a.andThen(b).andThen(c)` is one sequence of
 * three), so what is active in a long chain of steps is one index, not a chain of nested sequences.
 *
 * Interpreters of compiled workflows (the machine, replay, toModel) switch on `_tag` and end with `absurd`, so a
 * node kind added to the union fails the build in each of them until it is handled.
 */
import type {
  AwaitSignalNode,
  BranchArm,
  BranchNode,
  CatchNode,
  InterruptibleNode,
  EndNode,
  LoopNode,
  NamedNode,
  PureNode,
  RaceNode,
  SleepNode,
  StepNode
} from "./Node.js"

type WithId<N, Children extends keyof N = never> = Omit<N, "id" | Children> & { readonly id: string }

export interface CompiledStep extends WithId<StepNode> {}
export interface CompiledAwaitSignal extends WithId<AwaitSignalNode> {}
export interface CompiledPure extends WithId<PureNode> {}
export interface CompiledEnd extends WithId<EndNode> {}
export interface CompiledSleep extends WithId<SleepNode> {}

export interface CompiledSequence {
  readonly _tag: "Sequence"
  readonly id: string
  readonly description: string | undefined
  /** At least two nodes, none of them a sequence. */
  readonly steps: ReadonlyArray<CompiledNode>
}

export interface CompiledCatch extends WithId<CatchNode, "body" | "handler"> {
  readonly body: CompiledNode
  readonly handler: CompiledNode
}

export interface CompiledArm extends WithId<BranchArm, "body"> {
  readonly body: CompiledNode
}

export interface CompiledBranch extends WithId<BranchNode, "arms" | "otherwise"> {
  readonly arms: ReadonlyArray<CompiledArm>
  readonly otherwise: CompiledArm | undefined
}

export interface CompiledLoop extends WithId<LoopNode, "body" | "restart"> {
  readonly body: CompiledNode
  readonly restart: CompiledNode | undefined
}

/** One way out of a race: the event that wins it (a signal, or the deadline's timer), then the rest of the arm. */
export interface CompiledRaceArm<Trigger> {
  readonly trigger: Trigger
  /** What runs after the trigger; undefined when the arm is the trigger alone. */
  readonly then: CompiledNode | undefined
}

export interface CompiledRace extends WithId<RaceNode, "arms" | "deadline"> {
  readonly arms: ReadonlyArray<CompiledRaceArm<CompiledAwaitSignal>>
  readonly deadline: CompiledRaceArm<CompiledSleep> | undefined
}

export interface CompiledInterruptible extends WithId<InterruptibleNode, "body" | "interruptions" | "timeout"> {
  readonly body: CompiledNode
  readonly interruptions: ReadonlyArray<CompiledRaceArm<CompiledAwaitSignal>>
  readonly timeout: CompiledRaceArm<CompiledSleep> | undefined
}

export interface CompiledNamed extends WithId<NamedNode, "body"> {
  readonly body: CompiledNode
}

export type CompiledNode =
  | CompiledStep
  | CompiledAwaitSignal
  | CompiledPure
  | CompiledSequence
  | CompiledCatch
  | CompiledBranch
  | CompiledLoop
  | CompiledEnd
  | CompiledNamed
  | CompiledSleep
  | CompiledRace
  | CompiledInterruptible

/**
 * The `default` of every switch on node kinds: it only type-checks when every kind has its case, so adding a kind
 * fails the build there. At run time it can only be reached by a node built outside this library.
 */
export const absurd = (node: never): never => {
  throw new Error(`unknown workflow node kind ${JSON.stringify((node as { readonly _tag?: unknown })._tag)}`)
}
