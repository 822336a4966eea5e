// Entry point `durable-monad/eventstoredb`: kept apart so that users who do not use EventStoreDB never load gRPC.
// `@eventstore/db-client` is an optional peer dependency: install it next to durable-monad to use this entry.
import { assertOneEffect } from "./package/effectCopies.js"

export * as EventStoreDB from "./interpreters/store/EventStoreDB.js"
export type { EventStoreDBOptions } from "./interpreters/store/EventStoreDB.js"
export { isUnavailable, StoreUnavailable } from "./interpreters/store/eventstoredb/errors.js"

assertOneEffect()
