import { makeNode, type RaceNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

type Arm<In> = Workflow<In, any, any, any, any>

/** Options of {@link race}. */
export interface RaceOptions<Arms extends ReadonlyArray<Arm<any>>, Deadline extends Arm<any> | undefined> {
  readonly name?: string
  /** Explicit stable id (journal and diagrams). Default: derived from `name`. */
  readonly id?: string
  readonly description?: string
  /** Each arm starts with a `Workflow.awaitSignal`: the first of those signals to arrive wins. */
  readonly arms: Arms
  /** Starts with a `Workflow.sleep`: when it fires before any signal arrived, this arm runs instead. */
  readonly deadline?: Deadline
}

type Union<Arms extends ReadonlyArray<Arm<any>>, Deadline> = Arms[number] | Exclude<Deadline, undefined>

/**
 * Wait for whichever of several signals arrives first, optionally with a deadline, and go on with that arm only
 * (BPMN's event-based gateway). While it waits the instance accepts every arm's signal; the deadline's timer is
 * started (its release time recorded) when the race is entered. The arms' and the deadline's first nodes are the
 * race's triggers; the rest of each arm runs after its trigger won. The definition is checked when it is compiled:
 * an arm that does not start with a signal, or a deadline that does not start with a timer, is an
 * `InvalidDefinition`.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * declare const approved: Workflow<Request, Decided>   // Workflow.awaitSignal(Approve, …) then more
 * declare const rejected: Workflow<Request, Decided>   // Workflow.awaitSignal(Reject, …)
 * const decision = Workflow.race({
 *   name: "Decision",
 *   arms: [approved, rejected],
 *   deadline: Workflow.sleep({ name: "48 hours", duration: "48 hours" }).pipe(Workflow.andThen(escalate))
 * })
 * ```
 */
export const race = <
  const Arms extends ReadonlyArray<Arm<any>>,
  Deadline extends Arm<Workflow.Input<Arms[number]>> | undefined = undefined
>(
  options: RaceOptions<Arms, Deadline>
): Workflow<
  Workflow.Input<Arms[number]>,
  Workflow.Output<Union<Arms, Deadline>>,
  Workflow.Error<Union<Arms, Deadline>>,
  Workflow.Services<Union<Arms, Deadline>>,
  Workflow.Input<Arms[number]> | Workflow.States<Union<Arms, Deadline>>
> =>
  fromNode(
    makeNode<RaceNode>({
      _tag: "Race",
      id: options.id,
      description: options.description,
      name: options.name,
      arms: options.arms.map(toNode),
      deadline: options.deadline === undefined ? undefined : toNode(options.deadline)
    })
  )
