import type { InstanceRecord } from "../EventStore.js"

/**
 * A registry row as SQLite holds it: the SQLite store's `instances` table, and the EventStoreDB store's local
 * projection (which keeps positions as text: EventStoreDB's packed positions exceed 2^53).
 */
export interface RegistryRow {
  readonly stream: string
  readonly workflow: string
  readonly instance_id: string
  readonly status: string
  readonly revision: number
  readonly position: number | string
  readonly created: number
  readonly updated: number
  readonly wake_at: number | null
}

export const recordOf = (row: RegistryRow): InstanceRecord => ({
  stream: row.stream,
  workflow: row.workflow,
  instanceId: row.instance_id,
  status: row.status,
  revision: row.revision,
  position: BigInt(row.position),
  created: row.created,
  updated: row.updated,
  wakeAt: row.wake_at ?? undefined
})
