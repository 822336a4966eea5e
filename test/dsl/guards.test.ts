import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Workflow } from "../../src/index.js"

describe("Workflow.isWorkflow / isDefinition", () => {
  const w = Workflow.pure("Double", (n: number) => n * 2)
  const d = w.pipe(Workflow.define({ name: "double", input: Schema.Number }))

  it("recognise workflow values of every kind, and definitions", () => {
    const kinds = [
      w,
      w.pipe(Workflow.andThen(w)),
      Workflow.end(),
      w.pipe(Workflow.named("Sub")),
      Workflow.loop({ body: w, exit: { name: "big", when: (n) => n > 100 } }),
      Workflow.branch({ arms: [Workflow.when("even", (n: number) => n % 2 === 0, w)] })
    ]
    expect(kinds.map(Workflow.isWorkflow)).toEqual([true, true, true, true, true, true])
    expect(Workflow.isDefinition(d)).toBe(true)
    expect(Workflow.isWorkflow(d)).toBe(false)
    expect(Workflow.isDefinition(w)).toBe(false)
  })

  it("reject look-alikes", () => {
    for (const value of [null, undefined, 1, "Step", { _tag: "Step", pipe: () => 0 }, { name: "x", workflow: w }]) {
      expect(Workflow.isWorkflow(value)).toBe(false)
      expect(Workflow.isDefinition(value)).toBe(false)
    }
  })
})
