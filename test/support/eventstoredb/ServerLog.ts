// The test server's storage: streams and the global log ($all) in memory, with EventStoreDB's append rules.
// Kept apart from the gRPC layer so the rules read as rules, not as protobuf plumbing.

/** A position in $all. As in EventStoreDB, every event of one append shares the commit position (the position of
 * the append's first event) and has its own prepare position; positions are byte offsets, so they are not dense. */
export interface Position {
  readonly commit: bigint
  readonly prepare: bigint
}

export interface LogRecord extends Position {
  readonly stream: string
  readonly revision: bigint
  /** Lower-case canonical UUID. */
  readonly id: string
  readonly type: string
  readonly contentType: string
  readonly data: Uint8Array
  readonly metadata: Uint8Array
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends them. */
  readonly created: bigint
}

export interface ProposedEvent {
  readonly id: string
  readonly type: string
  readonly contentType: string
  readonly data: Uint8Array
  readonly metadata: Uint8Array
}

export type Expected =
  | { readonly _tag: "any" }
  | { readonly _tag: "noStream" }
  | { readonly _tag: "streamExists" }
  | { readonly _tag: "revision"; readonly revision: bigint }

/** A stream's last revision, or "noStream". */
export type Current = bigint | "noStream"

export type AppendOutcome =
  | { readonly _tag: "success"; readonly current: Current; readonly position: Position | undefined }
  | { readonly _tag: "wrongExpectedVersion"; readonly current: Current; readonly expected: Expected }
  | { readonly _tag: "streamDeleted" }
  | { readonly _tag: "maximumAppendSizeExceeded"; readonly maxAppendSize: number }
  | { readonly _tag: "invalidArgument"; readonly reason: string }

export type DeleteOutcome =
  | { readonly _tag: "success"; readonly position: Position | undefined }
  | { readonly _tag: "wrongExpectedVersion"; readonly current: Current; readonly expected: Expected }
  | { readonly _tag: "streamDeleted" }

/** EventStoreDB's revision of the tombstone event (`long.MaxValue`). */
export const TOMBSTONE_REVISION = 9223372036854775807n

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface StreamState {
  /** Index = revision. Soft-deleted events stay here (and in $all) as on a real server before scavenging. */
  readonly records: Array<LogRecord>
  /** Revisions below this were soft-deleted ($tb). */
  truncateBefore: bigint
  tombstoned: boolean
}

export interface ServerLogOptions {
  /** Per-append cap on data + metadata bytes; EventStoreDB's default is 1 MiB. */
  readonly maxAppendSize?: number
}

export class ServerLog {
  readonly maxAppendSize: number
  readonly all: Array<LogRecord> = []
  private readonly streams = new Map<string, StreamState>()
  private readonly listeners = new Set<(records: ReadonlyArray<LogRecord>) => void>()
  // A fresh server's log does not start at 0 and starts with a system event; adapters must cope with both.
  private offset = 1_000n

  constructor(options: ServerLogOptions = {}) {
    this.maxAppendSize = options.maxAppendSize ?? 1024 * 1024
    this.write("$epochs", "noStream", [
      {
        id: "00000000-0000-4000-8000-000000000001",
        type: "$epoch-information",
        contentType: "application/json",
        data: Buffer.from('{"epochNumber":0}'),
        metadata: new Uint8Array()
      }
    ])
  }

