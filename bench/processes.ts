/**
 * Workloads that need a process of their own: W5 (memory of 100,000 idle waiting instances: RSS of a fresh
 * process) and W6 (recovery after a process died inside step 1,001 of an instance: a NEW process completes it).
 * Children are bundled with esbuild (tsx's own dependency) so their start-up is not tsx's.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { type Figure, scratchDir, type Workload } from "./support.js"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "..")
const IDLE = 100_000

let bundles: { readonly dir: string; readonly idle: string; readonly recovery: string } | undefined
const bundled = async () => {
  if (bundles !== undefined) return bundles
  const { dir } = scratchDir()
  const esbuild = createRequire(createRequire(import.meta.url).resolve("tsx"))("esbuild") as {
    build(options: object): Promise<unknown>
  }
  const build = async (name: string) => {
    const outfile = Path.join(dir, `${name}.mjs`)
    await esbuild.build({
      entryPoints: [Path.join(here, `${name}.ts`)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["source"],
      external: ["better-sqlite3"],
      logLevel: "error"
    })
    return outfile
  }
  bundles = { dir, idle: await build("idleChild"), recovery: await build("recoveryChild") }
  return bundles
}

const node = (args: ReadonlyArray<string>, allowFailure = false): string => {
  try {
    return execFileSync(process.execPath, [...args], {
      env: { ...process.env, NODE_PATH: Path.join(root, "node_modules") },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"]
    })
  } catch (error) {
    if (allowFailure) return ""
    throw error
  }
}

export const idleInstances = (kind: "sqlite" | "memory", loaded: "all" | "default"): Workload => ({
  name: `W5 idle ${kind} ${loaded}`,
  description: `${IDLE} instances waiting for a signal in one process, ${loaded === "all" ? "all loaded" : "the default cache of 10,000 loaded"} in one Worker, ${kind} store`,
  run: async (): Promise<ReadonlyArray<Figure>> => {
    const { idle } = await bundled()
    const { dir, cleanup } = scratchDir()
    try {
      const args = ["--expose-gc", idle, String(IDLE), kind, Path.join(dir, "w5.db"), loaded]
      const out = JSON.parse(node(args)) as { rss: number; heapUsed: number; ms: number }
      const workload = `W5 ${IDLE.toLocaleString("en")} idle instances, ${kind}, ${loaded === "all" ? "all loaded" : "10,000 loaded"}`
      return [
        {
          workload,
          metric: "RSS MB",
          value: out.rss / 2 ** 20,
          kind: "time",
          target: { value: 300, text: "< 300 MB" }
        },
        { workload, metric: "heap MB", value: out.heapUsed / 2 ** 20, kind: "time" },
        { workload, metric: "start all, ms", value: out.ms, kind: "time" }
      ]
    } finally {
      cleanup()
    }
  }
})

export const recovery: Workload = {
  name: "W6 recovery",
  description: "an instance records 1,000 steps, the process dies in step 1,001; a new process's Worker completes it",
  run: async (): Promise<ReadonlyArray<Figure>> => {
    const { recovery: child } = await bundled()
    const { dir, cleanup } = scratchDir()
    try {
      const file = Path.join(dir, "w6.db")
      node([child, "record", file], true)
      const out = JSON.parse(node([child, "recover", file])) as {
        startToCompletedMs: number
        registerToFirstStepMs: number
        replayMs: number
        events: number
      }
      if (out.events !== 1_002) throw new Error(`recovered ${out.events} events`)
      const workload = "W6 recovery after a crash in step 1,001 (SQLite)"
      return [
        { workload, metric: "process start → completed, ms", value: out.startToCompletedMs, kind: "time" },
        {
          workload,
          metric: "register → step 1,001 runs, ms",
          value: out.registerToFirstStepMs,
          kind: "time",
          target: { value: 50, text: "< 50 ms" }
        },
        { workload, metric: "read + replay of 1,001 events, ms", value: out.replayMs, kind: "time" }
      ]
    } finally {
      cleanup()
    }
  }
}

export const disposeBundles = (): void => {
  if (bundles !== undefined) Fs.rmSync(bundles.dir, { recursive: true, force: true })
}
