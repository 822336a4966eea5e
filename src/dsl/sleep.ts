import { Duration } from "effect"
import { InvalidDefinition } from "./InvalidDefinition.js"
import { makeNode, type SleepNode, type TimerSpec } from "./Node.js"
import { fromNode, type Workflow } from "./Workflow.js"

/** Options of {@link sleep}: a name, and one of `duration` or `until`. */
export type SleepOptions<S> = {
  readonly name: string
  /** Explicit stable id (journal and diagrams). Default: derived from `name`. */
  readonly id?: string
  readonly description?: string
} & (
  | {
      /** A fixed duration ("20 seconds", `Duration.minutes(2)`), or one computed from the state. */
      readonly duration: Duration.Input | ((state: S) => Duration.Input)
      /** What the diagram says for a computed duration (default: "computed"). */
      readonly label?: string
    }
  | {
      /** The date to sleep until, computed from the state (a date in the past fires at once). */
      readonly until: (state: S) => Date
      /** What the diagram says (default: "computed date"). */
      readonly label?: string
    }
)

const millisOf = (input: Duration.Input, name: string): number => {
  let ms: number
  try {
    ms = Duration.toMillis(Duration.fromInputUnsafe(input))
  } catch (cause) {
    throw new InvalidDefinition(`timer ${JSON.stringify(name)}: ${String(cause)}`)
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidDefinition(`timer ${JSON.stringify(name)}: the duration must be finite and not negative`)
  }
  return ms
}

/** An ISO 8601 duration (`P1DT2H`, `PT20S`, `PT0.5S`) of a number of milliseconds. */
export const isoDuration = (ms: number): string => {
  const days = Math.floor(ms / 86_400_000)
  let rest = ms - days * 86_400_000
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = rest / 1000
  const time = `${hours > 0 ? `${hours}H` : ""}${minutes > 0 ? `${minutes}M` : ""}${seconds > 0 ? `${seconds}S` : ""}`
  if (days === 0 && time === "") return "PT0S"
  return `P${days > 0 ? `${days}D` : ""}${time === "" ? "" : `T${time}`}`
}

/**
 * A durable timer: wait for a fixed duration, one computed from the state, or until a date. When the timer starts
 * its release time is recorded ("timer started"); when that time has passed, "timer fired" is recorded and the
 * workflow goes on with the state unchanged. A sleeping instance holds no memory and no fiber: the worker wakes it
 * from the store's wake-up projection, also after a restart (a timer that fell due meanwhile fires at once).
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const coolDown = Workflow.sleep({ name: "Cool down", duration: "20 seconds" })
 * const backoff = Workflow.sleep({ name: "Back off", duration: (s: { tries: number }) => 1000 * 2 ** s.tries, label: "2^tries s" })
 * const deadline = Workflow.sleep({ name: "Until due", until: (s: { due: Date }) => s.due, label: "due date" })
 * ```
 */
export const sleep = <S = unknown>(options: SleepOptions<S>): Workflow<S, S, never, never, S> => {
  let timer: TimerSpec
  let release: SleepNode["release"]
  if ("until" in options) {
    const until = options.until as (state: unknown) => Date
    timer = { _tag: "Date", label: options.label ?? "computed date" }
    release = (state) => {
      const at = until(state).getTime()
      if (!Number.isFinite(at)) throw new Error(`timer ${JSON.stringify(options.name)}: the date is invalid`)
      return at
    }
  } else if (typeof options.duration === "function") {
    const duration = options.duration as (state: unknown) => Duration.Input
    timer = { _tag: "ComputedDuration", label: options.label ?? "computed" }
    release = (state, now) => now + millisOf(duration(state), options.name)
  } else {
    const ms = millisOf(options.duration, options.name)
    timer = { _tag: "Duration", iso: isoDuration(ms) }
    release = (_, now) => now + ms
  }
  return fromNode(
    makeNode<SleepNode>({
      _tag: "Sleep",
      id: options.id,
      description: options.description,
      name: options.name,
      timer,
      release
    })
  )
}
