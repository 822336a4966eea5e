// Rendering benchmark: BPMN (layout + XML) and SVG of the generated ~200-node model.
// Run: node --conditions=source --import tsx bench/render.ts
import { pathToFileURL } from "node:url"
import { layout, toBpmn, toMermaid, toSvg } from "../src/render/index.js"
import { countNodes, generated } from "../test/render/fixtures.js"

export interface RenderBenchResult {
  readonly name: string
  /** Median wall time of one layout + BPMN + SVG, the target being < 500 ms. */
  readonly ms: number
  readonly layoutMs: number
  readonly bpmnMs: number
  readonly svgMs: number
  readonly mermaidMs: number
  readonly modelNodes: number
  readonly bpmnBytes: number
  readonly svgBytes: number
  readonly runs: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

const round = (ms: number) => Math.round(ms * 10) / 10

/**
 * Times rendering of the generated model: `warmup` runs to let the JIT settle, then the median of `runs`. Each run
 * lays out once and draws both BPMN and SVG from that layout, as `toBpmn(diagram)` / `toSvg(diagram)` callers do.
 *
 * @example
 * const { ms } = await renderBench({ runs: 5 })
 */
export const renderBench = async (options: { readonly warmup?: number; readonly runs?: number } = {}) => {
  const warmup = options.warmup ?? 3
  const runs = options.runs ?? 9
  const model = generated()
  const totals: Array<number> = []
  const layouts: Array<number> = []
  const bpmns: Array<number> = []
  const svgs: Array<number> = []
  const mermaids: Array<number> = []
  let bpmnBytes = 0
  let svgBytes = 0
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now()
    const diagram = await layout(model)
    const t1 = performance.now()
    const bpmn = await toBpmn(diagram)
    const t2 = performance.now()
    const svg = await toSvg(diagram)
    const t3 = performance.now()
    toMermaid(model)
    const t4 = performance.now()
    if (i >= warmup) {
      totals.push(t3 - t0)
      layouts.push(t1 - t0)
      bpmns.push(t2 - t1)
      svgs.push(t3 - t2)
      mermaids.push(t4 - t3)
    }
    bpmnBytes = bpmn.length
    svgBytes = svg.length
  }
  const result: RenderBenchResult = {
    name: "render: layout + BPMN + SVG, generated model",
    ms: round(median(totals)),
    layoutMs: round(median(layouts)),
    bpmnMs: round(median(bpmns)),
    svgMs: round(median(svgs)),
    mermaidMs: round(median(mermaids)),
    modelNodes: countNodes(model.root),
    bpmnBytes,
    svgBytes,
    runs
  }
  return result
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await renderBench()))
}
