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
