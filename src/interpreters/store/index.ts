export * from "./EventStore.js"
export * from "./errors.js"
export * as MemoryStore from "./MemoryStore.js"