  /** Called synchronously with every batch of records written to $all, in order. */
  onWrite(listener: (records: ReadonlyArray<LogRecord>) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  current(stream: string): Current {
    const state = this.streams.get(stream)
    return state === undefined || state.records.length === 0 ? "noStream" : BigInt(state.records.length - 1)
  }

  isTombstoned(stream: string): boolean {
    return this.streams.get(stream)?.tombstoned ?? false
  }

  /** The stream's readable records (not soft-deleted), or undefined when a read answers StreamNotFound. */
  readable(stream: string): ReadonlyArray<LogRecord> | undefined {
    const state = this.streams.get(stream)
    if (state === undefined) return undefined
    const visible = state.records.slice(Number(state.truncateBefore))
    return visible.length === 0 ? undefined : visible
  }

  append(stream: string, expected: Expected, events: ReadonlyArray<ProposedEvent>): AppendOutcome {
    if (stream.length === 0) return { _tag: "invalidArgument", reason: "stream name must not be empty" }
    for (const event of events) {
      if (!UUID.test(event.id.toLowerCase())) return { _tag: "invalidArgument", reason: `invalid event id ${event.id}` }
    }
    const size = events.reduce((total, e) => total + e.data.length + e.metadata.length, 0)
    if (size > this.maxAppendSize) return { _tag: "maximumAppendSizeExceeded", maxAppendSize: this.maxAppendSize }
    const state = this.streams.get(stream)
    if (state?.tombstoned) return { _tag: "streamDeleted" }
    const current = this.current(stream)
    const last = current === "noStream" ? -1n : current
    const ids = events.map((e) => e.id.toLowerCase())
    const wrong = { _tag: "wrongExpectedVersion", current, expected } as const
    const writeHere = (): AppendOutcome => {
      if (events.length === 0) return { _tag: "success", current, position: undefined }
      const written = this.write(stream, current, events)
      return { _tag: "success", current: written.at(-1)!.revision, position: written.at(-1)! }
    }
    // EventStoreDB's idempotency: the same ids already stored, in order, right after the expected revision.
    const idempotentFrom = (first: bigint): AppendOutcome | undefined => {
      if (state === undefined || events.length === 0) return undefined
      const found = ids.map((id, i) => state.records[Number(first) + i]?.id === id)
      if (found.every(Boolean)) {
        const at = state.records[Number(first) + ids.length - 1]!
        return { _tag: "success", current: at.revision, position: at }
      }
      return undefined
    }
    switch (expected._tag) {
      case "any": {
        if (state !== undefined && ids.length > 0) {
          const first = state.records.findIndex((r) => r.id === ids[0])
          if (first >= 0) return idempotentFrom(BigInt(first)) ?? wrong
        }
        return writeHere()
      }
      case "noStream":
        if (current === "noStream" || (state !== undefined && state.truncateBefore > last)) return writeHere()
        return idempotentFrom(0n) ?? wrong
      case "streamExists":
        return current === "noStream" || (state !== undefined && state.truncateBefore > last) ? wrong : writeHere()
      case "revision":
        if (expected.revision === last) return writeHere()
        if (expected.revision < last) return idempotentFrom(expected.revision + 1n) ?? wrong
        return wrong
    }
  }

  /** Soft delete: later reads answer StreamNotFound, the next append continues the revisions. */
  delete(stream: string, expected: Expected): DeleteOutcome {
    const state = this.streams.get(stream)
    if (state?.tombstoned) return { _tag: "streamDeleted" }
    const current = this.current(stream)
    if (!this.matches(current, expected)) return { _tag: "wrongExpectedVersion", current, expected }
    if (state === undefined || current === "noStream") return { _tag: "success", position: undefined }
    state.truncateBefore = current + 1n
    const [meta] = this.write(`$$${stream}`, this.current(`$$${stream}`), [
      this.systemEvent("$metadata", { $tb: Number(state.truncateBefore) })
    ])
    return { _tag: "success", position: meta! }
  }

  /** Hard delete: the stream name can never be used again; reads and appends answer StreamDeleted. */
  tombstone(stream: string, expected: Expected): DeleteOutcome {
    if (this.streams.get(stream)?.tombstoned) return { _tag: "streamDeleted" }
    const current = this.current(stream)
    if (!this.matches(current, expected)) return { _tag: "wrongExpectedVersion", current, expected }
    const [record] = this.write(stream, current, [this.systemEvent("$streamDeleted", {})], TOMBSTONE_REVISION)
    this.streams.get(stream)!.tombstoned = true
    return { _tag: "success", position: record! }
  }

  private matches(current: Current, expected: Expected): boolean {
    switch (expected._tag) {
      case "any":
        return true
      case "noStream":
        return current === "noStream"
      case "streamExists":
        return current !== "noStream"
      case "revision":
        return current === expected.revision
    }
  }

  private systemEvent(type: string, data: object): ProposedEvent {
    return {
      id: crypto.randomUUID(),
      type,
      contentType: "application/json",
      data: Buffer.from(JSON.stringify(data)),
      metadata: new Uint8Array()
    }
  }

  private write(
    stream: string,
    current: Current,
    events: ReadonlyArray<ProposedEvent>,
    fixedRevision?: bigint
  ): Array<LogRecord> {
    let state = this.streams.get(stream)
    if (state === undefined) {
      state = { records: [], truncateBefore: 0n, tombstoned: false }
      this.streams.set(stream, state)
    }
    const commit = this.offset
    const created = BigInt(Date.now()) * 10_000n
    const first = current === "noStream" ? 0n : current + 1n
    const records = events.map((e, i): LogRecord => {
      const prepare = this.offset
      // A rough record size, so positions advance like byte offsets and are never dense.
      this.offset += BigInt(64 + stream.length + e.type.length + e.data.length + e.metadata.length)
      return {
        stream,
        revision: fixedRevision ?? first + BigInt(i),
        id: e.id.toLowerCase(),
        type: e.type,
        contentType: e.contentType,
        data: e.data,
        metadata: e.metadata,
        created,
        commit,
        prepare
      }
    })
    if (fixedRevision === undefined) state.records.push(...records)
    this.all.push(...records)
    for (const listener of this.listeners) listener(records)
    return records
  }
}

/** Order of positions in $all: commit, then prepare. */
export const comparePositions = (a: Position, b: Position): number =>
  a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1
