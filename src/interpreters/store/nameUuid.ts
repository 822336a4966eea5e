import * as Crypto from "node:crypto"

/** The namespace of durable-monad's event ids (a fixed random UUID). */
export const EVENT_ID_NAMESPACE = "5c1f7b0e-8f2a-4d6b-9a51-3e0f4c2d7a19"

const namespaceBytes = (namespace: string): Buffer => Buffer.from(namespace.replaceAll("-", ""), "hex")

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
  const hash = Crypto.createHash("sha1").update(namespaceBytes(namespace)).update(name, "utf8").digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
