export * from "./errors.js"
export { recordedAt, recordedStep, STARTED, START_STEP, streamName } from "./journal.js"
export { checkInstanceId, DEFAULT_LIMITS, type Limits } from "./limits.js"
export { replay, type Replay, type TimelineEntry, type Visits } from "./replay.js"
export type { Instance, JournalEntry, LoadError, SignalError } from "./runtime/Instance.js"
export {
  type RuntimeOptions,
  type StartError,
  type StartOptions,
  WorkflowRuntime
} from "./runtime/WorkflowRuntime.js"
export type { Status } from "./Status.js"
export * from "./store/index.js"
