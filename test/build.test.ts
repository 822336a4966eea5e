/**
 * The published package: `npm run build` compiles, and the built CLI runs without tsx's source condition — so what
 * `npm pack` ships (bin, exports) works, not only the sources the other tests import.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const root = new URL("..", import.meta.url).pathname
const run = (file: string, args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, [file, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

describe("the build", () => {
  it("compiles, and the built CLI and library load from dist/", () => {
    execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { cwd: root })
    expect(run("dist/src/cli/main.js", ["--version"]).trim()).toBe(
      `durable-monad v${JSON.parse(readFileSync(`${root}package.json`, "utf8")).version}`
    )
    const mermaid = run("dist/src/cli/main.js", [
      "render",
      "dist/examples/pull-request.js#pullRequest",
      "-f",
      "mermaid"
    ])
    expect(mermaid.split("\n").slice(0, 2)).toEqual(["%% pullRequest", "flowchart LR"])
  }, 60_000)
})
