import type { EventData, ExpectedRevision, StoredEvent } from "./EventStore.js"

/**
 * What an append must do, given the events already at the revisions it targets. Shared by the stores that
 * implement the rules themselves (memory, SQLite) so they agree with EventStoreDB, which implements them natively.
 *
 * - `write`: the stream is at `expected`, append.
 * - `duplicate`: the same event ids already sit at `expected + 1 …` — a retried append; succeed, write nothing.
 * - `conflict`: anything else.
 */
export const decideAppend = (
  expected: ExpectedRevision,
  actual: number,
  events: ReadonlyArray<EventData>,
  storedAt: (revision: number) => Pick<StoredEvent, "id"> | undefined
): "write" | "duplicate" | "conflict" => {
  if (actual === expected) return "write"
  if (events.length === 0 || actual < expected + events.length) return "conflict"
  for (let i = 0; i < events.length; i++) {
    if (storedAt(expected + 1 + i)?.id !== events[i]!.id) return "conflict"
  }
  return "duplicate"
}

/** Page size for streamed reads: large enough to amortise per-page overhead, small enough to keep memory flat. */
export const READ_PAGE_SIZE = 1024
