import { MemoryStore } from "durable-monad"
import { storeContract } from "durable-monad/testing"
import { describe, it } from "vitest"

storeContract({ describe, it }, { name: "memory", makeLayer: () => MemoryStore.layer })
