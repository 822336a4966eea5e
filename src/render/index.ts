export { type RenderInput, type RenderOptions, toBpmn } from "./bpmn.js"
export { allFlows, allNodes, type Block, type Container, type Flow, type FlowGraph, type FlowNode } from "./graph.js"
export {
  type Bounds,
  type Diagram,
  type EdgeLayout,
  type Label,
  layout,
  type Point,
  type ShapeLayout
} from "./layout.js"
export { type DrawState, type Overlay, overlay } from "./progress.js"
export { toFlowGraph } from "./toFlowGraph.js"
export { toSvg } from "./svg.js"
export { toMermaid } from "./mermaid.js"
