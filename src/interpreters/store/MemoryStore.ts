import { Effect, Layer, Option, Stream } from "effect"
import { decideAppend, READ_PAGE_SIZE } from "./appendRules.js"
import { EventStore, type StoredEvent } from "./EventStore.js"
import { WrongExpectedRevision } from "./errors.js"

/**
 * An in-memory {@link EventStore}: for tests, examples and throwaway runs. Lost when the process ends.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EventStore, MemoryStore } from "durable-monad"
 *
 * Effect.runPromise(Effect.provide(EventStore, MemoryStore.layer))
 * ```
 */
export const make = (): EventStore["Service"] => {
  const streams = new Map<string, Array<StoredEvent>>()
  return EventStore.of({
    append: (stream, expected, events) =>
      Effect.suspend(() => {
        const existing = streams.get(stream) ?? []
        const actual = existing.length - 1
        switch (decideAppend(expected, actual, events, (r) => existing[r])) {
          case "conflict":
            return Effect.fail(new WrongExpectedRevision({ stream, expected, actual }))
          case "duplicate":
            return Effect.succeed({ nextExpectedRevision: expected + events.length })
          case "write": {
            const created = Date.now()
            // structuredClone: later mutation of the caller's objects must not rewrite history.
            const stored = events.map((e, i) => ({
              id: e.id,
              type: e.type,
              data: structuredClone(e.data),
              metadata: structuredClone(e.metadata),
              stream,
              revision: actual + 1 + i,
              created
            }))
            if (!streams.has(stream)) streams.set(stream, existing)
            existing.push(...stored)
            return Effect.succeed({ nextExpectedRevision: actual + events.length })
          }
        }
      }),
    read: (stream, options) =>
      Stream.paginate(options?.fromRevision ?? 0, (from: number) =>
        Effect.sync(() => {
          const events = streams.get(stream) ?? []
          const end = options?.maxCount === undefined ? events.length : (options.fromRevision ?? 0) + options.maxCount
          const to = Math.min(end, events.length, from + READ_PAGE_SIZE)
          const page = from < to ? events.slice(from, to) : []
          return [page, to < Math.min(end, events.length) ? Option.some(to) : Option.none()] as const
        })
      ),
    listStreams: (prefix) =>
      Stream.suspend(() =>
        Stream.fromIterable(
          [...streams.keys()].filter((s) => s.startsWith(prefix) && (streams.get(s)?.length ?? 0) > 0).sort()
        )
      )
  })
}

/** A fresh, empty in-memory store per use of the layer. */
export const layer: Layer.Layer<EventStore> = Layer.sync(EventStore, make)
