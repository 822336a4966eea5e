const FailureTypeId = "~durable-monad/Failure" as const

/**
 * A typed business failure returned by a step's `apply` (or a pure transition) instead of a next state. It is
 * deterministic — recomputed from the persisted event on replay — so it is part of the workflow's history, unlike
 * an Effect that fails (which persists nothing and is retried).
 */
export interface Failure<out E> {
  readonly [FailureTypeId]: typeof FailureTypeId
  readonly error: E
}

/**
 * Fail the workflow with a typed error from `apply` or a pure transition.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * class TooLarge { readonly _tag = "TooLarge" }
 * const check = Workflow.pure("Check amount", (amount: number) => (amount > 100 ? Workflow.fail(new TooLarge()) : amount))
 * ```
 */
export const fail = <E>(error: E): Failure<E> => ({ [FailureTypeId]: FailureTypeId, error })

export const isFailure = (u: unknown): u is Failure<unknown> =>
  typeof u === "object" && u !== null && (u as Record<string, unknown>)[FailureTypeId] === FailureTypeId

/** The next-state part of what `apply` (or a pure transition) returns. */
export type Next<Ret> = Exclude<Ret, Failure<unknown>>
/** The error part of what `apply` (or a pure transition) returns. */
export type ErrorOf<Ret> = Ret extends Failure<infer E> ? E : never
