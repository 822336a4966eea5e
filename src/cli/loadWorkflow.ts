/**
 * What the command line names: a workflow as `<module>#<export>`, a database file, an instance.
 *
 * `<module>` is a file path, relative to the current directory. It is imported into the CLI's own module graph, so
 * the `durable-monad` and `effect` it imports are the very modules the CLI uses (its Schemas decode the stored
 * events, its Workflow values are recognised). TypeScript files (.ts, .mts, .cts, .tsx) need a loader: the CLI
 * registers tsx's hooks for the whole process (tsx is an optional peer dependency: the application's); without
 * tsx, Node >= 22.18 strips types itself. From source (`--import tsx`) TypeScript already loads. JavaScript is a
 * plain `import()`. Without `#<export>`, the module's only workflow export is taken.
 */
import { existsSync, statSync } from "node:fs"
import { extname, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Layer, Stream } from "effect"
import { Argument } from "effect/cli"
import {
  type Definition,
  EventStore,
  MissingDependencyError,
  type StoreError,
  type StoredEvent,
  streamName,
  Workflow,
  WorkflowRuntime
} from "durable-monad"
import { otherEffectFor } from "../package/effectCopies.js"
import { importOptional, installSpec, peerRange } from "../package/optionalDependency.js"
import { CliFailure } from "./format.js"

/** What an export turned out to be. */
export type Loaded =
  | { readonly _tag: "Definition"; readonly name: string; readonly value: Definition.Any }
  | { readonly _tag: "Workflow"; readonly name: string; readonly value: Workflow.Any }

const classify = (name: string, value: unknown): Loaded | undefined =>
  Workflow.isDefinition(value)
    ? { _tag: "Definition", name, value }
    : Workflow.isWorkflow(value)
      ? { _tag: "Workflow", name, value }
      : undefined

/** Split `path/to/module.ts#exportName`. The export part is optional. */
export const parseTarget = (spec: string): { readonly module: string; readonly exportName: string | undefined } => {
  const hash = spec.lastIndexOf("#")
  if (hash < 0) return { module: spec, exportName: undefined }
  const exportName = spec.slice(hash + 1)
  return { module: spec.slice(0, hash), exportName: exportName === "" ? undefined : exportName }
}

const TS = new Set([".ts", ".mts", ".cts", ".tsx"])

/** How `.ts` modules are loaded, for `--help`. */
export const TYPESCRIPT_LOADING =
  "TypeScript modules are loaded with tsx (install it in the application: npm install --save-dev tsx) into the CLI's own module graph, so they share its durable-monad and effect"

let tsxRegistered: Promise<void> | undefined

/**
 * Make `import()` of TypeScript work in this process. tsx's `register()` without a namespace installs its hooks for
 * every later import (unlike `tsImport`, which loads the module and everything it imports a second time, beside the
 * CLI's copies: then its Schemas are not the ones the CLI decodes with). tsx comes first where Node could strip
 * types too: it also resolves `./x.js` to `./x.ts`, as TypeScript sources are written.
 */
const loadTypeScript = (file: string): Promise<void> => {
  // From source (npm run cli, the tests) the CLI itself is TypeScript: a loader is already there.
  if (import.meta.url.endsWith(".ts")) return Promise.resolve()
  const tsx = () => importOptional("tsx", `loading the TypeScript module ${file}`, () => import("tsx/esm/api"))
  return (tsxRegistered ??= tsx().then(
    ({ register }) => {
      register()
    },
    (error) => {
      if (error instanceof MissingDependencyError && (process.features as { typescript?: unknown }).typescript) return
      tsxRegistered = undefined
      throw error
    }
  ))
}

const importFile = async (file: string): Promise<Record<string, unknown>> => {
  if (TS.has(extname(file))) await loadTypeScript(file)
  return import(pathToFileURL(file).href)
}

const describeLoadError = (modulePath: string, error: unknown): string => {
  if (error instanceof MissingDependencyError && error.dependency === "tsx") {
    return `${modulePath} is TypeScript, and loading it needs tsx, which is not installed: npm install --save-dev ${installSpec("tsx", peerRange("tsx"))} (or pass the compiled .js module)`
  }
  return `could not load ${modulePath}: ${error instanceof Error ? error.message : String(error)}`
}

/** Import a module file (resolved against the current directory). */
export const loadModule = (modulePath: string): Effect.Effect<Record<string, unknown>, CliFailure> =>
  Effect.gen(function* () {
    const file = resolve(modulePath)
    if (!existsSync(file)) {
      const where = file === modulePath ? "" : ` (looked for ${file})`
      return yield* new CliFailure({ message: `no such file: ${modulePath}${where}` })
    }
    if (!statSync(file).isFile()) return yield* new CliFailure({ message: `not a file: ${modulePath}` })
    // Refuse before importing: a module built on another copy of effect would load, then fail on every Schema.
    const twoCopies = otherEffectFor(file, `the module ${modulePath}`)
    if (twoCopies !== undefined) {
      return yield* new CliFailure({ message: `cannot load ${modulePath}: ${twoCopies.message}` })
    }
    return yield* Effect.tryPromise({
      try: () => importFile(file),
      catch: (error) => new CliFailure({ message: describeLoadError(modulePath, error) })
    })
  })

