/** What the crash tests share: a seeded PRNG for replayable schedules, and bundling a child process's script. */
import { createRequire } from "node:module"
import * as Path from "node:path"

/** mulberry32: a small seeded PRNG, so a schedule can be replayed. */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * Bundle a child's script into one file with esbuild (tsx's own dependency): a child then starts in ~0.1 s instead
 * of ~0.8 s through tsx, which is what makes dozens of rounds affordable. Same sources, `source` condition included.
 */
export const bundleChild = async (entry: string, outfile: string): Promise<string> => {
  const esbuild = createRequire(createRequire(import.meta.url).resolve("tsx"))("esbuild") as {
    build(options: object): Promise<unknown>
  }
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["source"],
    external: ["better-sqlite3"],
    logLevel: "error"
  })
  return Path.resolve(outfile)
}
