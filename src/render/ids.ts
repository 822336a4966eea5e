/**
 * BPMN ids of the elements drawn for a model. They are derived from model ids (stable across runs and versions), so
 * the same definition always gives the same XML and a diagram diff shows real changes only.
 *
 * Every derived id is `Role_` + a model id, with a distinct role word per kind of element. A role word has no `_`,
 * so no `Role_` is a prefix of another and two different (role, model id) pairs never give the same id. The
 * few ids with no model node behind them (the process' own start and end events) have no `_` at all.
 */
export const ids = {
  /** Document-level ids take the workflow's name (slugged), so several workflows can share a modeler project. */
  definitions: (key: string) => `Definitions_${key}`,
  process: (key: string) => `Process_${key}`,
  diagram: (key: string) => `Diagram_${key}`,
  plane: (key: string) => `Plane_${key}`,
  /** the text annotation with an instance's status and the legend */
  status: (key: string) => `Status_${key}`,
  processStart: "StartEvent",
  processEnd: "EndEvent",
  /** step, transition, catch and subworkflow (tasks and subprocesses) */
  activity: (modelId: string) => `Activity_${modelId}`,
  /** signal, timer and end nodes; a race's arms and an interruptible's boundaries (by their trigger's id) */
  event: (modelId: string) => `Event_${modelId}`,
  /** start and end events inside the subprocess of a catch, subworkflow or interruptible */
  subStart: (modelId: string) => `Start_${modelId}`,
  subEnd: (modelId: string) => `End_${modelId}`,
  /** gateway after a step that may raise typed errors */
  outcome: (modelId: string) => `Outcome_${modelId}`,
  /** error end event throwing a step's error */
  raise: (modelId: string, error: string) => `Raise_${modelId}_${slug(error)}`,
  /** escalation end event of an `end` inside a subprocess */
  escalate: (modelId: string) => `Escalate_${modelId}`,
  /** escalation boundary catching it on the subprocess' border */
  escalated: (modelId: string) => `Escalated_${modelId}`,
  escalation: (modelId: string) => `Escalation_${modelId}`,
  /** diverging gateway of a branch, loop or race (event-based) */
  split: (modelId: string) => `Split_${modelId}`,
  /** converging gateway of a branch, loop, catch, race or interruptible */
  join: (modelId: string) => `Join_${modelId}`,
  /** error boundary of a catch; with several caught errors, one per error: `Boundary_<catch>_<n>` */
  boundary: (modelId: string) => `Boundary_${modelId}`,
  /** merges several error boundaries before the handler of a catch */
  handlerJoin: (modelId: string) => `HandlerJoin_${modelId}`,
  /** the flow of a branch arm (its first flow, from the split gateway) */
  armFlow: (armId: string) => `Flow_${armId}`,
  /** any other flow: named by its ends */
  flow: (source: string, target: string) => `Flow_${source}_${target}`,
  message: (signal: string) => `Message_${slug(signal)}`,
  error: (error: string) => `Error_${slug(error)}`,
  eventDefinition: (eventId: string) => `EventDefinition_${eventId}`,
  /** standard loop characteristics of a retried step's task */
  retry: (taskId: string) => `${taskId}_retry`,
  /** diagram interchange element of a BPMN element */
  di: (elementId: string) => `DI_${elementId}`
} as const

/** A free-text name as an NCName fragment (letters, digits, `.`, `-`, `_` only). */
export const slug = (text: string): string => {
  const s = text.replace(/[^A-Za-z0-9._-]+/g, "_")
  return s.length > 0 ? s : "_"
}

/**
 * Hands out ids, making repeats unique with a `_2`, `_3`… suffix in order of request. Only names with no model id
 * behind them can repeat (flows between the same two elements, slugs of names that differ in punctuation), and the
 * order of requests is fixed by the model, so the result is still deterministic.
 */
export class IdAllocator {
  private readonly used = new Set<string>()

  take(id: string): string {
    let candidate = id
    for (let n = 2; this.used.has(candidate); n++) candidate = `${id}_${n}`
    this.used.add(candidate)
    return candidate
  }
}
