/** The diagrams checked into docs/diagrams/ are exactly what the renderers draw today. */
import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { DIAGRAMS_DIR, diagrams } from "../../docs/diagrams.js"

const STALE = "docs/diagrams/ is stale: run `npm run diagrams` and commit the result"

describe("docs/diagrams", () => {
  it("holds every generated diagram, up to date, and nothing else", async () => {
    const expected = await diagrams()
    expect(readdirSync(DIAGRAMS_DIR).sort(), STALE).toEqual(expected.map((d) => d.file).sort())
    for (const { file, content } of expected) {
      expect(readFileSync(new URL(file, DIAGRAMS_DIR), "utf8"), `${file}: ${STALE}`).toBe(content)
    }
  })
})
