/**
 * The erased, data-only shape of a workflow: what renderers, the linter and any UI read. It holds no functions,
 * so it can be serialised to JSON, sent to a browser, or written by hand for a draft.
 *
 * Every node has an `id` that is stable across runs and versions (derived from names, see `compile`), a valid
 * XML NCName (`[A-Za-z_][A-Za-z0-9._-]*`), unique in the model. Renderers derive the ids of the extra elements they
 * draw (merge gateways, flows, boundary events) from these ids, so diagrams are stable too.
 *
 * Sequences are flat (no sequence directly inside a sequence) and anonymous pure transitions are left out:
 * they are invisible in a diagram. A sequence may therefore be empty: a path that passes straight through.
 */
export type ModelNode =
  | StepModel
  | SignalModel
  | TransitionModel
  | RaiseModel
  | SequenceModel
  | BranchModel
  | LoopModel
  | CatchModel
  | EndModel
  | SubworkflowModel
  | TimerModel
  | RaceModel
  | InterruptibleModel

interface Common {
  readonly id: string
  readonly description?: string
}

/** Runs an Effect and persists its event. BPMN: service task. */
export interface StepModel extends Common {
  readonly kind: "step"
  readonly name: string
  /** Names of the typed errors its `apply` may raise, when the definition declares them. */
  readonly errors: ReadonlyArray<string>
  /** Its durable retry policy, as the definition states it. BPMN: a loop marker, the policy as its condition. */
  readonly retry?: string
}

/** Waits for a signal, persists the handler's event. BPMN: message intermediate catch event (+ bpmn:Message). */
export interface SignalModel extends Common {
  readonly kind: "signal"
  readonly name: string
  readonly signal: string
  readonly errors: ReadonlyArray<string>
}

/** A named pure function of the state, nothing persisted. BPMN: task. */
export interface TransitionModel extends Common {
  readonly kind: "transition"
  readonly name: string
  readonly errors: ReadonlyArray<string>
}

/** Ends the path with a typed error (`Workflow.raise`); nothing follows. BPMN: error end event throwing `errors`. */
export interface RaiseModel extends Common {
  readonly kind: "raise"
  readonly name: string
  readonly errors: ReadonlyArray<string>
}

export interface SequenceModel extends Common {
  readonly kind: "sequence"
  readonly children: ReadonlyArray<ModelNode>
}

/**
 * First matching condition wins. BPMN: exclusive split gateway (named `name`, or "?" style question), one
 * conditioned flow per arm named after its condition, a default flow for `otherwise`, and a merge gateway.
 * Without `otherwise`, a state that matches no condition passes through unchanged: draw that as a default flow
 * straight to the merge gateway, named "otherwise".
 */
export interface BranchModel extends Common {
  readonly kind: "branch"
  readonly name?: string
  readonly arms: ReadonlyArray<BranchArmModel>
  readonly otherwise?: BranchArmModel
}

export interface BranchArmModel {
  /** Id of the arm itself (used for its flow and for progress: a taken arm is marked done). */
  readonly id: string
  /** The condition's name ("approved", "amount > 1000"); for `otherwise` the literal "otherwise". */
  readonly condition: string
  readonly body: ModelNode
}

/**
 * `body` repeats until the `exit` condition holds on the state after it; before each restart `restart` runs
 * (when present). BPMN: merge gateway → body → exclusive split: `exit` flow out, `continue` flow back (through
 * `restart`) to the merge gateway.
 */
export interface LoopModel extends Common {
  readonly kind: "loop"
  readonly name?: string
  readonly body: ModelNode
  /** Name of the exit condition. */
  readonly exit: string
  /** Name of the flow taken when the exit condition does not hold. */
  readonly repeat: string
  readonly restart?: ModelNode
}

/**
 * Runs `body`; a typed error raised inside goes to `handler` with the last state. `errors` lists the error names
 * caught (empty: every error). BPMN: subprocess around body with an error boundary event → handler; both the
 * normal and the handler path continue to what follows.
 */
export interface CatchModel extends Common {
  readonly kind: "catch"
  readonly name?: string
  readonly errors: ReadonlyArray<string>
  readonly body: ModelNode
  readonly handler: ModelNode
}

/** Ends the whole instance here (what follows on this path never runs). BPMN: (terminate) end event. */
export interface EndModel extends Common {
  readonly kind: "end"
  readonly name: string
}

/**
 * A durable timer; the state passes through. BPMN: timer intermediate catch event, its `timer` written as a
 * `timeDuration` (`type: "duration"`) or `timeDate` (`type: "date"`) expression: an ISO 8601 duration (`PT20S`)
 * for a fixed duration, else the definition's label of how it is computed.
 */
export interface TimerModel extends Common {
  readonly kind: "timer"
  readonly name: string
  readonly timer: { readonly type: "duration" | "date"; readonly expression: string }
}

/**
 * Waits for the first of its arms' signals, or its deadline's timer, and goes on with that arm only. BPMN:
 * event-based gateway → one message (or timer) catch event per arm → the arm's body → a merge gateway.
 */
export interface RaceModel extends Common {
  readonly kind: "race"
  readonly name?: string
  readonly arms: ReadonlyArray<{ readonly trigger: SignalModel; readonly body?: ModelNode }>
  readonly deadline?: { readonly trigger: TimerModel; readonly body?: ModelNode }
}

/**
 * A section cut short by a signal or a timeout. BPMN: a subprocess around `body` with an interrupting message
 * boundary event per interruption and a timer boundary event for the timeout, each leading to its `body`; all
 * paths merge after it.
 */
export interface InterruptibleModel extends Common {
  readonly kind: "interruptible"
  readonly name: string
  readonly body: ModelNode
  readonly interruptions: ReadonlyArray<{ readonly trigger: SignalModel; readonly body?: ModelNode }>
  readonly timeout?: { readonly trigger: TimerModel; readonly body?: ModelNode }
}

/** A named, embedded workflow. BPMN: expanded subprocess. */
export interface SubworkflowModel extends Common {
  readonly kind: "subworkflow"
  readonly name: string
  readonly body: ModelNode
}

/** A whole workflow definition, erased. */
export interface WorkflowModel {
  /** Format version of this JSON shape. */
  readonly format: 1
  readonly name: string
  readonly description?: string
  readonly root: ModelNode
}
