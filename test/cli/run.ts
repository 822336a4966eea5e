/** Runs the CLI as users run it: a child process (`node --conditions=source --import tsx src/cli/main.ts …`). */
import { execFile } from "node:child_process"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..")
const MAIN = join(ROOT, "src/cli/main.ts")

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Run the CLI in the repository root (so `examples/…` resolves), without colours. */
export const cli = (...args: ReadonlyArray<string>): Promise<Run> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", MAIN, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        done({ code, stdout, stderr })
      }
    )
  })
