import { assertOneEffect } from "./package/effectCopies.js"

export * from "./dsl/index.js"
export * from "./interpreters/index.js"
export * from "./model/index.js"
export * from "./package/index.js"

assertOneEffect()
