/** Escapes text for XML content and attribute values (double- or single-quoted). */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"
  )

/** A coordinate as written in SVG: at most two decimals, no trailing zeros, no `-0`. */
export const num = (n: number): string => {
  const r = Math.round(n * 100) / 100
  return Object.is(r, -0) ? "0" : String(r)
}
