export type * from "./Progress.js"
export { fingerprint, toModel } from "./toModel.js"
export type * from "./WorkflowModel.js"
