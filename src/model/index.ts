export type * from "./Progress.js"
export { type ReplaySummary, toProgress } from "./toProgress.js"
export { fingerprint, toModel } from "./toModel.js"
export type * from "./WorkflowModel.js"
