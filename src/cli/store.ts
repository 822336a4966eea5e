/**
 * Which store a command works on: `--db FILE` (SQLite), or `--store` with a SQLite file (`sqlite:FILE` or a path) or
 * an EventStoreDB connection string (`esdb://host:2113?tls=false`, `esdb+discover://…`), with `--namespace` for an
 * EventStoreDB namespace. The store modules are loaded only when a command opens one.
 */
import { existsSync, statSync } from "node:fs"
import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { type EventStore, type StoreError, WorkflowRuntime } from "durable-monad"
import { CliFailure } from "./format.js"

export type StoreSpec =
  | { readonly _tag: "Sqlite"; readonly file: string }
  | { readonly _tag: "EventStoreDB"; readonly connectionString: string; readonly namespace: string | undefined }

export const dbFlag = Flag.String("db").pipe(
  Flag.withMetavar("FILE"),
  Flag.withDescription("A SQLite store file (the same as --store sqlite:FILE)"),
  Flag.optional
)

export const storeFlag = Flag.String("store").pipe(
  Flag.withMetavar("STORE"),
  Flag.withDescription(
    "The store: a SQLite file (sqlite:FILE, or a path) or an EventStoreDB connection string (esdb://host:2113?tls=false)"
  ),
  Flag.optional
)

export const namespaceFlag = Flag.String("namespace").pipe(
  Flag.withMetavar("NAME"),
  Flag.withDescription("EventStoreDB only: the namespace the store's streams live in (see docs/eventstoredb.md)"),
  Flag.optional
)

const ESDB = /^esdb(\+discover)?:\/\//i

/** The store a `--store` value names. */
export const parseStore = (value: string, namespace: Option.Option<string>): Effect.Effect<StoreSpec, CliFailure> => {
  if (ESDB.test(value)) {
    return Effect.succeed({
      _tag: "EventStoreDB",
      connectionString: value,
      namespace: Option.getOrUndefined(namespace)
    })
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return Effect.fail(
      new CliFailure({
        message: `unknown store ${value}: pass a SQLite file (sqlite:FILE) or an EventStoreDB connection string (esdb://…)`
      })
    )
  }
  if (Option.isSome(namespace)) {
    return Effect.fail(new CliFailure({ message: "--namespace applies to an EventStoreDB store only" }))
  }
  return Effect.succeed({ _tag: "Sqlite", file: value.startsWith("sqlite:") ? value.slice("sqlite:".length) : value })
}

/** The store chosen by `--db` / `--store` (at most one of them), if any. */
export const chooseStore = (
  db: Option.Option<string>,
  store: Option.Option<string>,
  namespace: Option.Option<string>
): Effect.Effect<Option.Option<StoreSpec>, CliFailure> => {
  if (Option.isSome(db) && Option.isSome(store)) {
    return Effect.fail(new CliFailure({ message: "pass either --db or --store, not both" }))
  }
  const value = Option.isSome(db) ? Option.some(`sqlite:${db.value}`) : store
  return Option.match(value, {
    onNone: () =>
      Option.isSome(namespace)
        ? Effect.fail(new CliFailure({ message: "--namespace needs --store esdb://…" }))
        : Effect.succeed(Option.none()),
    onSome: (v) => Effect.map(parseStore(v, namespace), Option.some)
  })
}

/** As {@link chooseStore}, when the command needs a store. */
export const requireStore = (
  db: Option.Option<string>,
  store: Option.Option<string>,
  namespace: Option.Option<string>
): Effect.Effect<StoreSpec, CliFailure> =>
  Effect.flatMap(chooseStore(db, store, namespace), (spec) =>
    Option.isSome(spec)
      ? Effect.succeed(spec.value)
      : Effect.fail(new CliFailure({ message: "no store: pass --db FILE or --store STORE" }))
  )

/** How messages name a store: the file, or the connection string (and namespace). */
export const describeStore = (spec: StoreSpec): string =>
  spec._tag === "Sqlite"
    ? spec.file
    : `${spec.connectionString}${spec.namespace === undefined ? "" : ` (namespace ${spec.namespace})`}`

/** The flags that name `spec` again, for the hints a command prints. */
export const storeArguments = (spec: StoreSpec): string =>
  spec._tag === "Sqlite"
    ? `--db ${spec.file}`
    : `--store '${spec.connectionString}'${spec.namespace === undefined ? "" : ` --namespace ${spec.namespace}`}`

const loadFailure = (what: string) => (error: unknown) =>
  new CliFailure({ message: `could not load ${what}: ${error instanceof Error ? error.message : String(error)}` })

/**
 * The store `spec` names. `readonly`: a SQLite file must exist and is opened read-only (reading commands); an
 * EventStoreDB store is only read by such commands anyway.
 */
export const storeLayer = (
  spec: StoreSpec,
  options: { readonly readonly: boolean }
): Layer.Layer<EventStore, CliFailure | StoreError> =>
  Layer.unwrap(
    Effect.gen(function* () {
      if (spec._tag === "EventStoreDB") {
        const { EventStoreDB } = yield* Effect.tryPromise({
          try: () => import("durable-monad/eventstoredb"),
          catch: loadFailure("the EventStoreDB store")
        })
        return EventStoreDB.layer({
          connectionString: spec.connectionString,
          ...(spec.namespace === undefined ? {} : { namespace: spec.namespace })
        })
      }
      const { file } = spec
      if (options.readonly) {
        if (!existsSync(file)) return yield* new CliFailure({ message: `no database file: ${file}` })
        if (!statSync(file).isFile()) return yield* new CliFailure({ message: `not a database file: ${file}` })
      }
      const { SqliteStore } = yield* Effect.tryPromise({
        try: () => import("durable-monad/sqlite"),
        catch: loadFailure("the SQLite store")
      })
      return SqliteStore.layer({ file, readonly: options.readonly })
    })
  )

/** A runtime over the store `spec` names, for reading commands (a fresh one: nothing cached). */
export const readingRuntime = (spec: StoreSpec): Layer.Layer<WorkflowRuntime | EventStore, CliFailure | StoreError> =>
  Layer.fresh(WorkflowRuntime.layer).pipe(Layer.provideMerge(storeLayer(spec, { readonly: true })))