/**
 * The workflow named by `<module>#<export>`: a `Definition` or a plain `Workflow`. Fails with a message that says
 * which exports would have worked when the export is missing or is not a workflow.
 */
export const loadWorkflow = (spec: string): Effect.Effect<Loaded, CliFailure> =>
  Effect.gen(function* () {
    const { module, exportName } = parseTarget(spec)
    if (module === "") return yield* new CliFailure({ message: `no module in ${JSON.stringify(spec)}` })
    const exports = yield* loadModule(module)
    const candidates = Object.entries(exports)
      .map(([name, value]) => classify(name, value))
      .filter((l): l is Loaded => l !== undefined)
    const offer =
      candidates.length === 0
        ? `${module} exports no workflow`
        : `workflow exports of ${module}: ${candidates.map((c) => c.name).join(", ")}`

    if (exportName === undefined) {
      const definitions = candidates.filter((c) => c._tag === "Definition")
      const only = definitions.length === 1 ? definitions[0] : candidates.length === 1 ? candidates[0] : undefined
      if (only !== undefined) return only
      return yield* new CliFailure({ message: `say which workflow: ${module}#<export> (${offer})` })
    }
    if (!(exportName in exports)) {
      return yield* new CliFailure({ message: `${module} has no export ${JSON.stringify(exportName)} (${offer})` })
    }
    const loaded = classify(exportName, exports[exportName])
    if (loaded === undefined) {
      return yield* new CliFailure({
        message: `${module}#${exportName} is not a workflow (a Workflow value or a Workflow.define definition); ${offer}`
      })
    }
    return loaded
  })

export const notADefinition = (spec: string, why: string): string =>
  `${spec} is a Workflow without a name and input Schema; ${why} needs a definition (Workflow.define)`

/** As {@link loadWorkflow}, but only a `Definition` will do (running, replaying and inspecting need its name). */
export const loadDefinition = (spec: string, why: string): Effect.Effect<Definition.Any, CliFailure> =>
  Effect.flatMap(loadWorkflow(spec), (loaded) =>
    loaded._tag === "Definition"
      ? Effect.succeed(loaded.value)
      : Effect.fail(
          new CliFailure({
            message: notADefinition(spec, why)
          })
        )
  )

/**
 * The SQLite store module, loaded on first use: commands that do not touch a database (help, render without
 * `--db`, bad usage) never load better-sqlite3.
 */
export const sqliteStore: Effect.Effect<typeof import("durable-monad/sqlite").SqliteStore, CliFailure> =
  Effect.tryPromise({
    try: () => import("durable-monad/sqlite").then((m) => m.SqliteStore),
    catch: (error) =>
      new CliFailure({
        message: `could not load the SQLite store: ${error instanceof Error ? error.message : String(error)}`
      })
  })

/**
 * The runtime and the store over an existing SQLite database file, opened read-only. Fails (rather than creating an
 * empty database, as the store would) when the file does not exist, is empty or is not a current store.
 */
export const openDatabase = (file: string): Layer.Layer<WorkflowRuntime | EventStore, CliFailure | StoreError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      if (!existsSync(file)) return yield* new CliFailure({ message: `no database file: ${file}` })
      if (!statSync(file).isFile()) return yield* new CliFailure({ message: `not a database file: ${file}` })
      const SqliteStore = yield* sqliteStore
      // Read-only: inspecting a store must never change it (no WAL switch, no -wal/-shm files, no migration), and
      // must work on a file in a read-only directory.
      return Layer.fresh(WorkflowRuntime.layer).pipe(Layer.provideMerge(SqliteStore.layer({ file, readonly: true })))
    })
  )

export const workflowArgument = Argument.String("workflow").pipe(
  Argument.withMetavar("MODULE#EXPORT"),
  Argument.withDescription(
    `The workflow: a module file (.ts or .js, relative to the current directory) and the name of its export, e.g. examples/pull-request.ts#pullRequest; #export may be left out when the module exports one workflow. ${TYPESCRIPT_LOADING}`
  )
)

/** Every recorded event of an instance, and its stream; fails when there is none (no such instance). */
export const historyOf = (
  definition: Definition.Any,
  id: string,
  db: string
): Effect.Effect<
  { readonly stream: string; readonly events: ReadonlyArray<StoredEvent> },
  CliFailure | StoreError,
  EventStore
> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const stream = streamName(definition.name, id)
    const events = yield* Stream.runCollect(store.read(stream))
    if (events.length === 0) {
      return yield* new CliFailure({
        message: `no instance ${JSON.stringify(id)} of workflow ${definition.name} in ${db} (stream ${stream} is empty)`
      })
    }
    return { stream, events }
  })

/** A replay error, spelled out: what went wrong, where (stream and revision). */
export const replayFailure = (error: {
  readonly _tag: string
  readonly stream: string
  readonly revision: number
  readonly message: string
}): CliFailure =>
  new CliFailure({
    message: [
      `the history of ${error.stream} does not replay through the definition (${error._tag})`,
      `  stream:   ${error.stream}`,
      `  revision: ${error.revision}`,
      `  problem:  ${error.message.startsWith(`${error.stream}@${error.revision}: `) ? error.message.slice(`${error.stream}@${error.revision}: `.length) : error.message}`
    ].join("\n")
  })
