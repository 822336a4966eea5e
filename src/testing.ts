/**
 * `durable-monad/testing`: the EventStore contract suite, for checking a store backend (ours or your own) against
 * every rule the runtime relies on. Framework-agnostic: pass your test framework's `describe` and `it`.
 *
 * @example
 * ```ts
 * import { describe, it } from "vitest"
 * import { storeContract } from "durable-monad/testing"
 * import { MemoryStore } from "durable-monad"
 *
 * storeContract({ describe, it }, { name: "memory", makeLayer: () => MemoryStore.layer })
 * ```
 */
export * from "./testing/index.js"
