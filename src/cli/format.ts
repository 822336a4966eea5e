/**
 * How the CLI shows things: aligned tables, values in a compact readable form, statuses in plain words, optional
 * colour — and the one error type its commands fail with.
 */
import { Data } from "effect"
import type { JournalEntry, Status } from "durable-monad"

/**
 * An operation of the CLI failed (exit code 1): a missing file, an export that is not a workflow, a history that
 * does not replay… `message` is shown as is, after "error: ".
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string }> {}

// ---- colour ----

/** Colour only when stdout is a terminal and NO_COLOR is not set (https://no-color.org). */
export const colorsEnabled = (): boolean =>
  process.stdout.isTTY === true && (process.env.NO_COLOR === undefined || process.env.NO_COLOR === "")

const sgr = (open: number, close: number) => (text: string) =>
  colorsEnabled() ? `\u001b[${open}m${text}\u001b[${close}m` : text

export const style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g

/** Display width of a string (ignoring colour codes). */
export const width = (text: string): number => text.replace(ANSI, "").length

// ---- untrusted text ----

// C0 controls, DEL, C1 controls (U+009B is a one-character CSI) and the bidirectional overrides that can make a line
// read differently from what it holds.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Text from a store (ids, step ids, types, messages quoting them) made safe for a terminal: control characters are
 * shown as `\uXXXX` escapes instead of reaching the terminal, where `ESC [2J` would clear the operator's screen.
 */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** An instant as ISO-8601, or a placeholder for a date out of range (which `toISOString` throws on). */
export const isoTime = (date: Date): string =>
  Number.isNaN(date.getTime()) ? "(time out of range)" : date.toISOString()

// ---- tables ----

/**
 * Rows aligned in columns (two spaces apart), with a header line. The last column is not padded, so long values
 * (payloads, states) run on without pushing the others. Cells are single-line.
 */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const all = [headers, ...rows]
  const widths = headers.map((_, i) => Math.max(...all.map((row) => width(row[i] ?? ""))))
  const line = (row: ReadonlyArray<string>, styleCell: (s: string) => string = (s) => s) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - width(cell))))
      .map(styleCell)
      .join("  ")
      .trimEnd()
  return [line(headers, style.dim), ...rows.map((row) => line(row))]
}

/** Indent every line. */
export const indent = (lines: ReadonlyArray<string>, by = "  "): Array<string> => lines.map((l) => by + l)

// ---- values ----

const isTagged = (u: unknown): u is { readonly _tag: string } =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

const fields = (o: object, skipTag: boolean, depth = 0): string => {
  const entries = Object.entries(o).filter(([k, v]) => !(skipTag && k === "_tag") && v !== undefined)
  return entries.length === 0
    ? "{}"
    : `{ ${entries.map(([k, v]) => `${key(k)}: ${prettyAt(v, depth + 1)}`).join(", ")} }`
}

const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : printable(JSON.stringify(k)))

/** Values nested deeper than this are shown as `…`: a row nested 50,000 deep must not overflow the stack. */
const MAX_DEPTH = 32

/**
 * A value on one line, readable: tagged objects (states, events, errors) as `Tag { field: value }` (just `Tag` when
 * they have no fields), strings quoted, other objects and arrays in JS-like notation.
 *
 * @example pretty(new Checked({ commit: "a1b2c3", results: "ok" })) // Checked { commit: "a1b2c3", results: "ok" }
 */
export const pretty = (value: unknown): string => prettyAt(value, 0)

const prettyAt = (value: unknown, depth: number): string => {
  if (value === null || value === undefined) return String(value)
  if (typeof value === "string") return printable(JSON.stringify(value))
  if (typeof value === "bigint") return `${value}n`
  if (typeof value !== "object") return String(value)
  if (value instanceof Date) return isoTime(value)
  if (depth >= MAX_DEPTH) return "…"
  if (Array.isArray(value)) return `[${value.map((v) => prettyAt(v, depth + 1)).join(", ")}]`
  if (isTagged(value)) {
    const rest = fields(value, true, depth)
    return rest === "{}" ? printable(value._tag) : `${printable(value._tag)} ${rest}`
  }
  return fields(value, false, depth)
}

/**
 * A value on one line with nested tagged values shortened to their tag, when the full form is long:
 * `Closed { previous: Checked, reason: ReviewRejected }`.
 */
export const shallow = (value: unknown, max = 60): string => {
  const full = pretty(value)
  if (full.length <= max || !isTagged(value)) return full
  const entries = Object.entries(value).filter(([k, v]) => k !== "_tag" && v !== undefined)
  return `${printable(value._tag)} { ${entries.map(([k, v]) => `${key(k)}: ${isTagged(v) ? printable(v._tag) : pretty(v)}`).join(", ")} }`
}

/** A message on one line (schema issues span several). */
export const oneLine = (text: string): string => printable(text.replace(/\s*\n\s*/g, " "))

/** A recorded payload; its `_tag` is left out when it only repeats the event type shown next to it. */
export const payload = (type: string, data: unknown): string =>
  isTagged(data) && data._tag === type ? fields(data, true) : pretty(data)

/** Only the tag of a tagged value (a state's name), else the value itself. */
export const tagOf = (value: unknown): string => (isTagged(value) ? printable(value._tag) : pretty(value))

// ---- statuses ----

const errorText = (error: unknown): string => {
  if (!isTagged(error)) return String(error)
  const shown = pretty(error)
  // An Error's message is not an own enumerable field, so the tagged view leaves it out: it is what says why.
  return error instanceof Error && error.message.length > 0 && !shown.includes(JSON.stringify(error.message))
    ? `${shown} ${JSON.stringify(error.message)}`
    : shown
}

/** A status in plain words, e.g. "waiting for ReviewPR at step review-pr". */
export const describeStatus = (status: Status<unknown>): string => printable(describeRaw(status))

const describeRaw = (status: Status<unknown>): string => {
  switch (status._tag) {
    case "Waiting":
      return `waiting for ${status.signals.join(" or ")} at step ${status.step}`
    case "Running":
      // The library's message repeats the stream and the step: keep the reason.
      return status.lastError === undefined
        ? `running: step ${status.step} is next`
        : `stuck at step ${status.step}, last attempt failed: ${oneLine(status.lastError)}`
    case "Completed":
      return "completed"
    case "Failed":
      return `failed at step ${status.step}: ${errorText(status.error)}`
  }
}

/** The status as one word, coloured when colours are on. */
export const statusWord = (status: Status<unknown>): string => {
  switch (status._tag) {
    case "Waiting":
      return style.cyan("waiting")
    case "Running":
      return status.lastError === undefined ? style.yellow("running") : style.red("stuck")
    case "Completed":
      return style.green("completed")
    case "Failed":
      return style.red("failed")
  }
}

// ---- journals ----

/** A journal as a table: revision, step, type, payload. */
export const journalTable = (journal: ReadonlyArray<JournalEntry>): Array<string> =>
  table(
    ["rev", "step", "type", "payload"],
    journal.map((e) => [String(e.revision), printable(e.step), printable(e.type), payload(e.type, e.data)])
  )

/** A section heading: a blank line, then the title underlined. */
export const heading = (title: string): Array<string> => ["", style.bold(title), style.dim("─".repeat(width(title)))]
