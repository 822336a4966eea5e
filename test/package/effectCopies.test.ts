/**
 * The check for two copies of effect: another copy resolved from a module (what the CLI checks before importing
 * one, and the library checks against the application's entry file), another durable-monad instance on another
 * effect, and the fix each message gives. install.test.ts sees it thrown when an installed library loads.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { afterAll, describe, expect, test } from "vitest"
import { TwoEffectCopiesError } from "durable-monad"
import { checkEffectCopies, effectResolvedFrom, otherEffectFor } from "../../src/package/effectCopies.js"

const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..")
const OURS = realpathSync(join(ROOT, "node_modules/effect"))
const VERSION = (await import("effect/package.json", { with: { type: "json" } })).default.version

/** An application directory with its own (stub) copy of effect 9.9.9, and a module file in it. */
const dir = realpathSync(mkdtempSync(join(tmpdir(), "durable-monad-effect-copies-")))
const theirs = join(dir, "node_modules/effect")
mkdirSync(join(theirs, "dist"), { recursive: true })
writeFileSync(join(theirs, "package.json"), JSON.stringify({ name: "effect", version: "9.9.9", main: "dist/index.js" }))
writeFileSync(join(theirs, "dist/index.js"), "")
const module = join(dir, "workflow.js")
writeFileSync(module, "")

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("two copies of effect", () => {
  test("effect resolves from a file to its package directory, or to nothing", () => {
    expect(effectResolvedFrom(join(ROOT, "src/index.ts"))).toBe(OURS)
    expect(effectResolvedFrom(module)).toBe(theirs)
    expect(effectResolvedFrom(join(tmpdir(), "nowhere", "x.js"))).toBeUndefined()
  })

  test("a module that resolves another effect: both copies named, with versions, and the fix", () => {
    expect(otherEffectFor(join(ROOT, "examples/pull-request.ts"), "the module")).toBeUndefined()
    const error = otherEffectFor(module, "the module workflow.js")
    expect(error).toBeInstanceOf(TwoEffectCopiesError)
    expect(error!.other).toEqual({ directory: theirs, version: "9.9.9", usedBy: "the module workflow.js" })
    expect(error!.library).toEqual({ directory: OURS, version: VERSION, usedBy: `durable-monad (${ROOT})` })
    expect(error!.message.split("\n")).toEqual([
      "two copies of effect are loaded, so Schemas and services made with one are not recognised by the other (a Schema.Number field, for one, fails to decode):",
      `  - ${theirs} (effect 9.9.9), used by the module workflow.js`,
      `  - ${OURS} (effect ${VERSION}), used by durable-monad (${ROOT})`,
      "effect is a peer dependency of durable-monad (~4.1.0): the application's copy must be the only one.",
      // This checkout is not inside node_modules and effect is in its own node_modules: a linked checkout.
      `Fix: durable-monad is linked from ${ROOT}, which has its own node_modules/effect. Install it as a copy instead: \`npm install --install-links ${ROOT}\`, or \`npm pack\` there and install the .tgz (in an npm workspace: give every package the same effect range, so that npm hoists one copy). Then \`npm ls effect\` lists a single copy.`
    ])
  })

  test("installed under node_modules, the fix is to dedupe", () => {
    const error = new TwoEffectCopiesError({
      library: { directory: "/app/node_modules/durable-monad/node_modules/effect", version: "4.1.0", usedBy: "x" },
      other: { directory: "/app/node_modules/effect", version: "4.1.1", usedBy: "y" },
      libraryDirectory: "/app/node_modules/durable-monad"
    })
    expect(error.message.split("\n").at(-1)).toBe(
      "Fix: make the application's effect dependency match durable-monad's peer range (~4.1.0), run `npm dedupe`, and check that `npm ls effect` lists a single copy."
    )
  })

  test("the entry file of the process resolving another effect", () => {
    expect(checkEffectCopies([], join(ROOT, "src/cli/main.ts"))).toBeUndefined()
    expect(checkEffectCopies([], undefined)).toBeUndefined()
    const error = checkEffectCopies([], module)
    expect(error?.other).toEqual({ directory: theirs, version: "9.9.9", usedBy: `the application (${module})` })
    // A tool's script under node_modules (vitest, a process manager) is no evidence about the application.
    const tool = join(dir, "node_modules/some-tool/cli.js")
    mkdirSync(dirname(tool))
    writeFileSync(tool, "")
    expect(otherEffectFor(tool, "x")).toBeInstanceOf(TwoEffectCopiesError)
    expect(checkEffectCopies([], tool)).toBeUndefined()
  })

  test("another durable-monad instance on another effect instance; the same instance twice is fine", () => {
    const registry = [{ schema: Schema, effect: { directory: OURS, version: VERSION, usedBy: "" }, library: ROOT }]
    expect(checkEffectCopies(registry, undefined)).toBeUndefined()
    expect(registry).toHaveLength(2)

    const other = { directory: OURS, version: VERSION, usedBy: "" }
    const error = checkEffectCopies([{ schema: {}, effect: other, library: "/elsewhere" }], undefined)
    expect(error?.other.usedBy).toBe("another instance of durable-monad (/elsewhere)")
    // Same files, two module instances (a loader that imports everything a second time).
    expect(error!.message.split("\n")[0]).toBe(
      "effect is loaded twice (the same files, as two module instances), so Schemas and services made with one are not recognised by the other (a Schema.Number field, for one, fails to decode):"
    )
  })
})
