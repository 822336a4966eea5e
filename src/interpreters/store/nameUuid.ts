import * as Crypto from "node:crypto"

/** The namespace of durable-monad's event ids (a fixed random UUID). */
export const EVENT_ID_NAMESPACE = "5c1f7b0e-8f2a-4d6b-9a51-3e0f4c2d7a19"

const namespaceBytes = (namespace: string): Buffer => Buffer.from(namespace.replaceAll("-", ""), "hex")

/** The bytes of the last namespace used: it is nearly always `EVENT_ID_NAMESPACE`. */
let lastNamespace = { text: EVENT_ID_NAMESPACE, bytes: namespaceBytes(EVENT_ID_NAMESPACE) }

/**
 * Namespace and name are written into this buffer and hashed from it: an id is computed for every appended event,
 * and a `Hash` object, or a buffer per call, costs about twice as much. Grown as names need.
 */
let scratch = Buffer.allocUnsafe(4096)

const sha1Hex = (input: Buffer): string =>
  typeof Crypto.hash === "function"
    ? Crypto.hash("sha1", input, "hex")
    : Crypto.createHash("sha1").update(input).digest("hex")

/**
 * A name-based UUID (RFC 9562 version 5: SHA-1 of namespace and name). The same name always gives the same id, so
 * an event's id can be derived from what the event is, and a retried append carries the ids of the first attempt.
 *
 * @example
 * ```ts
 * import { nameUuid, EVENT_ID_NAMESPACE } from "durable-monad"
 *
 * nameUuid(EVENT_ID_NAMESPACE, "order-1/0/start/0") // the same UUID on every call
 * ```
 */
export const nameUuid = (namespace: string, name: string): string => {
  if (lastNamespace.text !== namespace) lastNamespace = { text: namespace, bytes: namespaceBytes(namespace) }
  const prefix = lastNamespace.bytes
  // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, two units, takes 4).
  const room = prefix.length + name.length * 3
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, scratch.length * 2))
  prefix.copy(scratch, 0)
  const written = scratch.write(name, prefix.length, "utf8")
  const hex = sha1Hex(scratch.subarray(0, prefix.length + written))
  // Version 5 in the high nibble of byte 6, the RFC variant (10xx) in the high bits of byte 8.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
