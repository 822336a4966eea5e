// Entry point `durable-monad/sqlite`: kept apart so that users who do not use SQLite never load better-sqlite3.
export {}
