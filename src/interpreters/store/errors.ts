import { Data } from "effect"

/** An append found the stream at another revision than expected: someone else wrote first. */
export class WrongExpectedRevision extends Data.TaggedError("WrongExpectedRevision")<{
  readonly stream: string
  readonly expected: number
  /** The stream's actual last revision (-1 when it does not exist). */
  readonly actual: number
}> {
  override get message(): string {
    return `stream ${this.stream}: expected revision ${this.expected}, found ${this.actual}`
  }
}

/** The store could not do what was asked (I/O, corrupt file, lock timeout, …). Nothing was written. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: "open" | "append" | "read" | "list" | "subscribe" | "registry" | "lease" | "close"
  readonly stream?: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.operation}${this.stream === undefined ? "" : ` ${this.stream}`}: ${this.reason}`
  }
}

/**
 * What a store found damaged: an event whose checksum does not match, a revision out of place, a registry row that
 * disagrees with its stream. Carried as the `cause` of a `StoreError` (see {@link isCorruption}); never skipped.
 */
export class StoreCorruption extends Data.TaggedError("StoreCorruption")<{
  readonly stream: string
  /** The revision of the damaged event, or of the last event the check expected. */
  readonly revision: number
  readonly reason: string
}> {
  override get message(): string {
    return `${this.stream}@${this.revision}: ${this.reason}`
  }
}

/** A StoreError that reports damage in the store (as opposed to I/O, locks or an unreachable server). */
export const isCorruption = (error: unknown): error is StoreError & { readonly cause: StoreCorruption } =>
  error instanceof StoreError && error.cause instanceof StoreCorruption

/** The StoreError for damage found at `stream`@`revision` of the store `where` (a file, a server). */
export const corruption = (
  operation: StoreError["operation"],
  where: string,
  corrupt: { readonly stream: string; readonly revision: number; readonly reason: string }
): StoreError =>
  new StoreError({
    operation,
    stream: corrupt.stream,
    reason: `${where} is damaged: ${corrupt.stream}@${corrupt.revision}: ${corrupt.reason}`,
    cause: new StoreCorruption(corrupt)
  })
