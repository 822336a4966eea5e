/** The pure machine: positions as data, `start` / `accept` to move them, `pending` to see what they wait for. */
export { accept, NonTerminating, start } from "./accept.js"
export {
  type Pending,
  type PendingSignal,
  type PendingStep,
  type PendingTimer,
  innermostLeaf,
  nextWakeUp,
  pending,
  stateOf,
  statusTag,
  wakeUpOf
} from "./pending.js"
export type { Active, Input, Position, Racing, Timer, Waiting } from "./Position.js"
export type { Trace, TraceEntry } from "./Trace.js"
