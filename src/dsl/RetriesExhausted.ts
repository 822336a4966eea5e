import { Schema } from "effect"

/**
 * What a retry policy's `Schedule` is stepped with, once per failed attempt: the attempt's number (1-based), the
 * failure's message, and its `_tag` when the error has one. These are what the journal records, so a restarted
 * worker steps the Schedule with exactly the same inputs (and times) as the worker that recorded them.
 */
export interface RetryInput {
  readonly attempt: number
  readonly error: string
  readonly tag: string | undefined
}

/** The attempts of a step with a retry policy ran out: raised as the step's typed error (it reaches `catch`). */
export class RetriesExhausted extends Schema.TaggedError<RetriesExhausted>()("RetriesExhausted", {
  /** The step's id. */
  step: Schema.String,
  attempts: Schema.Number,
  /** The last attempt's failure. */
  error: Schema.String
}) {}
