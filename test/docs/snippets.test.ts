/**
 * The docs' code samples live in docs/snippets/*.ts, where `npm test`'s typecheck compiles them. This test makes
 * sure each `// #region` there is quoted verbatim in its Markdown page, and that the page quotes nothing else.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const regions = (source: string): Map<string, string> => {
  const found = new Map<string, string>()
  for (const m of source.matchAll(/\/\/ #region (\S+)\n([\s\S]*?)\/\/ #endregion \1\n/g)) {
    found.set(m[1]!, m[2]!.trimEnd())
  }
  return found
}

const codeBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd())

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")

describe("README.md", () => {
  it("quotes the compiled sample verbatim", () => {
    expect(codeBlocks(read("README.md"))).toEqual([...regions(read("docs/snippets/readme.ts")).values()])
  })
})

describe("docs/concepts.md", () => {
  const markdown = read("docs/concepts.md")
  const snippets = regions(read("docs/snippets/concepts.ts"))
  const blocks = codeBlocks(markdown)

  it("has compiled snippets", () => {
    expect([...snippets.keys()]).toEqual(["imports", "step", "signal", "compose", "branch-loop", "run", "replay"])
  })

  it("quotes every snippet verbatim, in order, and no uncompiled code", () => {
    expect(blocks).toEqual([...snippets.values()])
  })
})

describe("docs/diagrams.md", () => {
  it("quotes the compiled sample verbatim, and no uncompiled code", () => {
    expect(codeBlocks(read("docs/diagrams.md"))).toEqual([...regions(read("docs/snippets/diagrams.ts")).values()])
  })
})
