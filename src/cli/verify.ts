/**
 * `durable-monad verify --store FILE`: check a whole store — SQLite's integrity check, every event's checksum,
 * contiguous revisions, the registry against the streams — and exit 1 on any problem.
 */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { CliFailure, printable } from "./format.js"
import { sqliteStore } from "./loadWorkflow.js"

/** The SQLite file a `--store` value names: a path, or `sqlite:PATH`. */
const sqliteFile = (store: string): Effect.Effect<string, CliFailure> => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(store)) {
    return Effect.fail(
      new CliFailure({ message: `verify checks SQLite store files; ${store} is not one (pass a file or sqlite:FILE)` })
    )
  }
  return Effect.succeed(store.startsWith("sqlite:") ? store.slice("sqlite:".length) : store)
}

export const verify = Command.make(
  "verify",
  {
    store: Flag.String("store").pipe(
      Flag.withMetavar("FILE"),
      Flag.withDescription("The store to check: a SQLite file (or sqlite:FILE)")
    )
  },
  ({ store }) =>
    Effect.gen(function* () {
      const file = yield* sqliteFile(store)
      const SqliteStore = yield* sqliteStore
      const report = yield* SqliteStore.verify(file).pipe(
        Effect.mapError((e) => new CliFailure({ message: e.message }))
      )
      const counts = `${report.events} events in ${report.streams} streams, ${report.instances} instances in the registry`
      if (report.problems.length === 0) {
        yield* Console.log(printable(`${file}: ok (${counts})`))
        return
      }
      yield* Console.log(printable(`${file}: ${counts}`))
      for (const p of report.problems) {
        const where = p.stream === undefined ? "" : `${p.stream}${p.revision === undefined ? "" : `@${p.revision}`}: `
        yield* Console.log(printable(`  ${where}${p.problem}`))
      }
      return yield* new CliFailure({
        message: `${file}: ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"} found`
      })
    })
).pipe(
  Command.withShortDescription("Check a store: checksums, revisions, registry, SQLite integrity"),
  Command.withDescription(
    "Check a whole store without changing it: SQLite's integrity check, every event's checksum and JSON, contiguous revisions from 0 in every stream, and the instance registry against the streams. Exits 1 when anything is wrong, listing each problem with its stream and revision."
  ),
  Command.withExamples([{ command: "durable-monad verify --store .durable-monad/demo.db" }])
)
