/**
 * The registry projection: what the store knows about an instance, as a pure function of its stream's events. One
 * function, so every backend (in the append transaction, in memory, or from a catch-up subscription) derives the
 * same rows from the same log.
 *
 * The runtime writes, into the metadata of every event it appends, the instance's status after that event and its
 * next wake-up (see {@link ProjectedMetadata}); the store reads nothing else of the event.
 */
import type { InstanceRecord, StoredEvent } from "./EventStore.js"

/** The metadata fields the registry reads. Written by the runtime on every event. */
export interface ProjectedMetadata {
  /** The instance's status after this event (the runtime's `Status` tag). Missing: `"Unknown"`. */
  readonly status?: string
  /** When the instance wants to be woken after this event, ms since the epoch; missing or null for never. */
  readonly wakeAt?: number | null
}

/** A stream's workflow and instance id: the text before and after the first `-` (EventStoreDB's category rule). */
export const parseStream = (stream: string): { readonly workflow: string; readonly instanceId: string } | undefined => {
  const dash = stream.indexOf("-")
  return dash <= 0 || dash === stream.length - 1
    ? undefined
    : { workflow: stream.slice(0, dash), instanceId: stream.slice(dash + 1) }
}

const statusOf = (metadata: unknown): string => {
  const status = (metadata as ProjectedMetadata | null)?.status
  return typeof status === "string" && status !== "" ? status : "Unknown"
}

const wakeAtOf = (metadata: unknown): number | undefined => {
  const wakeAt = (metadata as ProjectedMetadata | null)?.wakeAt
  return typeof wakeAt === "number" && Number.isFinite(wakeAt) ? wakeAt : undefined
}

/**
 * The registry row after `event`, given the row before it (undefined for a stream's first event). Returns the
 * previous row unchanged for an event it has already seen (a re-delivered event of a subscription), and undefined
 * for a stream that is not an instance's (no `-`).
 */
export const projectInstance = (
  previous: InstanceRecord | undefined,
  event: StoredEvent
): InstanceRecord | undefined => {
  if (previous !== undefined && event.revision <= previous.revision) return previous
  const names = parseStream(event.stream)
  if (names === undefined) return previous
  return {
    stream: event.stream,
    workflow: names.workflow,
    instanceId: names.instanceId,
    status: statusOf(event.metadata),
    revision: event.revision,
    position: event.position,
    created: previous?.created ?? event.created,
    updated: event.created,
    wakeAt: wakeAtOf(event.metadata)
  }
}
