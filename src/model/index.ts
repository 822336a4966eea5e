export type * from "./Progress.js"
export type * from "./WorkflowModel.js"
