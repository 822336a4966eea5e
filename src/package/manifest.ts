/**
 * durable-monad's own package.json, found from this file: `src/package/` in a checkout, `dist/src/package/` when
 * built or installed. Read once, when first needed (the check for copies of effect, `--version`, an error naming a
 * dependency's range).
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export interface Manifest {
  /** The directory holding the package.json. */
  readonly root: string
  readonly version: string
  readonly peerDependencies: Readonly<Record<string, string>>
}

let found: Manifest | undefined

/** The package.json named `durable-monad` above this file; undefined when there is none (e.g. once bundled). */
export const manifest = (): Manifest | undefined => {
  if (found !== undefined) return found
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json")
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, "utf8")) as {
      name?: unknown
      version?: unknown
      peerDependencies?: Record<string, string>
    }
    if (pkg.name !== "durable-monad") continue
    return (found = {
      root: dir,
      version: typeof pkg.version === "string" ? pkg.version : "unknown",
      peerDependencies: pkg.peerDependencies ?? {}
    })
  }
  return undefined
}
