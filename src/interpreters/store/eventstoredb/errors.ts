import { Data } from "effect"
import { StoreError } from "../errors.js"
import { GatewayError } from "./client.js"

/**
 * EventStoreDB could not be reached, or did not answer within the adapter's deadline. It travels as the `cause` of
 * the `StoreError` every store operation fails with, so code written against any store still sees a `StoreError`,
 * and code that wants to tell "the database is down, retry later" apart checks {@link isUnavailable}.
 */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  /** The server's address as given in the connection string (credentials removed). */
  readonly server: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `EventStoreDB at ${this.server} is unavailable: ${this.reason}`
  }
}

/** Whether a store failure means that EventStoreDB was unreachable or did not answer in time. */
export const isUnavailable = (error: unknown): boolean =>
  error instanceof StoreError && error.cause instanceof StoreUnavailable

export type Operation = StoreError["operation"]

/** The StoreError of a failed gateway call. */
export const storeError = (server: string, operation: Operation, stream: string | undefined, error: unknown) => {
  const where = stream === undefined ? {} : { stream }
  if (error instanceof GatewayError && error.kind === "unavailable") {
    const cause = new StoreUnavailable({ server, reason: error.message, cause: error.cause })
    return new StoreError({ operation, ...where, reason: cause.message + unknownOutcome(operation), cause })
  }
  const reason = error instanceof Error ? error.message : String(error)
  return new StoreError({ operation, ...where, reason, cause: error instanceof GatewayError ? error.cause : error })
}

// An append cut off in flight may have landed; its deterministic event ids make the retry a no-op if it did.
const unknownOutcome = (operation: Operation) =>
  operation === "append" ? " (the append may or may not have been written: retrying it is safe)" : ""

/** The StoreError of a call that did not answer within `timeoutMs`. */
export const timedOut = (server: string, operation: Operation, stream: string | undefined, timeoutMs: number) => {
  const cause = new StoreUnavailable({ server, reason: `no answer within ${timeoutMs} ms` })
  const where = stream === undefined ? {} : { stream }
  return new StoreError({ operation, ...where, reason: cause.message + unknownOutcome(operation), cause })
}

/** Hide the password of `esdb://user:password@host:port?…` in messages. */
export const serverOf = (connectionString: string): string => {
  const match = /^esdb(?:\+discover)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(connectionString)
  return match?.[1] ?? "(invalid connection string)"
}
