/**
 * Optional peer dependencies: the error that names what to install, and the rule that every package src/ loads
 * with importOptional is declared as an optional peer (and installed for our own tests).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
import { MissingDependencyError } from "durable-monad"
import { importOptional, isMissingPackage } from "../../src/package/optionalDependency.js"

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..")
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  devDependencies: Record<string, string>
}

describe("optional dependencies", () => {
  test("the error says which feature needs which package, and the command that installs it", () => {
    const error = new MissingDependencyError({ dependency: "bpmn-moddle", range: "^10.3.1", feature: "drawing" })
    expect(error._tag).toBe("MissingDependencyError")
    expect(error.message).toBe(
      "drawing needs bpmn-moddle, an optional dependency of durable-monad that is not installed: npm install bpmn-moddle@^10.3.1"
    )
    // A range the shell would split or redirect is quoted.
    expect(new MissingDependencyError({ dependency: "x", range: ">=1 <2", feature: "f" }).install).toBe(
      'npm install "x@>=1 <2"'
    )
    expect(new MissingDependencyError({ dependency: "x", range: "", feature: "f" }).install).toBe("npm install x")
  })

  test("a package that is not installed becomes the error, with the range from package.json", async () => {
    const missing = "durable-monad-no-such-package"
    const error = await importOptional(missing, "testing", () => import(/* @vite-ignore */ `${missing}/lib/x.js`)).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toEqual(new MissingDependencyError({ dependency: missing, range: "", feature: "testing" }))
    const moddle = await importOptional("bpmn-moddle", "writing BPMN", () =>
      Promise.reject(notFound("bpmn-moddle"))
    ).catch((e) => e)
    expect(moddle).toEqual(
      new MissingDependencyError({ dependency: "bpmn-moddle", range: "^10.3.1", feature: "writing BPMN" })
    )
  })

  test("any other failure to load passes through unchanged", async () => {
    const broken = new Error("SyntaxError in the package")
    await expect(importOptional("tsx", "loading TypeScript", () => Promise.reject(broken))).rejects.toBe(broken)
    // Installed, but one of its own imports is missing: not "bpmn-moddle is not installed".
    const inner = notFound("moddle-xml")
    await expect(importOptional("bpmn-moddle", "writing BPMN", () => Promise.reject(inner))).rejects.toBe(inner)
    expect(isMissingPackage(notFound("bpmn-moddle-extra"), "bpmn-moddle")).toBe(false)
  })

  test("every package src/ loads with importOptional is an optional peer dependency, and a dev dependency", () => {
    const loaded = new Set<string>()
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (entry.name.endsWith(".ts")) {
          // Code only: doc comments show importOptional calls too.
          const code = readFileSync(path, "utf8")
            .split("\n")
            .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
            .join("\n")
          for (const m of code.matchAll(/importOptional\(\s*"([^"]+)"/g)) loaded.add(m[1]!)
        }
      }
    }
    walk(join(ROOT, "src"))
    expect([...loaded]).toEqual(expect.arrayContaining(["bpmn-moddle", "tsx"]))
    for (const name of loaded) {
      expect(pkg.peerDependencies[name], name).toBeDefined()
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true)
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name])
    }
  })
})

/** What Node's ESM loader throws for a package that is not installed. */
const notFound = (name: string) =>
  Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/durable-monad/dist/x.js`), {
    code: "ERR_MODULE_NOT_FOUND"
  })
