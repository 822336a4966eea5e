// Entry point `durable-monad/render`: kept apart so that users who only run workflows never load the renderers.
// BPMN and SVG need the optional peer dependencies elkjs (layout) and bpmn-moddle (BPMN XML), loaded on first use:
// without them, those renderers fail with a MissingDependencyError that says what to install; Mermaid needs neither.
import { assertOneEffect } from "./package/effectCopies.js"

export * from "./render/index.js"

assertOneEffect()
