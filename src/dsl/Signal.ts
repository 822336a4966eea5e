import type { Schema } from "effect"

/** A schema the runtime can encode to JSON and decode without extra services. */
export type PlainCodec<A> = Schema.Codec<A, unknown, never, never>

/**
 * A typed signal: what a running instance can be sent from outside, and what it replies. The request is checked
 * against its Schema before anything runs, so an invalid payload appends nothing.
 */
export interface Signal<out Name extends string, in out Req, in out Res> {
  readonly _tag: "Signal"
  readonly name: Name
  readonly request: PlainCodec<Req>
  readonly response: PlainCodec<Res>
}

/** The request type of a signal. */
export type Request<S> = S extends Signal<string, infer Req, any> ? Req : never
/** The response type of a signal. */
export type Response<S> = S extends Signal<string, any, infer Res> ? Res : never

/**
 * Define a signal.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Signal } from "durable-monad"
 *
 * const ReviewPR = Signal.make("ReviewPR", {
 *   request: Schema.Struct({ approve: Schema.Boolean }),
 *   response: Schema.Void
 * })
 * ```
 */
export const make = <const Name extends string, Req, Res>(
  name: Name,
  schemas: { readonly request: PlainCodec<Req>; readonly response: PlainCodec<Res> }
): Signal<Name, Req, Res> => ({ _tag: "Signal", name, request: schemas.request, response: schemas.response })
