import * as Crypto from "node:crypto"

/**
 * The checksum of a stored event: SHA-256 (the first 128 bits, hex) over everything the store gives back about it
 * except its log position (the rowid, assigned by SQLite after the row is written; a damaged rowid shows as a
 * failed integrity check instead). Fields are length-prefixed, so no two events hash the same text.
 */
export const eventChecksum = (
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
  created: number
): string => {
  const fields = [stream, String(revision), id, type, data, metadata, String(created)]
  let text = ""
  for (const field of fields) text += `${field.length}:${field}`
  return hash(text)
}

const hash: (text: string) => string =
  typeof Crypto.hash === "function"
    ? (text) => Crypto.hash("sha256", text, "hex").slice(0, 32)
    : (text) => Crypto.createHash("sha256").update(text).digest("hex").slice(0, 32)
