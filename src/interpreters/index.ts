export * from "./errors.js"
export { recordedAt, recordedStep, STARTED, START_STEP, streamName } from "./journal.js"
export { checkInstanceId, DEFAULT_LIMITS, type Limits } from "./limits.js"
export { replay, type Replay, type TimelineEntry, type Visits } from "./replay.js"
export type { Instance, JournalEntry, LoadError, SignalError, SignalOptions } from "./runtime/Instance.js"
export type { EngineOptions } from "./runtime/Engine.js"
export { Worker, type WorkerOptions, type WorkerStartOptions } from "./runtime/Worker.js"
export * as Machine from "./machine/index.js"
export {
  type RuntimeOptions,
  type StartError,
  type StartOptions,
  WorkflowRuntime
} from "./runtime/WorkflowRuntime.js"
export type { Incident, Status } from "./Status.js"
export * from "./store/index.js"
