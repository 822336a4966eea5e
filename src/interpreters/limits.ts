/**
 * Limits on what enters the journal: signal requests, inputs and step events, checked on their JSON encoding before
 * anything runs or is appended. A service that forwards JSON from the network into signals must not be able to crash
 * a call (a stack overflow while hashing 10,000 nested arrays, a string beyond V8's maximum length) or fill the
 * store with one request.
 */
import type { Json } from "./store/EventStore.js"

export interface Limits {
  /**
   * Largest JSON encoding of one request, input or event, in characters (UTF-16 code units; about bytes for ASCII),
   * as estimated from its values before the text is built (escapes are not counted).
   */
  readonly maxJsonLength: number
  /** Deepest nesting of arrays and objects in one request, input or event. */
  readonly maxDepth: number
  /** Longest instance id, in characters. */
  readonly maxIdLength: number
}

/**
 * The defaults: 1 MiB of JSON (EventStoreDB's per-append cap up to v24.10), 64 levels of nesting, ids of up to 256
 * characters.
 */
export const DEFAULT_LIMITS: Limits = { maxJsonLength: 1024 * 1024, maxDepth: 64, maxIdLength: 256 }

/** Limits with some fields overridden; each must be a positive integer. */
export const resolveLimits = (overrides: Partial<Limits> | undefined): Limits => {
  const limits = { ...DEFAULT_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`limits.${name} must be a positive integer, got ${String(value)}`)
    }
  }
  return limits
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Checks that `value` (the output of a Schema's JSON encoding) is plain JSON within `limits`, without recursion (so
 * depth cannot overflow the stack) and without building the text of an over-long value. Returns the value to store
 * — with `-0` turned into `0`, which is what every store gives back, so a live instance and its recovered self see
 * the same number — or why it cannot be stored. Never throws: a getter or a Proxy that throws is reported as such.
 */
export const checkJson = (value: unknown, limits: Limits): { readonly json: Json } | { readonly issue: string } => {
  try {
    let length = 0
    let negativeZero = false
    // Two parallel stacks (value, depth) rather than one of pairs: no object per visited value.
    const values: Array<unknown> = [value]
    const depths: Array<number> = [0]
    while (values.length > 0) {
      const v = values.pop()
      const depth = depths.pop()!
      switch (typeof v) {
        case "string":
          length += v.length + 2
          break
        case "number":
          if (!Number.isFinite(v)) return { issue: `${String(v)} is not a JSON number` }
          if (Object.is(v, -0)) negativeZero = true
          length += 8
          break
        case "boolean":
          length += 5
          break
        case "object": {
          if (v === null) {
            length += 4
            break
          }
          if (depth >= limits.maxDepth) return { issue: `nested deeper than ${limits.maxDepth} levels` }
          if (Array.isArray(v)) {
            length += 2 + v.length
            for (let i = v.length - 1; i >= 0; i--) {
              values.push(v[i])
              depths.push(depth + 1)
            }
          } else if (isPlainObject(v)) {
            const keys = Object.keys(v)
            length += 2 + keys.length
            // Read in key order (a getter sees the same order as JSON.stringify's), visited in key order: pushed,
            // then the pushed run reversed.
            const base = values.length
            for (const key of keys) {
              const item = (v as Record<string, unknown>)[key]
              if (item === undefined) continue
              length += key.length + 3
              values.push(item)
              depths.push(depth + 1)
            }
            for (let i = base, j = values.length - 1; i < j; i++, j--) {
              const swap = values[i]
              values[i] = values[j]
              values[j] = swap
            }
          } else {
            return { issue: `a ${v.constructor?.name ?? "non-plain"} object is not JSON` }
          }
          break
        }
        default:
          return { issue: `a ${typeof v} is not JSON` }
      }
      if (length > limits.maxJsonLength) return { issue: `its JSON is longer than ${limits.maxJsonLength} characters` }
    }
    // Rare: copy through JSON text, which writes -0 as 0, rather than cost every value a copy.
    return { json: (negativeZero ? JSON.parse(JSON.stringify(value)) : value) as Json }
  } catch (error) {
    return { issue: `it cannot be read: ${error instanceof Error ? error.message : "a value threw"}` }
  }
}

/** Why `id` is not a valid instance id, or undefined. */
export const checkInstanceId = (id: unknown, limits: Limits): string | undefined => {
  if (typeof id !== "string") return `the instance id must be a string, got ${id === null ? "null" : typeof id}`
  if (id === "") return "the instance id must not be empty"
  if (id.length > limits.maxIdLength) return `the instance id is longer than ${limits.maxIdLength} characters`
  if (/\p{Cs}/u.test(id)) return "the instance id must be well-formed Unicode (it has a lone surrogate)"
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(id)) return "the instance id must not contain control characters"
  return undefined
}
