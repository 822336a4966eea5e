// Entry point `durable-monad/render`: kept apart so that users who only run workflows never load the renderers.
// BPMN XML needs the optional peer dependency bpmn-moddle, loaded on first use: without it, the BPMN renderer fails
// with a MissingDependencyError that says what to install; SVG and Mermaid need nothing.
import { assertOneEffect } from "./package/effectCopies.js"

export * from "./render/index.js"

assertOneEffect()
