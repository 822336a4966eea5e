import type { Position } from "../EventStore.js"
import type { WirePosition } from "./client.js"

// EventStoreDB orders $all by (commit, prepare), two uint64s; packing them as commit·2⁶⁴ + prepare keeps that
// order under `<` and makes a store Position (one bigint) that converts back exactly.
const SHIFT = 64n
const LOW = (1n << SHIFT) - 1n

/** The store position of a server position. */
export const packPosition = (position: WirePosition): Position => (position.commit << SHIFT) | position.prepare

/** The server position of a store position read from this adapter. */
export const unpackPosition = (position: Position): WirePosition => ({
  commit: position >> SHIFT,
  prepare: position & LOW
})

/** What servers send in place of a position they do not have (uint64 max, i.e. -1 as a .NET long). */
export const isNoPosition = (position: WirePosition | undefined): boolean =>
  position === undefined || position.commit === LOW || position.prepare === LOW
