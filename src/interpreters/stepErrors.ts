/**
 * Business errors escaping a step's Effect. A step lists the errors it may raise (`errors: [...]`); when its `run`
 * fails with one of them, that is a decision of the business (card declined), not a technical fault (timeout): it
 * is recorded as a `StepRaised` event and raised like `Workflow.fail` from `apply`, so `catch` handles it. Every
 * other failure is technical and the step is retried.
 */
import { Result, Schema } from "effect"
import type { CompiledStep } from "../dsl/CompiledNode.js"
import { jsonCodec } from "./journal.js"
import type { Json } from "./store/EventStore.js"

const tagOf = (error: unknown): string | undefined => {
  const tag = typeof error === "object" && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined
  return typeof tag === "string" ? tag : undefined
}

/** The recorded form of `error` if the step declares it (`{ error, schema }`), else undefined (technical). */
export const encodeDeclared = (node: CompiledStep, error: unknown): Json | undefined => {
  const index = node.errorSchemas.findIndex((s) => Schema.is(s)(error))
  const tag = tagOf(error)
  if (index < 0 && (tag === undefined || !node.errors.includes(tag))) return undefined
  if (index >= 0) {
    const encoded = jsonCodec(node.errorSchemas[index]!).encode(error)
    if (Result.isSuccess(encoded)) return { error: encoded.success as Json, schema: index }
  }
  try {
    return { error: JSON.parse(JSON.stringify(error)) as Json, schema: -1 }
  } catch {
    return { error: { _tag: tag ?? "Error" }, schema: -1 }
  }
}

/** The error a `StepRaised` event recorded, decoded with the Schema it was encoded with. */
export const decodeDeclared = (node: CompiledStep, data: unknown): Result.Result<unknown, string> => {
  const recorded = data as { readonly error?: unknown; readonly schema?: unknown } | null
  if (recorded === null || typeof recorded !== "object" || !("error" in recorded)) return Result.fail("no error")
  const index = typeof recorded.schema === "number" ? recorded.schema : -1
  if (index < 0) return Result.succeed(recorded.error)
  const schema = node.errorSchemas[index]
  if (schema === undefined) return Result.fail(`the step declares no error Schema #${index}`)
  const decoded = jsonCodec(schema).decode(recorded.error)
  return Result.isSuccess(decoded) ? Result.succeed(decoded.success) : Result.fail(decoded.failure.message)
}
