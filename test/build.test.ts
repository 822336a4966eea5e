/**
 * The build: `npm run build` (what `prepare` runs) compiles into a clean dist/, the bin stays executable, and the
 * built CLI runs without tsx's source condition. test/package/install.test.ts installs the packed result.
 */
import { execFileSync } from "node:child_process"
import { accessSync, constants, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const root = new URL("..", import.meta.url).pathname
const run = (file: string, args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, [file, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

describe("the build", () => {
  it("compiles, and the built CLI and library load from dist/", () => {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
    // npm makes a bin executable when it links it, not when `npm run build` rewrites it in a workspace.
    accessSync(`${root}dist/src/cli/main.js`, constants.X_OK)
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
