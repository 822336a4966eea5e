/**
 * The code sample of docs/diagrams.md, typechecked with the rest of the project (never run); a test checks that the
 * region below appears verbatim there.
 */
import type { Progress, WorkflowModel } from "durable-monad"

declare const model: WorkflowModel
declare const progress: Progress

// #region render
import { layout, toBpmn, toMermaid, toSvg } from "durable-monad/render"

const diagram = await layout(model) // one layout…
const bpmn = await toBpmn(diagram, { progress }) // …two drawings
const svg = await toSvg(diagram, { progress })
const mermaid = toMermaid(model, { progress })
// #endregion render

export const drawn = { bpmn, svg, mermaid }
