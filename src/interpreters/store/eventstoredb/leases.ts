/**
 * Leases on EventStoreDB, built on expected revisions only (no server-side locks exist).
 *
 * Each key has a stream `durable_monad.lease-<key>`; its last event is the lease's state: `{ owner, expiresAt,
 * version }` (owner null once released). To acquire, renew or release, a process reads that last event (revision
 * r), decides by the rules below, and appends the new state with expected revision r. Two processes deciding on the
 * same state race on revision r + 1: the server lets exactly one append land, the other gets WrongExpectedVersion,
 * re-reads, and decides again on the new state. Time is the caller's `Clock`; owners' clocks must agree to within
 * a small fraction of the TTL, as with any lease.
 *
 * - acquire: allowed when the key has no state, was released, has expired, or is already held by the same owner.
 * - renew: allowed while the last state is exactly the caller's lease (same owner and version), even past its
 *   expiry as long as nobody else took it.
 * - release: writes an ownerless state keeping the version, so the next owner's version is higher (a fencing token).
 */
import { Clock, Effect, Option } from "effect"
import type { Lease } from "../EventStore.js"
import type { StoreError } from "../errors.js"
import type { AppendOutcome, WireEvent, WireRecord } from "./client.js"
import { INTERNAL_PREFIX } from "./eventCodec.js"

export interface LeaseOps {
  readonly readLast: (stream: string) => Effect.Effect<WireRecord | undefined, StoreError>
  readonly append: (
    stream: string,
    expected: bigint,
    events: ReadonlyArray<WireEvent>
  ) => Effect.Effect<AppendOutcome, StoreError>
}

interface LeaseState {
  readonly owner: string | null
  readonly expiresAt: number
  readonly version: number
}

/** The stream holding the lease on `key`. */
export const leaseStream = (key: string): string => `${INTERNAL_PREFIX}lease-${key}`

const stateOf = (record: WireRecord | undefined): LeaseState | undefined => {
  const data = record?.data as Partial<LeaseState> | undefined
  return data === undefined || typeof data.version !== "number"
    ? undefined
    : {
        owner: typeof data.owner === "string" ? data.owner : null,
        expiresAt: Number(data.expiresAt),
        version: data.version
      }
}

/** How many times one call re-reads after losing a race before giving up on the key for now. */
const MAX_RACES = 8

export const makeLeases = (ops: LeaseOps) => {
  /** Read the state, let `decide` pick the next one (or an answer), append it at the read revision; on a lost race, again. */
  const transition = (
    key: string,
    decide: (state: LeaseState | undefined, now: number) => LeaseState | "no" | "done"
  ): Effect.Effect<Option.Option<Lease>, StoreError> => {
    const stream = leaseStream(key)
    const attempt = (race: number): Effect.Effect<Option.Option<Lease>, StoreError> =>
      Effect.gen(function* () {
        const last = yield* ops.readLast(stream)
        const now = yield* Clock.currentTimeMillis
        const state = stateOf(last)
        const next = decide(state, now)
        if (next === "no" || next === "done") return Option.none()
        const outcome = yield* ops.append(stream, last === undefined ? -1n : last.revision, [
          { id: crypto.randomUUID(), type: "LeaseState", data: next, metadata: {} }
        ])
        if (outcome._tag === "Appended") {
          return next.owner === null
            ? Option.none()
            : Option.some({ key, owner: next.owner, expiresAt: next.expiresAt, version: next.version })
        }
        return race + 1 >= MAX_RACES ? Option.none() : yield* attempt(race + 1)
      })
    return attempt(0)
  }

  const holds = (state: LeaseState | undefined, lease: Lease) =>
    state !== undefined && state.owner === lease.owner && state.version === lease.version

  return {
    acquire: (key: string, owner: string, ttlMs: number) =>
      transition(key, (state, now) =>
        state !== undefined && state.owner !== null && state.owner !== owner && state.expiresAt > now
          ? "no"
          : { owner, expiresAt: now + ttlMs, version: (state?.version ?? 0) + 1 }
      ),
    renew: (lease: Lease, ttlMs: number) =>
      transition(lease.key, (state, now) =>
        holds(state, lease) ? { owner: lease.owner, expiresAt: now + ttlMs, version: lease.version + 1 } : "no"
      ),
    release: (lease: Lease) =>
      Effect.asVoid(
        transition(lease.key, (state) =>
          holds(state, lease) ? { owner: null, expiresAt: 0, version: lease.version } : "done"
        )
      )
  }
}
