/**
 * Optional peer dependencies: packages only some features need (bpmn-moddle to write BPMN XML, tsx for the CLI to
 * load `.ts` modules). They are listed in package.json under `peerDependencies` with
 * `peerDependenciesMeta: { optional: true }`, so npm does not install them unasked, and loaded with
 * {@link importOptional} where a feature first needs them, so a missing one is a {@link MissingDependencyError}
 * naming the package and its range rather than an `ERR_MODULE_NOT_FOUND` from deep inside the library.
 *
 * Adding one (e.g. `@eventstore/db-client` for a `durable-monad/eventstoredb` entry point) takes its
 * `peerDependencies` + `peerDependenciesMeta` entry (and a `devDependencies` one for our own tests), and an
 * `importOptional("@eventstore/db-client", "the EventStoreDB store", () => import("@eventstore/db-client"))` where
 * the entry point first connects. `test/package/optionalDependency.test.ts` checks that every `importOptional` in
 * src/ names such an entry.
 */
import { Data } from "effect"
import { manifest } from "./manifest.js"

/**
 * A feature needs an optional peer dependency that is not installed. `install` is the command that fixes it.
 *
 * @example
 * toSvg(model).catch((error) => {
 *   if (error instanceof MissingDependencyError) console.error(error.message) // "… npm install bpmn-moddle@^10.3.1"
 * })
 */
export class MissingDependencyError extends Data.TaggedError("MissingDependencyError")<{
  /** The package to install, e.g. `bpmn-moddle`. */
  readonly dependency: string
  /** The range durable-monad supports (its peer dependency range), e.g. `^0.12.1`; empty if unknown. */
  readonly range: string
  /** What needed it, e.g. `laying out a BPMN or SVG diagram`. */
  readonly feature: string
}> {
  /** The npm command that installs what is missing. */
  get install(): string {
    return `npm install ${installSpec(this.dependency, this.range)}`
  }

  override get message(): string {
    return `${this.feature} needs ${this.dependency}, an optional dependency of durable-monad that is not installed: ${this.install}`
  }
}

/** `name@range` as one shell word for `npm install` (quoted when the range has spaces or operators). */
export const installSpec = (dependency: string, range: string): string => {
  if (range === "") return dependency
  const spec = `${dependency}@${range}`
  return /^[\w@/.^~-]+$/.test(spec) ? spec : JSON.stringify(spec)
}

/** durable-monad's supported range of a peer dependency, from its package.json. */
export const peerRange = (dependency: string): string => manifest()?.peerDependencies[dependency] ?? ""

/** True when `error` says that `dependency` itself cannot be found (not a file inside it, not one of its imports). */
export const isMissingPackage = (error: unknown, dependency: string): boolean => {
  if (typeof error !== "object" || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false
  if (typeof message !== "string") return false
  // ESM: "Cannot find package 'bpmn-moddle' imported from …"; CommonJS: "Cannot find module 'bpmn-moddle/dist/x.js'".
  return message.includes(`'${dependency}'`) || message.includes(`'${dependency}/`)
}

/**
 * Load an optional peer dependency: `load` is a literal `import()` (so bundlers and types see it); when the package
 * is not installed, fails with a {@link MissingDependencyError} that says what to install.
 *
 * @example
 * const { BpmnModdle } = await importOptional("bpmn-moddle", "writing BPMN", () => import("bpmn-moddle"))
 */
export const importOptional = async <M>(dependency: string, feature: string, load: () => Promise<M>): Promise<M> => {
  try {
    return await load()
  } catch (error) {
    if (isMissingPackage(error, dependency)) {
      throw new MissingDependencyError({ dependency, range: peerRange(dependency), feature })
    }
    throw error
  }
}
