import { MemoryStore } from "../../../src/interpreters/store/index.js"
import { storeContract } from "./contract.js"

storeContract("memory", () => MemoryStore.layer)
