export * from "./dsl/index.js"
export * from "./interpreters/index.js"
export * from "./model/index.js"
