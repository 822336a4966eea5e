/**
 * Runs the benchmarks: `npm run bench [-- <filter>] [--runs=N]`. The filter is a case-insensitive substring of
 * workload names ("W1", "sqlite", "render"…); the baseline always runs, since every figure is also given as a
 * ratio to it. Repetitions are interleaved (every workload once, then again…) so that background load spreads
 * over all of them; each figure is the median of its repetitions.
 *
 * `npm run bench` measures the library as it ships: built (`npm run build`), loaded from `dist/` (only the bench
 * files themselves go through tsx). Through tsx from source (`npm run bench:source`) every closure the library
 * creates also gets esbuild's `keepNames` wrapper, which costs the closure-heavy engine more than the v1 runtime and
 * says nothing about production.
 *
 * Prints one JSON line per figure and repetition (`"type":"sample"`, after one uncounted `"type":"warmup"`
 * repetition), one per figure with its median, ratio and target (`"type":"summary"`), then a table.
 */
import { baseline } from "./baseline.js"
import { concurrent } from "./concurrent.js"
import { eventStoreDBWorkloads } from "./eventstoredb.js"
import { disposeBundles, idleInstances, recovery } from "./processes.js"
import { renderBench } from "./render.js"
import { disposeHistory, replayHistory } from "./replay.js"
import { sequential } from "./sequential.js"
import { statusDuringStep } from "./status.js"
import { subscription } from "./subscription.js"
import { timers } from "./timers.js"
import { type Figure, median, type Workload } from "./support.js"

const render: Workload = {
  name: "render",
  description: "layout + BPMN + SVG of the generated ~200-node model (bench/render.ts)",
  run: async () => {
    const result = await renderBench({ warmup: 2, runs: 5 })
    return [
      {
        workload: "render",
        metric: "ms (layout+BPMN+SVG)",
        value: result.ms,
        kind: "time",
        target: { value: 500, text: "< 500 ms" }
      }
    ]
  }
}

const workloads: ReadonlyArray<Workload> = [
  sequential("sqlite"),
  sequential("memory"),
  concurrent("sqlite"),
  concurrent("memory"),
  subscription("sqlite"),
  subscription("memory"),
  replayHistory,
  statusDuringStep("sqlite"),
  statusDuringStep("memory"),
  idleInstances("sqlite", "all"),
  idleInstances("sqlite", "default"),
  idleInstances("memory", "all"),
  recovery,
  // The adapter over the in-process wire-compatible test server: they measure the adapter, not EventStoreDB.
  ...eventStoreDBWorkloads,
  timers,
  render
]

const args = process.argv.slice(2)
const runs = Number(args.find((a) => a.startsWith("--runs="))?.slice("--runs=".length) ?? 3)
const filter = args.find((a) => !a.startsWith("--"))?.toLowerCase()
const selected = [baseline, ...workloads.filter((w) => filter === undefined || w.name.toLowerCase().includes(filter))]

const samples = new Map<string, { readonly figure: Figure; readonly values: Array<number> }>()
// Repetition 0 warms up (JIT, page cache, the recorded history) and is printed but not counted.
for (let rep = 0; rep <= runs; rep++) {
  for (const workload of selected) {
    for (const figure of await workload.run()) {
      console.log(JSON.stringify({ type: rep === 0 ? "warmup" : "sample", rep, ...figure }))
      if (rep === 0) continue
      const key = `${figure.workload}\u0000${figure.metric}`
      const entry = samples.get(key) ?? { figure, values: [] }
      entry.values.push(figure.value)
      samples.set(key, entry)
    }
  }
}
disposeHistory()
disposeBundles()

const medianOf = (workload: string, metric: string) => median(samples.get(`${workload}\u0000${metric}`)?.values ?? [])
const baseRate = medianOf("baseline", "rows/s")
const baseLatency = medianOf("baseline", "median ms/row")

interface Row {
  readonly workload: string
  readonly metric: string
  readonly median: number
  readonly samples: ReadonlyArray<number>
  /** Rates as a multiple of the baseline's rows/s, per-step times of its ms/row; other times have none. */
  readonly ratio: number | undefined
  readonly target: string | undefined
  readonly met: boolean | undefined
}

const rows: Array<Row> = []
for (const { figure, values } of samples.values()) {
  const m = median(values)
  const ratio =
    figure.kind === "rate" ? m / baseRate : figure.metric.startsWith("median ms/") ? m / baseLatency : undefined
  let met: boolean | undefined
  if (figure.target !== undefined) {
    const { value, of } = figure.target
    const reference = of === undefined ? 1 : of === "baseline rows/s" ? baseRate : medianOf(...splitOf(of))
    // A target relative to a workload the filter left out cannot be judged.
    if (!Number.isNaN(reference)) met = figure.kind === "rate" ? m >= value * reference : m < value * reference
  }
  const row: Row = {
    workload: figure.workload,
    metric: figure.metric,
    median: m,
    samples: values,
    ratio,
    target: figure.target?.text,
    met
  }
  rows.push(row)
  console.log(JSON.stringify({ type: "summary", ...row }))
}

/** "W1 sqlite steps/s" → ["W1 sqlite", "steps/s"]. */
function splitOf(of: string): [string, string] {
  const at = of.lastIndexOf(" ")
  return [of.slice(0, at), of.slice(at + 1)]
}

const fmt = (n: number) =>
  Number.isNaN(n) ? "—" : n >= 100 ? Math.round(n).toLocaleString("en") : n >= 1 ? n.toFixed(2) : n.toPrecision(3)
const table = [
  ["workload", "metric", "median", "runs", "× baseline", "target", "met"],
  ...rows.map((r) => [
    r.workload,
    r.metric,
    fmt(r.median),
    r.samples.map(fmt).join(" / "),
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO"
  ])
]
const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)))
console.log()
for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  "))
