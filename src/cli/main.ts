#!/usr/bin/env node
/**
 * The `durable-monad` command-line tool.
 *
 * Exit codes: 0 when the command succeeded (or help was asked for), 1 when an operation failed (a missing file, a
 * history that does not replay, a store error…), 2 on bad usage (unknown command or flag, missing or invalid
 * value), 130 when interrupted.
 */
import { Cause, Console, Effect, Exit, Layer, Logger } from "effect"
import { CliConfig, CliError, CliOutput, Command, GlobalFlag } from "effect/cli"
import { manifest } from "../package/manifest.js"
import { demo } from "./demo.js"
import { CliFailure, printable, style } from "./format.js"
import { inspect } from "./inspect.js"
import { TYPESCRIPT_LOADING } from "./loadWorkflow.js"
import * as NodeEnvironment from "./NodeEnvironment.js"
import { render } from "./render.js"
import { verify } from "./verify.js"

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const root = Command.make("durable-monad").pipe(
  Command.withDescription(
    `Durable, event-sourced workflows written as typed values: run the demo, inspect the instances in a database, draw a workflow and an instance's progress. A workflow is named as MODULE#EXPORT, a .js or .ts module of the application; ${TYPESCRIPT_LOADING}.`
  ),
  Command.withSubcommands([demo, inspect, render, verify]),
  Command.withExamples([
    {
      command: "durable-monad demo",
      description: "run the demo (pull requests, then withdrawals on a controlled clock) on a SQLite file"
    },
    { command: "durable-monad inspect examples/pull-request.ts#pullRequest --db .durable-monad/demo.db" },
    { command: "durable-monad render examples/pull-request.ts#pullRequest --format svg -o pull-request.svg" }
  ])
)

/**
 * Help goes to stdout. A usage error goes to stderr, so that a command whose output is piped never pipes it: the
 * error, then the usage of the command (its flags and subcommands, without the long description), then a hint.
 */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function* () {
      const formatter = yield* CliOutput.Formatter
      switch (event._tag) {
        case "Help":
          return yield* Console.log(formatter.formatHelpDoc(event.helpDoc))
        case "Version":
          return yield* Console.log(formatter.formatVersion(event.name, event.version))
        case "InvalidInvocation": {
          const { description: _, examples: __, globalFlags: ___, ...usage } = event.helpDoc
          yield* Console.error(`${formatter.formatErrors(event.errors).replace(/^\n+/, "")}\n`)
          yield* Console.error(formatter.formatHelpDoc({ ...usage, description: "" }))
          return yield* Console.error(`\nRun \`${event.commandPath.join(" ")} --help\` for more.`)
        }
      }
    })
}

/** Warnings the library logs (e.g. a step that failed after a signal was delivered) as plain lines on stderr. */
const logger = Logger.make((options) => {
  const message = Array.isArray(options.message) ? options.message.join(" ") : String(options.message)
  process.stderr.write(`${options.logLevel.toLowerCase()}: ${message}\n`)
})

const cliLayer = Layer.mergeAll(
  NodeEnvironment.layer,
  // No interactive wizard: this CLI never prompts.
  CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version, GlobalFlag.Completions, GlobalFlag.LogLevel] }),
  CliOutput.layerPresenter(presenter),
  Logger.layer([logger])
)

/** The exit code of a finished run, after printing an operation's failure (usage errors are already printed). */
export const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return EXIT_OK
  if (Cause.hasInterruptsOnly(exit.cause)) return 130
  const error = Cause.squash(exit.cause)
  if (CliError.isCliError(error)) {
    if (error._tag === "ShowHelp") return error.errors.length === 0 ? EXIT_OK : EXIT_USAGE
    if (error._tag !== "UserError") return EXIT_USAGE
  }
  const failure = Cause.findErrorOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    const message = e instanceof CliFailure ? e.message : e instanceof Error ? `${e.message}` : String(e)
    // Messages quote ids and step names from the store: never let them drive the terminal.
    process.stderr.write(`${style.red("error:")} ${message.split("\n").map(printable).join("\n")}\n`)
  } else {
    process.stderr.write(`${style.red("internal error:")} ${Cause.pretty(exit.cause)}\n`)
  }
  return EXIT_FAILED
}

export const main = (args: ReadonlyArray<string>): Promise<number> =>
  Effect.runPromiseExit(
    Command.runWith(root, { version: manifest()?.version ?? "unknown" })(args).pipe(Effect.provide(cliLayer))
  ).then(exitCode)

// A reader that goes away (`durable-monad demo | head`) is not an error of ours: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
    process.exit(process.exitCode ?? 0)
  })
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
