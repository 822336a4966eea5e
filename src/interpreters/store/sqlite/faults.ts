import { StoreError } from "../errors.js"
import { isBusy, isSqliteError } from "./driver.js"

type Operation = StoreError["operation"]

/**
 * A sentence for a fault, always naming the database file: a user with several stores (or a CI log) must be able
 * to tell which file is locked, full or damaged without a stack trace.
 */
export const describeFault = (file: string, cause: unknown): string => {
  if (!isSqliteError(cause)) {
    return `${file}: ${cause instanceof Error ? cause.message : String(cause)}`
  }
  const detail = `${cause.message} (${cause.code})`
  const code = cause.code
  if (code === "SQLITE_NOTADB") return `${file} is not a SQLite database, or it is encrypted: ${detail}`
  if (code.startsWith("SQLITE_CORRUPT")) return `${file} is corrupt: ${detail}`
  if (code === "SQLITE_FULL") return `${file}: the database or the disk is full: ${detail}`
  if (code.startsWith("SQLITE_IOERR")) return `${file}: I/O error: ${detail}`
  if (code.startsWith("SQLITE_CANTOPEN")) return `${file} cannot be opened: ${detail}`
  if (code.startsWith("SQLITE_READONLY")) return `${file} is read-only: ${detail}`
  if (code === "SQLITE_TOOBIG") return `${file}: an event is larger than SQLite allows: ${detail}`
  if (isBusy(cause)) return `${file} is locked by another connection: ${detail}`
  return `${file}: ${detail}`
}

export const storeError = (
  operation: Operation,
  file: string,
  cause: unknown,
  stream: string | undefined = undefined
): StoreError =>
  cause instanceof StoreError
    ? cause
    : new StoreError({
        operation,
        ...(stream === undefined ? {} : { stream }),
        reason: describeFault(file, cause),
        cause
      })

export const lockedError = (operation: Operation, file: string, waitedMs: number, stream?: string): StoreError =>
  new StoreError({
    operation,
    ...(stream === undefined ? {} : { stream }),
    reason: `${file} is locked by another connection; gave up after waiting ${waitedMs} ms (busyTimeoutMs)`
  })
