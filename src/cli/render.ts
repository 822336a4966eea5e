/**
 * `durable-monad render <module>#<export> --format bpmn|svg|mermaid [-o FILE] [--db FILE --instance ID]`: draw a
 * workflow, and with `--db/--instance` the progress of one of its instances on top.
 */
import { dirname } from "node:path"
import { Console, Effect, FileSystem, Option, Result } from "effect"
import { Command, CliError, Flag } from "effect/cli"
import { MissingDependencyError, type Progress, replay, toModel, toProgress, type WorkflowModel } from "durable-monad"
import { installSpec, peerRange } from "../package/optionalDependency.js"
import { CliFailure } from "./format.js"
import {
  historyOf,
  type Loaded,
  loadWorkflow,
  notADefinition,
  openDatabase,
  replayFailure,
  workflowArgument
} from "./loadWorkflow.js"

export type Format = "bpmn" | "svg" | "mermaid"

export const FORMATS: ReadonlyArray<Format> = ["bpmn", "svg", "mermaid"]

const DESCRIBE: Readonly<Record<Format, string>> = {
  bpmn: "BPMN 2.0 XML",
  svg: "SVG",
  mermaid: "Mermaid flowchart"
}

/** The renderers, loaded on first use (only drawing needs them). */
const renderers = Effect.promise(() => import("durable-monad/render"))

/** The optional peer dependencies each format needs (Mermaid none). */
export const DRAWING_NEEDS: Readonly<Record<Format, ReadonlyArray<string>>> = {
  bpmn: ["bpmn-moddle"],
  svg: [],
  mermaid: []
}

/** Every missing dependency of a format at once, so that one `npm install` fixes it (the renderers stop at the first). */
const missingFor = (format: Format): Option.Option<CliFailure> => {
  const missing = DRAWING_NEEDS[format].filter((name) => {
    try {
      import.meta.resolve(name)
      return false
    } catch {
      return true
    }
  })
  if (missing.length === 0) return Option.none()
  const feature = `drawing ${DESCRIBE[format]}`
  const [only] = missing
  if (missing.length === 1 && only !== undefined) {
    return Option.some(
      new CliFailure({
        message: new MissingDependencyError({ dependency: only, range: peerRange(only), feature }).message
      })
    )
  }
  return Option.some(
    new CliFailure({
      message: `${feature} needs ${missing.join(" and ")}, optional dependencies of durable-monad that are not installed: npm install ${missing.map((name) => installSpec(name, peerRange(name))).join(" ")}`
    })
  )
}

/** A renderer's MissingDependencyError stays typed (the demo skips the format); anything else is a defect. */
const drawing = (render: () => Promise<string>): Effect.Effect<string, MissingDependencyError> =>
  Effect.tryPromise({ try: render, catch: (error) => error }).pipe(
    Effect.catch((error) => (error instanceof MissingDependencyError ? Effect.fail(error) : Effect.die(error)))
  )

/**
 * Draw a model in a format, with an instance's progress when given. BPMN fails with a MissingDependencyError when
 * bpmn-moddle is not installed.
 */
export const draw = (
  model: WorkflowModel,
  format: Format,
  progress: Progress | undefined
): Effect.Effect<string, MissingDependencyError> =>
  Effect.flatMap(renderers, ({ toBpmn, toMermaid, toSvg }) => {
    const options = progress === undefined ? {} : { progress }
    switch (format) {
      case "bpmn":
        return drawing(() => toBpmn(model, options))
      case "svg":
        return drawing(() => toSvg(model, options))
      case "mermaid":
        return Effect.sync(() => toMermaid(model, options))
    }
  })

/** Text files end with a newline. */
export const asFile = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`)

/** Write a text file, creating its directory. */
export const writeText = (file: string, text: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(dirname(file), { recursive: true })
    yield* fs.writeFileString(file, asFile(text))
  }).pipe(Effect.mapError((e) => new CliFailure({ message: `could not write ${file}: ${e.message}` })))

const progressOf = (loaded: Loaded, spec: string, db: string, id: string) =>
  Effect.gen(function* () {
    if (loaded._tag !== "Definition") {
      return yield* new CliFailure({ message: notADefinition(spec, "drawing an instance's progress") })
    }
    const definition = loaded.value
    const { stream, events } = yield* historyOf(definition, id, db)
    const result = replay(definition, stream, events)
    if (Result.isFailure(result)) return yield* replayFailure(result.failure)
    return toProgress(toModel(definition), result.success)
  }).pipe(Effect.provide(openDatabase(db)))

export const render = Command.make(
  "render",
  {
    workflow: workflowArgument,
    format: Flag.Literals("format", FORMATS).pipe(
      Flag.withAlias("f"),
      Flag.withMetavar("FORMAT"),
      Flag.withDescription(
        "bpmn: BPMN 2.0 XML, laid out (bpmn.io, Camunda Modeler); svg: an image; mermaid: a flowchart"
      )
    ),
    output: Flag.String("output").pipe(
      Flag.withAlias("o"),
      Flag.withMetavar("FILE"),
      Flag.withDescription("Write the diagram to FILE (its directory is created) instead of stdout"),
      Flag.optional
    ),
    db: Flag.String("db").pipe(
      Flag.withMetavar("FILE"),
      Flag.withDescription("The SQLite database holding the instance (with --instance)"),
      Flag.optional
    ),
    instance: Flag.String("instance").pipe(
      Flag.withMetavar("ID"),
      Flag.withDescription("Draw this instance's progress: done, current, failed, not reached (with --db)"),
      Flag.optional
    )
  },
  ({ workflow, format, output, db, instance }) =>
    Effect.gen(function* () {
      const missing = missingFor(format)
      if (Option.isSome(missing)) return yield* missing.value
      const loaded = yield* loadWorkflow(workflow)
      const model = toModel(loaded.value)
      const progress =
        Option.isSome(db) && Option.isSome(instance)
          ? yield* progressOf(loaded, workflow, db.value, instance.value)
          : undefined
      const text = yield* Effect.mapError(draw(model, format, progress), (e) => new CliFailure({ message: e.message }))
      if (Option.isNone(output)) {
        yield* Effect.promise(() => new Promise<void>((resolve) => process.stdout.write(asFile(text), () => resolve())))
        return
      }
      yield* writeText(output.value, text)
      yield* Console.log(
        `Wrote ${output.value}: ${DESCRIBE[format]} of ${loaded.name}${Option.isSome(instance) ? `, with the progress of instance ${instance.value}` : ""}`
      )
    })
).pipe(
  Command.validate(({ db, instance }) =>
    Option.isSome(db) === Option.isSome(instance)
      ? Effect.void
      : Effect.fail(
          new CliError.ValidationError({
            message: "--db and --instance go together: the database and the instance whose progress to draw"
          })
        )
  ),
  Command.withShortDescription("Draw a workflow as BPMN, SVG or Mermaid, optionally with an instance's progress"),
  Command.withDescription(
    "Draw a workflow (a definition or a plain Workflow export) as BPMN, SVG or Mermaid, and with --db and --instance that instance's progress on it."
  ),
  Command.withExamples([
    { command: "durable-monad render examples/pull-request.ts#pullRequest --format svg -o pull-request.svg" },
    {
      command:
        "durable-monad render examples/pull-request.ts#pullRequest --format bpmn --db .durable-monad/demo.db --instance in-review -o in-review.bpmn"
    }
  ])
)
