/**
 * What the command line names: a workflow as `<module>#<export>`, a database file, an instance.
 *
 * `<module>` is a file path, relative to the current directory. TypeScript files (.ts, .mts, .cts, .tsx) are loaded
 * with tsx (already registered when the CLI runs under `--import tsx`, else through tsx's `tsImport`), JavaScript
 * with a plain `import()`. Without `#<export>`, the module's only workflow export is taken.
 */
import { existsSync, statSync } from "node:fs"
import { extname, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Layer, Stream } from "effect"
import { Argument } from "effect/cli"
import {
  type Definition,
  EventStore,
  type StoreError,
  type StoredEvent,
  streamName,
  Workflow,
  WorkflowRuntime
} from "durable-monad"
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

const importFile = async (file: string): Promise<Record<string, unknown>> => {
  const url = pathToFileURL(file).href
  if (!TS.has(extname(file))) return import(url)
  try {
    // Under `node --import tsx` (npm start, the tests) TypeScript already loads: one module graph, one copy of
    // everything.
    return await import(url)
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error
    const { tsImport } = await import("tsx/esm/api")
    return tsImport(url, import.meta.url)
  }
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
    return yield* Effect.tryPromise({
      try: () => importFile(file),
      catch: (error) =>
        new CliFailure({
          message: `could not load ${modulePath}: ${error instanceof Error ? error.message : String(error)}`
        })
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
 * The runtime and the store over an existing SQLite database file. Fails (rather than creating an empty database,
 * as the store would) when the file does not exist.
 */
export const openDatabase = (file: string): Layer.Layer<WorkflowRuntime | EventStore, CliFailure | StoreError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      if (!existsSync(file)) return yield* new CliFailure({ message: `no database file: ${file}` })
      if (!statSync(file).isFile()) return yield* new CliFailure({ message: `not a database file: ${file}` })
      const SqliteStore = yield* sqliteStore
      return Layer.fresh(WorkflowRuntime.layer).pipe(Layer.provideMerge(SqliteStore.layer({ file })))
    })
  )

export const workflowArgument = Argument.String("workflow").pipe(
  Argument.withMetavar("MODULE#EXPORT"),
  Argument.withDescription(
    "The workflow: a module file (.ts or .js, relative to the current directory) and the name of its export, e.g. examples/pull-request.ts#pullRequest; #export may be left out when the module exports one workflow"
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
