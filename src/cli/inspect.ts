/**
 * `durable-monad inspect <module>#<export> --db FILE [--instance ID]`: the instances of a workflow in a database,
 * or the audit trail of one instance (every event, and the state after it, from a strict replay).
 */
import { Console, Effect, Option, Result, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import {
  type Definition,
  recordedAt,
  recordedStep,
  replay,
  type Status,
  type StoredEvent,
  WorkflowRuntime
} from "durable-monad"
import {
  CliFailure,
  describeStatus,
  indent,
  isoTime,
  oneLine,
  payload,
  pretty,
  printable,
  shallow,
  statusWord,
  style,
  table,
  tagOf
} from "./format.js"
import { historyOf, loadDefinition, openDatabase, replayFailure, workflowArgument } from "./loadWorkflow.js"

const stepOf = (e: StoredEvent): string => printable(recordedStep(e) ?? "?")

const timeOf = (e: StoredEvent): string => isoTime(recordedAt(e))

/** A status in a few words for a table cell (the step has its own column). */
const statusCell = (status: Status<unknown>): string => {
  switch (status._tag) {
    case "Waiting":
      return `${statusWord(status)} for ${printable(status.signals.join(" or "))}`
    case "Failed":
      return `${statusWord(status)}: ${tagOf(status.error)}`
    default:
      return statusWord(status)
  }
}

const listInstances = (definition: Definition.Any, db: string) =>
  Effect.gen(function* () {
    const runtime = yield* WorkflowRuntime
    const ids = yield* Stream.runCollect(runtime.list(definition))
    if (ids.length === 0) {
      yield* Console.log(`No instances of workflow ${definition.name} in ${db}.`)
      return
    }
    let broken = 0
    const rows: Array<Array<string>> = []
    for (const id of ids) {
      const loaded = yield* Effect.result(
        Effect.flatMap(runtime.get(definition, id), (instance) =>
          Effect.all({ status: instance.status, state: instance.state })
        )
      )
      if (Result.isSuccess(loaded)) {
        const { status, state } = loaded.success
        rows.push([printable(id), statusCell(status), "step" in status ? printable(status.step) : "", shallow(state)])
      } else {
        broken++
        rows.push([
          printable(id),
          style.red("does not load"),
          "",
          `${loaded.failure._tag}: ${oneLine(loaded.failure.message)}`
        ])
      }
    }
    yield* Console.log(`Instances of workflow ${definition.name} in ${db}:`)
    yield* Console.log("")
    yield* Console.log(indent(table(["instance", "status", "step", "state"], rows)).join("\n"))
    if (broken > 0) {
      return yield* new CliFailure({
        message: `${broken} of ${ids.length} instances could not be loaded; see \`--instance ID\` for the details of one`
      })
    }
  })

/** After printing what it can: an event whose time is out of Date range is a corrupt history, named by revision. */
const outOfRangeTimes = (stream: string, events: ReadonlyArray<StoredEvent>) => {
  const bad = events.filter((e) => Number.isNaN(recordedAt(e).getTime())).map((e) => e.revision)
  return bad.length === 0
    ? Effect.void
    : Effect.fail(
        new CliFailure({
          message: printable(
            `${stream}: the recorded time of the event${bad.length === 1 ? "" : "s"} at revision${bad.length === 1 ? "" : "s"} ${bad.join(", ")} is out of range`
          )
        })
      )
}

const auditTrail = (definition: Definition.Any, id: string, db: string) =>
  Effect.gen(function* () {
    const { stream, events } = yield* historyOf(definition, id, db)
    const rows = (entries: ReadonlyArray<StoredEvent>, states?: ReadonlyArray<unknown>) =>
      entries.map((e, i) => [
        String(e.revision),
        timeOf(e),
        stepOf(e),
        printable(e.type),
        payload(e.type, e.data),
        ...(states === undefined ? [] : [pretty(states[i])])
      ])

    yield* Console.log(printable(`Instance ${id} of workflow ${definition.name} (stream ${stream}) in ${db}`))
    const result = replay(definition, stream, events, { timeline: true })
    if (Result.isFailure(result)) {
      yield* Console.log("")
      yield* Console.log("Recorded events (as stored; they could not all be replayed):")
      yield* Console.log(indent(table(["rev", "time", "step", "type", "payload"], rows(events))).join("\n"))
      return yield* replayFailure(result.failure)
    }
    const r = result.success
    yield* Console.log(
      r.fingerprint.recorded === r.fingerprint.current
        ? `Definition: unchanged since the instance started (fingerprint ${r.fingerprint.current})`
        : `Definition: changed since the instance started (fingerprint then ${r.fingerprint.recorded || "unknown"}, now ${r.fingerprint.current}); the history still replays`
    )
    yield* Console.log("")
    yield* Console.log(
      indent(
        table(
          ["rev", "time", "step", "type", "payload", "state after"],
          rows(
            events,
            r.timeline.map((t) => t.state)
          )
        )
      ).join("\n")
    )
    yield* Console.log("")
    yield* Console.log(`Status: ${describeStatus(r.status)}`)
    yield* Console.log(`State:  ${pretty(r.state)}`)
    yield* outOfRangeTimes(stream, events)
  })

export const inspect = Command.make(
  "inspect",
  {
    workflow: workflowArgument,
    db: Flag.String("db").pipe(Flag.withMetavar("FILE"), Flag.withDescription("The SQLite database file to read")),
    instance: Flag.String("instance").pipe(
      Flag.withMetavar("ID"),
      Flag.withDescription("Show this instance's audit trail (every event and the state after it)"),
      Flag.optional
    )
  },
  ({ workflow, db, instance }) =>
    Effect.gen(function* () {
      const definition = yield* loadDefinition(workflow, "inspect")
      yield* Option.match(instance, {
        onNone: () => listInstances(definition, db),
        onSome: (id) => auditTrail(definition, id, db)
      })
    }).pipe(Effect.provide(openDatabase(db)))
).pipe(
  Command.withShortDescription("List a workflow's instances in a database, or one instance's audit trail"),
  Command.withDescription(
    "List the instances of a workflow in a database with their status, or show one instance's audit trail: every recorded event (revision, time, step, type, payload) and the state after it, from a strict replay."
  ),
  Command.withExamples([
    { command: "durable-monad inspect examples/pull-request.ts#pullRequest --db .durable-monad/demo.db" },
    {
      command:
        "durable-monad inspect examples/pull-request.ts#pullRequest --db .durable-monad/demo.db --instance approved"
    }
  ])
)
