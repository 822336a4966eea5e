/**
 * One copy of effect per process. effect is a peer dependency: durable-monad must use the application's copy.
 * With two copies (a path install of a checkout that has its own node_modules, a nested install after a version
 * conflict, a loader that imports modules a second time) a Schema made with one copy is not understood by the other,
 * and the first symptom is baffling (`Expected "Infinity" | "-Infinity" | "NaN"` for `qty: 1`). So every entry point
 * checks when it loads, and fails with {@link TwoEffectCopiesError}, which names both copies and the fix:
 * - another durable-monad instance already loaded in this process with another effect instance;
 * - the application (the script Node was started with, unless it is a tool's under node_modules) resolving `effect`
 *   to another directory than durable-monad.
 *
 * `DURABLE_MONAD_ALLOW_EFFECT_COPIES=1` turns the check off (for a setup it misjudges: please report it).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, sep } from "node:path"
import { Data, Schema } from "effect"
import { manifest } from "./manifest.js"

/** A copy of effect on disk. */
export interface EffectCopy {
  /** The package directory (resolved through symlinks). */
  readonly directory: string
  readonly version: string
  /** Who imports it, e.g. `the application (/srv/app/main.js)`. */
  readonly usedBy: string
}

/**
 * Two copies of effect are loaded (or would be): durable-monad's and another. Thrown when an entry point loads.
 *
 * @example
 * // Error: two copies of effect are loaded, …
 * //   - /srv/app/node_modules/effect (effect 4.1.0), used by the application (/srv/app/main.js)
 * //   - /src/durable-monad/node_modules/effect (effect 4.1.0), used by durable-monad (/src/durable-monad)
 */
export class TwoEffectCopiesError extends Data.TaggedError("TwoEffectCopiesError")<{
  /** The copy this durable-monad imports. */
  readonly library: EffectCopy
  /** The other one. */
  readonly other: EffectCopy
  /** durable-monad's directory. */
  readonly libraryDirectory: string
}> {
  override get message(): string {
    const copy = (c: EffectCopy) => `  - ${c.directory} (effect ${c.version}), used by ${c.usedBy}`
    const same = this.library.directory === this.other.directory
    return [
      same
        ? "effect is loaded twice (the same files, as two module instances), so Schemas and services made with one are not recognised by the other (a Schema.Number field, for one, fails to decode):"
        : "two copies of effect are loaded, so Schemas and services made with one are not recognised by the other (a Schema.Number field, for one, fails to decode):",
      copy(this.other),
      copy(this.library),
      `effect is a peer dependency of durable-monad (${rangeText()}): the application's copy must be the only one.`,
      `Fix: ${fix(this.library.directory, this.libraryDirectory, same)}`
    ].join("\n")
  }
}

const rangeText = () => manifest()?.peerDependencies.effect ?? "effect 4"

const insideNodeModules = (dir: string) => dir.split(sep).includes("node_modules")

const fix = (effectDirectory: string, libraryDirectory: string, same: boolean): string => {
  if (same) {
    return [
      "load durable-monad and the modules that use it as ES modules through one loader. A TypeScript module outside a",
      'package with "type": "module" is compiled to CommonJS and requires everything again: set "type": "module" in',
      "its package.json or name it .mts; and run the CLI as the application's own `npx durable-monad`."
    ].join(" ")
  }
  if (!insideNodeModules(libraryDirectory) && effectDirectory.startsWith(join(libraryDirectory, "node_modules"))) {
    return [
      `durable-monad is linked from ${libraryDirectory}, which has its own node_modules/effect. Install it as a copy instead:`,
      `\`npm install --install-links ${libraryDirectory}\`, or \`npm pack\` there and install the .tgz (in an npm workspace: give`,
      "every package the same effect range, so that npm hoists one copy). Then `npm ls effect` lists a single copy."
    ].join(" ")
  }
  return `make the application's effect dependency match durable-monad's peer range (${rangeText()}), run \`npm dedupe\`, and check that \`npm ls effect\` lists a single copy.`
}

/** The package directory of `effect` as resolved from `from` (a file), or undefined when it does not resolve. */
export const effectResolvedFrom = (from: string): string | undefined => {
  try {
    let dir = dirname(createRequire(from).resolve("effect"))
    for (; dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, "package.json")
      if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === "effect") {
        return realpathSync(dir)
      }
    }
  } catch {
    // Not resolvable from there (no node_modules, a bundle, a virtual file): nothing to compare.
  }
  return undefined
}

const versionIn = (directory: string): string => {
  try {
    return String((JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as { version?: unknown }).version)
  } catch {
    return "unknown version"
  }
}

let own: { readonly copy: EffectCopy | undefined } | undefined

/** The copy of effect this durable-monad resolves (looked up once). */
const ownEffect = (): EffectCopy | undefined => {
  if (own !== undefined) return own.copy
  const directory = effectResolvedFrom(import.meta.url)
  const library = manifest()?.root
  own = {
    copy:
      directory === undefined
        ? undefined
        : { directory, version: versionIn(directory), usedBy: `durable-monad (${library ?? "a bundle"})` }
  }
  return own.copy
}

/**
 * The copy of effect that a module file would import, when it is not durable-monad's: the error to report
 * before loading it (the CLI checks a workflow module this way).
 */
export const otherEffectFor = (file: string, usedBy: string): TwoEffectCopiesError | undefined => {
  const library = ownEffect()
  const directory = effectResolvedFrom(file)
  if (library === undefined || directory === undefined || directory === library.directory) return undefined
  return new TwoEffectCopiesError({
    library,
    other: { directory, version: versionIn(directory), usedBy },
    libraryDirectory: manifest()?.root ?? "."
  })
}

/** What each durable-monad instance in the process leaves in the registry when it loads. */
export interface Loaded {
  /** The `Schema` module of the effect instance that copy of durable-monad imports: one object per instance. */
  readonly schema: unknown
  readonly effect: EffectCopy
  readonly library: string
}

const REGISTRY = Symbol.for("durable-monad/loaded-effect-instances")

/**
 * Registers this durable-monad instance in `registry`, and returns the error to throw when another instance there
 * uses another effect instance, or when `main` (the application's entry file) resolves effect elsewhere.
 */
export const checkEffectCopies = (
  registry: Array<Loaded>,
  main: string | undefined
): TwoEffectCopiesError | undefined => {
  const library = ownEffect()
  if (library === undefined) return undefined
  const libraryDirectory = manifest()?.root ?? "."
  const twin = registry.find((loaded) => loaded.schema !== Schema)
  registry.push({ schema: Schema, effect: library, library: libraryDirectory })
  if (twin !== undefined) {
    return new TwoEffectCopiesError({
      library,
      other: { ...twin.effect, usedBy: `another instance of durable-monad (${twin.library})` },
      libraryDirectory
    })
  }
  if (main === undefined || !existsSync(main)) return undefined
  // A tool's script (vitest, a process manager) resolves from its own install, which says nothing of the application.
  const script = realpathSync(main)
  if (insideNodeModules(script)) return undefined
  return otherEffectFor(script, `the application (${main})`)
}

let checked = false

/**
 * Throws {@link TwoEffectCopiesError} when this process holds another effect instance beside durable-monad's
 * (see the module comment). Runs once; every entry point calls it when it loads.
 */
export const assertOneEffect = (): void => {
  if (checked) return
  checked = true
  if (globalThis.process?.env?.DURABLE_MONAD_ALLOW_EFFECT_COPIES === "1") return
  const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= []) as Array<Loaded>
  const error = checkEffectCopies(registry, globalThis.process?.argv?.[1])
  if (error !== undefined) throw error
}
