// Entry point `durable-monad/sqlite`: kept apart so that users who do not use SQLite never load better-sqlite3.
import { assertOneEffect } from "./package/effectCopies.js"

export * as SqliteStore from "./interpreters/store/SqliteStore.js"
export type { SqliteStoreOptions, Synchronous } from "./interpreters/store/SqliteStore.js"

assertOneEffect()
