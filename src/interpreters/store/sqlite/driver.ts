/**
 * The slice of better-sqlite3 (12.x) that the SQLite store uses, typed here because the package ships no types
 * and `@types/better-sqlite3` is not a dependency. Loaded lazily, on first open: importing `durable-monad/sqlite`
 * (or a barrel that re-exports it) must not load the native addon for users who never open a database.
 */
import { createRequire } from "node:module"

export interface RunResult {
  readonly changes: number
  readonly lastInsertRowid: number | bigint
}

export interface Statement<Row = unknown> {
  run(...params: ReadonlyArray<unknown>): RunResult
  get(...params: ReadonlyArray<unknown>): Row | undefined
  all(...params: ReadonlyArray<unknown>): Array<Row>
  iterate(...params: ReadonlyArray<unknown>): IterableIterator<Row>
}

export interface Database {
  prepare<Row = unknown>(sql: string): Statement<Row>
  exec(sql: string): Database
  pragma(source: string, options?: { readonly simple?: boolean }): unknown
  close(): Database
  readonly inTransaction: boolean
  readonly open: boolean
  readonly name: string
}

export interface DatabaseOptions {
  /** SQLite's busy handler, in ms. It blocks the thread while it waits, so the store passes 0 and waits itself. */
  readonly timeout?: number
  readonly readonly?: boolean
  readonly fileMustExist?: boolean
}

export type DatabaseConstructor = new (file: string, options?: DatabaseOptions) => Database

/** What better-sqlite3 throws for an SQLite result code: `code` is e.g. `SQLITE_BUSY`, `SQLITE_IOERR_WRITE`. */
export interface SqliteError extends Error {
  readonly code: string
}

export const isSqliteError = (u: unknown): u is SqliteError =>
  u instanceof Error && u.name === "SqliteError" && typeof (u as { code?: unknown }).code === "string"

/** Another connection holds the lock we need (SQLITE_BUSY*, or SQLITE_LOCKED* within a shared cache). */
export const isBusy = (u: unknown): boolean =>
  isSqliteError(u) && (u.code.startsWith("SQLITE_BUSY") || u.code.startsWith("SQLITE_LOCKED"))

let driver: DatabaseConstructor | undefined

/** Throws when better-sqlite3 or its native addon cannot be loaded; the caller turns that into a StoreError. */
export const loadDriver = (): DatabaseConstructor =>
  (driver ??= createRequire(import.meta.url)("better-sqlite3") as DatabaseConstructor)
