import { describe, expect, it } from "vitest"
import { toMermaid } from "../../src/render/index.js"
import {
  awkward,
  branching,
  catching,
  interrupting,
  linear,
  looping,
  nested,
  passThrough,
  racing,
  sharedSignals,
  timed
} from "./fixtures.js"

const nodeIds = (text: string) => [...text.matchAll(/^\s+(n_\w+)[([{]/gm)].map((m) => m[1])
const edges = (text: string) =>
  [...text.matchAll(/^\s+(\w+) (?:-->|-\.->)(?:\|"[^"]*"\|)? (\w+)$/gm)].map((m) => `${m[1]}>${m[2]}`)

describe("toMermaid", () => {
  it("writes a straight workflow exactly", () => {
    expect(toMermaid(linear)).toBe(
      [
        "%% linear",
        "flowchart LR",
        '  n_StartEvent(("Linear started"))',
        // A wait is a stadium (a big circle would dwarf the tasks), marked as a message.
        '  n_Event_placed(["✉ Order placed"])',
        '  n_Activity_charge("Charge card")',
        '  n_Activity_total("Compute total")',
        // End events: a small circle with a thick ring (a double circle reads as an intermediate event).
        // A long name is broken into short lines: a Mermaid circle grows with its text.
        '  n_EndEvent(("Linear<br>completed"))',
        "  n_StartEvent --> n_Event_placed",
        "  n_Event_placed --> n_Activity_charge",
        "  n_Activity_charge --> n_Activity_total",
        "  n_Activity_total --> n_EndEvent",
        "  classDef endEvent stroke-width:4px",
        "  class n_EndEvent endEvent",
        ""
      ].join("\n")
    )
  })

  it("has exactly the flow graph's nodes and edges", () => {
    const expected: Record<string, { nodes: number; edges: number; subgraphs: number }> = {
      linear: { nodes: 5, edges: 4, subgraphs: 0 },
      branching: { nodes: 10, edges: 10, subgraphs: 0 },
      passThrough: { nodes: 8, edges: 10, subgraphs: 0 },
      looping: { nodes: 8, edges: 8, subgraphs: 0 },
      catching: { nodes: 17, edges: 19, subgraphs: 2 },
      sharedSignals: { nodes: 5, edges: 4, subgraphs: 0 },
      nested: { nodes: 23, edges: 25, subgraphs: 2 },
      awkward: { nodes: 7, edges: 7, subgraphs: 0 }
    }
    const models = { linear, branching, passThrough, looping, catching, sharedSignals, nested, awkward }
    for (const [name, model] of Object.entries(models)) {
      const text = toMermaid(model)
      const ids = nodeIds(text)
      expect(
        { nodes: ids.length, edges: edges(text).length, subgraphs: text.match(/^\s+subgraph /gm)?.length ?? 0 },
        name
      ).toEqual(expected[name])
      expect(new Set(ids).size, name).toBe(ids.length)
    }
  })

  it("draws a loop with its flow back, and branches with labelled flows", () => {
    const text = toMermaid(looping)
    expect(edges(text)).toEqual([
      "n_StartEvent>n_Activity_prepare",
      "n_Activity_prepare>n_Join_retry",
      "n_Join_retry>n_Activity_charge",
      "n_Activity_charge>n_Split_retry",
      "n_Split_retry>n_Activity_wait",
      "n_Activity_wait>n_Join_retry",
      "n_Split_retry>n_Activity_receipt",
      "n_Activity_receipt>n_EndEvent"
    ])
    expect(text).toContain('  n_Split_retry -->|"retry"| n_Activity_wait\n')
    expect(text).toContain('  n_Split_retry{"Paid?"}\n')
    expect(text).toContain('  n_Join_retry{" "}\n')
  })

  it("draws subprocesses as subgraphs and error boundaries as dotted flows from them", () => {
    const text = toMermaid(catching)
    expect(text).toContain('  subgraph s_Activity_payment [" "]\n    direction LR\n    n_Start_payment(("Try"))\n')
    expect(text).toContain('    n_Raise_authorize_PaymentDeclined(("PaymentDeclined"))\n')
    expect(text).toContain('  s_Activity_payment -.->|"Payment: PaymentDeclined"| n_HandlerJoin_payment\n')
    expect(text).toContain('  s_Activity_payment -.->|"Payment: CardExpired"| n_HandlerJoin_payment\n')
    expect(text).toContain('  s_Activity_anything -.->|"any error"| n_Join_anything\n')
    expect(text).toContain("  s_Activity_payment --> n_Join_payment\n")
  })

  it("prefixes ids (an id `end` is a Mermaid keyword), quotes and escapes every label", () => {
    const text = toMermaid(awkward)
    expect(text.startsWith('%% quotes "and" <tags> & ampersands\nflowchart LR\n')).toBe(true)
    expect(text).toContain('  n_Activity_end("Say #quot;hello#quot; #amp; #lt;goodbye#gt;")\n')
    expect(text).toContain("  n_Event_graph([\"✉ Wait for 'A' -#gt; B\"])\n")
    expect(text).toContain('  n_Split_subgraph{"x #lt; 1 #amp;#amp; y #gt; 2?"}\n')
    expect(text).toContain('  n_Split_subgraph -->|"x == #quot;1#quot;"| n_Activity_style\n')
    // Spaces around every arrow: `a---ob` would silently parse as a circle-ended edge.
    for (const line of text.split("\n").filter((l) => l.includes("->")))
      expect(line).toMatch(/\w (-->|-\.->)(\|"[^"]*"\|)? \w/)
  })

  it("draws timers as waits with a clock, races as a gateway to their events, interruptions as dotted links", () => {
    expect(toMermaid(timed)).toContain('  n_Event_cool(["⏱ Cool down"])\n')
    const race = toMermaid(racing)
    expect(race).toContain('  n_Split_decision{"Decision"}\n')
    for (const event of ["approved", "rejected", "deadline"])
      expect(race).toContain(`  n_Split_decision --> n_Event_${event}\n`)
    expect(race).toContain('  n_Event_deadline(["⏱ 48 hours"])\n')
    const section = toMermaid(interrupting)
    expect(section).toContain('  s_Activity_checks -.->|"✉ Cancelled"| n_Activity_unlock\n')
    expect(section).toContain('  s_Activity_checks -.->|"⏱ 2 minutes"| n_Activity_markTimedOut\n')
    expect(section).toContain("  s_Activity_checks --> n_Join_checks\n")
  })

  it("is deterministic", () => {
    expect(toMermaid(nested)).toBe(toMermaid(nested))
  })
})
