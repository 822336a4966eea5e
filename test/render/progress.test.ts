// The progress overlay: which elements and flows get which colours, in BPMN (both colour vocabularies), SVG and
// Mermaid.
import type { AnyElement } from "bpmn-moddle"
import { describe, expect, it } from "vitest"
import type { Progress } from "../../src/model/Progress.js"
import type { WorkflowModel } from "../../src/model/WorkflowModel.js"
import { layout, overlay, toBpmn, toFlowGraph, toMermaid, toSvg } from "../../src/render/index.js"
import { diagramElements, reimport } from "./checks.js"
import {
  catching,
  interrupting,
  looping,
  nested,
  nestedLoops,
  nestedLoopsProgress,
  nestedProgress,
  passThrough,
  racing,
  timed,
  timedProgress
} from "./fixtures.js"

const GREEN = { stroke: "#43a047", fill: "#c8e6c9" }
const BLUE = { stroke: "#1e88e5", fill: "#bbdefb" }
const AMBER = { stroke: "#fb8c00", fill: "#ffe0b2" }
const RED = { stroke: "#e53935", fill: "#ffcdd2" }
const GREY = { stroke: "#b0b3b8", fill: "#ffffff" }

/** The colour attributes on each diagram element, by BPMN id; elements without any are left out. */
const bpmnColors = async (xml: string) => {
  const { rootElement, warnings } = await reimport(xml)
  expect(warnings).toEqual([])
  const out: Record<string, Record<string, string>> = {}
  for (const [id, di] of diagramElements(rootElement)) {
    const attrs = Object.fromEntries(
      ["bioc:stroke", "bioc:fill", "color:border-color", "color:background-color"].flatMap((k) => {
        const v = (di as AnyElement).get(k) as string | undefined
        return v === undefined ? [] : [[k, v]]
      })
    )
    // What was not reached is greyed (checked on its own below): left out here.
    if (Object.keys(attrs).length > 0 && attrs["bioc:stroke"] !== GREY.stroke) out[id] = attrs
  }
  return out
}

/** The ids of the diagram elements drawn greyed out (not reached). */
const greyed = async (xml: string) => {
  const { rootElement } = await reimport(xml)
  return [...diagramElements(rootElement)]
    .filter(([, di]) => (di as AnyElement).get("bioc:stroke") === GREY.stroke)
    .map(([id]) => id)
}

const shape = (c: { stroke: string; fill: string }) => ({
  "bioc:stroke": c.stroke,
  "bioc:fill": c.fill,
  "color:border-color": c.stroke,
  "color:background-color": c.fill
})
const line = (c: { stroke: string }) => ({ "bioc:stroke": c.stroke, "color:border-color": c.stroke })

describe("progress overlay", () => {
  it("colours a waiting instance: done green, waiting amber, taken flows green, the rest untouched", async () => {
    const xml = await toBpmn(nested, { progress: nestedProgress })
    expect(xml).toContain('xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0"')
    expect(xml).toContain('xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0"')
    expect(await bpmnColors(xml)).toEqual({
      StartEvent: shape(GREEN),
      Event_placed: shape(GREEN),
      // A subprocess is tinted lighter so that what it contains stays readable.
      Activity_fulfil: shape({ stroke: GREEN.stroke, fill: "#f1f8f1" }),
      Start_fulfil: shape(GREEN),
      Activity_reserve: shape(GREEN),
      Split_method: shape(GREEN),
      Join_charging: shape(GREEN),
      Activity_charge: shape(GREEN),
      Split_charging: shape(GREEN),
      Event_newCard: shape(GREEN),
      Join_method: shape(GREEN),
      End_fulfil: shape(GREEN),
      Activity_shipping: shape({ stroke: AMBER.stroke, fill: "#fff6ea" }),
      Start_shipping: shape(GREEN),
      Activity_pack: shape(GREEN),
      Activity_send: shape(GREEN),
      Event_delivered: shape(AMBER),
      Flow_StartEvent_Event_placed: line(GREEN),
      Flow_Event_placed_Activity_fulfil: line(GREEN),
      Flow_Activity_fulfil_Activity_shipping: line(GREEN),
      Flow_Start_fulfil_Activity_reserve: line(GREEN),
      // Reserve completed: its outcome gateway was passed, on its "no" (default) way; the error end event was not.
      Flow_Activity_reserve_Outcome_reserve: line(GREEN),
      Outcome_reserve: shape(GREEN),
      Flow_Outcome_reserve_Split_method: line(GREEN),
      Flow_card: line(GREEN),
      Flow_Join_charging_Activity_charge: line(GREEN),
      Flow_Activity_charge_Split_charging: line(GREEN),
      Flow_Split_charging_Event_newCard: line(GREEN),
      // charged twice: the loop went round, so its flow back is taken
      Flow_Event_newCard_Join_charging: line(GREEN),
      Flow_Split_charging_Join_method: line(GREEN),
      Flow_Join_method_End_fulfil: line(GREEN),
      Flow_Start_shipping_Activity_pack: line(GREEN),
      Flow_Activity_pack_Activity_send: line(GREEN),
      Flow_Activity_send_Event_delivered: line(GREEN)
    })
    // Everything else is greyed out, the status annotation aside.
    const { rootElement } = await reimport(xml)
    const all = [...diagramElements(rootElement).keys()]
    const coloured = Object.keys(await bpmnColors(xml))
    expect([...(await greyed(xml)), ...coloured].sort()).toEqual(all.filter((id) => id !== "Status_order").sort())
    expect(await greyed(xml)).toEqual(expect.arrayContaining(["Activity_bill", "Flow_invoice", "Event_cancelled"]))
  })

  it("puts the instance's status and the legend into the BPMN as a text annotation", async () => {
    const xml = await toBpmn(nested, { progress: nestedProgress })
    const { rootElement } = await reimport(xml)
    const process = (rootElement.get("rootElements") as Array<AnyElement>).find(
      (r) => r.$type === "bpmn:Process"
    ) as AnyElement
    expect((process.get("artifacts") as Array<AnyElement>).map((a) => [a.$type, a.id, a.text])).toEqual([
      [
        "bpmn:TextAnnotation",
        "Status_order",
        "Instance 42: waiting\n✓ done (green) · ‖ waiting here (orange) · ✕ failed (red) · ⚠ incident (purple) · not reached (grey)\nRepeated: Charge card ×2"
      ]
    ])
    expect(diagramElements(rootElement).get("Status_order")?.get("bounds")).toBeDefined()
    expect(await toBpmn(nested)).not.toContain("textAnnotation")
  })

  it("draws loop rounds on the loop's decision and attempts on the step, from the progress' counts", async () => {
    const o = overlay(toFlowGraph(nestedLoops), nestedLoopsProgress)
    expect(Object.fromEntries(o.counts)).toEqual({
      Activity_pick: 2,
      Activity_process: 3,
      Split_items: 5,
      Activity_advance: 3,
      Split_batches: 2
    })
    expect(Object.fromEntries(o.attempts)).toEqual({ Activity_process: 2 })
    const svg = await toSvg(nestedLoops, { progress: nestedLoopsProgress })
    expect(svg).toContain(">×3 ↻2</text>")
    expect(svg).toContain(">×5</text>")
    expect(toMermaid(nestedLoops, { progress: nestedLoopsProgress })).toContain(
      'n_Activity_process("▶ ×3 ↻2 Process item")'
    )
  })

  it("emits taken flows last, so that where flows meet the taken one is drawn on top", async () => {
    const xml = await toBpmn(nested, { progress: nestedProgress })
    const { rootElement } = await reimport(xml)
    const edges = [...diagramElements(rootElement)].filter(([, di]) => (di as AnyElement).$type === "bpmndi:BPMNEdge")
    const firstTaken = edges.findIndex(([, di]) => (di as AnyElement).get("bioc:stroke") === GREEN.stroke)
    expect(firstTaken).toBeGreaterThan(0)
    for (const [, di] of edges.slice(firstTaken)) expect((di as AnyElement).get("bioc:stroke")).toBe(GREEN.stroke)
  })

  it("colours a failure handled by a catch: the failing step red, the boundary for its error and the handler path", async () => {
    const progress: Progress = {
      instance: "7",
      status: "running",
      nodes: { authorize: { state: "failed", count: 0 }, refund: { state: "current", count: 0 } }
    }
    expect(await bpmnColors(await toBpmn(catching, { progress }))).toEqual({
      StartEvent: shape(GREEN),
      Activity_payment: shape({ stroke: RED.stroke, fill: "#fdeff0" }),
      Start_payment: shape(GREEN),
      Activity_authorize: shape(RED),
      // It failed: its outcome gateway passed to the error end event that throws PaymentDeclined.
      Flow_Activity_authorize_Outcome_authorize: line(GREEN),
      Outcome_authorize: shape(GREEN),
      Flow_Outcome_authorize_Raise_authorize_PaymentDeclined: line(GREEN),
      Raise_authorize_PaymentDeclined: shape(RED),
      // authorize declares PaymentDeclined: that boundary fired, not the one for CardExpired
      Boundary_payment_1: shape(GREEN),
      HandlerJoin_payment: shape(GREEN),
      Activity_refund: shape(BLUE),
      Flow_StartEvent_Activity_payment: line(GREEN),
      Flow_Start_payment_Activity_authorize: line(GREEN),
      Flow_Boundary_payment_1_HandlerJoin_payment: line(GREEN),
      Flow_HandlerJoin_payment_Activity_refund: line(GREEN)
    })
  })

  it("a catch left through its error boundary: its inner end and its normal exit are not reached", () => {
    // The instance went on after the catch (through the handler): that must not paint the body's end as reached.
    const progress: Progress = {
      instance: "7",
      status: "completed",
      nodes: {
        payment: { state: "failed", count: 0 },
        authorize: { state: "failed", count: 0, error: "PaymentDeclined" },
        refund: { state: "done", count: 1 },
        anything: { state: "done", count: 1 },
        risky: { state: "done", count: 1 }
      }
    }
    const graph = toFlowGraph(catching)
    const o = overlay(graph, progress)
    const payment = graph.root.nodes.find((n) => n.kind === "subProcess" && n.id === "Activity_payment")
    if (payment?.kind !== "subProcess") throw new Error("no payment subprocess")
    const innerEnds = payment.container.nodes.filter((n) => n.kind === "endEvent" && n.error === undefined)
    expect(innerEnds.length).toBeGreaterThan(0)
    for (const end of innerEnds) expect(o.states.get(end.id)).toBeUndefined()
    expect(o.states.get("Activity_payment")).toBe("failed")
    expect(o.states.get("Activity_refund")).toBe("done")
  })

  it("colours a completed loop that never repeated: exit taken, flow back not", async () => {
    const progress: Progress = {
      instance: "8",
      status: "completed",
      nodes: {
        prepare: { state: "done", count: 1 },
        charge: { state: "done", count: 1 },
        receipt: { state: "done", count: 1 }
      }
    }
    const states = overlay(toFlowGraph(looping), progress).states
    expect(Object.fromEntries(states)).toEqual({
      StartEvent: "done",
      Activity_prepare: "done",
      Join_retry: "done",
      Activity_charge: "done",
      Split_retry: "done",
      Activity_receipt: "done",
      EndEvent: "done",
      Flow_StartEvent_Activity_prepare: "done",
      Flow_Activity_prepare_Join_retry: "done",
      Flow_Join_retry_Activity_charge: "done",
      Flow_Activity_charge_Split_retry: "done",
      Flow_Split_retry_Activity_receipt: "done",
      Flow_Activity_receipt_EndEvent: "done"
    })
  })

  it("does not leave a loop that is still going round", () => {
    const progress: Progress = {
      instance: "9",
      status: "running",
      nodes: {
        prepare: { state: "done", count: 1 },
        charge: { state: "current", count: 1 },
        wait: { state: "done", count: 1 }
      }
    }
    const states = overlay(toFlowGraph(looping), progress).states
    expect(states.get("Flow_Activity_wait_Join_retry")).toBe("done")
    expect(states.get("Split_retry")).toBe("done")
    expect(states.get("Activity_charge")).toBe("current")
    expect(states.has("Flow_Split_retry_Activity_receipt")).toBe(false)
    expect(states.has("EndEvent")).toBe(false)
  })

  it("does not pass a branch's merge while one of its arms is still inside a loop", () => {
    // The branch's own progress says its split was passed; that says nothing about its merge.
    const model: WorkflowModel = {
      format: 1,
      name: "rounds",
      root: {
        kind: "branch",
        id: "size",
        name: "Size?",
        arms: [
          {
            id: "size.small",
            condition: "small",
            body: { kind: "transition", id: "auto", name: "Auto", errors: [] }
          }
        ],
        otherwise: {
          id: "size.otherwise",
          condition: "otherwise",
          body: {
            kind: "loop",
            id: "rounds",
            body: { kind: "signal", id: "review", name: "Review", signal: "Review", errors: [] },
            exit: "approved",
            repeat: "again"
          }
        }
      }
    }
    const progress: Progress = {
      instance: "11",
      status: "waiting",
      nodes: {
        size: { state: "done", count: 1 },
        "size.otherwise": { state: "done", count: 1 },
        review: { state: "current", count: 1 }
      }
    }
    const states = overlay(toFlowGraph(model), progress).states
    expect(states.get("Split_size")).toBe("done")
    expect(states.get("Flow_size.otherwise")).toBe("done")
    expect(states.get("Event_review")).toBe("current")
    expect(states.has("Join_size")).toBe(false)
    expect(states.has("Flow_Split_rounds_Join_size")).toBe(false)
    expect(states.has("EndEvent")).toBe(false)
  })

  it("takes an arm's flow exactly when the arm is done, and a pass-through when no arm is", () => {
    const progress: Progress = {
      instance: "10",
      status: "completed",
      nodes: { express: { state: "done", count: 1 }, finish: { state: "done", count: 1 } }
    }
    const states = overlay(toFlowGraph(passThrough), progress).states
    // `maybe` took neither arm: its pass-through was the way
    expect(states.get("Flow_Split_maybe_Join_maybe")).toBe("done")
    expect(states.has("Flow_skip")).toBe(false)
    expect(states.has("Flow_pay")).toBe(false)
    expect(states.get("Flow_express")).toBe("done")
    expect(states.has("Flow_regular")).toBe(false)
    expect(states.get("EndEvent")).toBe("done")
  })

  it("draws the same colours in SVG, with a legend", async () => {
    const diagram = await layout(nested)
    const plain = await toSvg(diagram)
    const svg = await toSvg(diagram, { progress: nestedProgress })
    const group = (id: string) => svg.match(new RegExp(`<g class="([^"]*)" data-element-id="${id}">(.*?)</g>`, "s"))
    expect(group("Activity_charge")?.[1]).toBe("dm-shape dm-task dm-done")
    expect(group("Activity_charge")?.[2]).toContain(`fill="${GREEN.fill}" stroke="${GREEN.stroke}"`)
    expect(group("Event_delivered")?.[1]).toBe("dm-shape dm-messageCatchEvent dm-current")
    expect(group("Event_delivered")?.[2]).toContain(`fill="${AMBER.fill}" stroke="${AMBER.stroke}"`)
    // Not reached: greyed out, and said so on hover.
    expect(group("Activity_bill")?.[1]).toBe("dm-shape dm-task")
    expect(group("Activity_bill")?.[2]).toContain('fill="#ffffff" stroke="#b0b3b8"')
    expect(group("Activity_bill")?.[2]).toContain("state: not reached")
    // A badge per state, so the state reads without colour; ×2 where the loop ran its body twice.
    expect(group("Activity_charge")?.[2]).toContain('<g class="dm-badge" aria-label="✓">')
    expect(svg).toMatch(/<g class="dm-count">[\s\S]*?>×2<\/text><\/g>/)
    expect(group("Event_delivered")?.[2]).toContain('<g class="dm-badge" aria-label="‖">')
    expect(group("Flow_card")?.[1]).toBe("dm-flow dm-done")
    expect(group("Flow_card")?.[2]).toContain(`stroke="${GREEN.stroke}"`)
    expect(svg).toContain('<g class="dm-legend">')
    expect(svg).toContain(">instance 42: waiting</text>")
    expect(svg).toContain(">waiting here</text>")
    expect(plain).not.toContain("dm-legend")
    expect(plain).not.toContain(GREEN.stroke)
  })

  it("adds badges, classDef, class and linkStyle lines to Mermaid", () => {
    const text = toMermaid(nested, { progress: nestedProgress })
    expect(text).toContain("  classDef done fill:#c8e6c9,stroke:#43a047,stroke-width:2px,color:#22242a\n")
    expect(text).toContain("  classDef current fill:#ffe0b2,stroke:#fb8c00,stroke-width:2px,color:#22242a\n")
    expect(text).toContain("  classDef idle fill:#ffffff,stroke:#b0b3b8,stroke-width:2px,color:#8a8d93\n")
    expect(text).toContain("  classDef idleEnd fill:#ffffff,stroke:#b0b3b8,stroke-width:4px,color:#8a8d93\n")
    expect(text).toContain("  class n_Event_delivered current\n")
    expect(text).toContain("  class s_Activity_shipping currentScope\n")
    expect(text).toMatch(/^ {2}class n_StartEvent,n_Event_placed,n_Start_fulfil,\S+ done$/m)
    expect(text).toMatch(/^ {2}linkStyle [\d,]+ stroke:#43a047,stroke-width:3px$/m)
    // The state reads without colour too.
    expect(text).toContain('  n_Event_delivered(["✉ ‖ Delivered"])\n')
    expect(text).toContain('    n_Activity_charge("✓ ×2 Charge card")\n')
    expect(text).toContain('  n_Activity_close("Close order")\n')
    expect(toMermaid(nested)).not.toContain("classDef done")
  })

  it("shows the timer an instance sleeps on as waiting, with its due time in the SVG and the BPMN", async () => {
    const progress = timedProgress
    const states = overlay(toFlowGraph(timed), progress)
    expect([...states.states].sort()).toEqual([
      ["Event_cool", "current"],
      ["Event_ordered", "done"],
      ["Flow_Event_ordered_Event_cool", "done"],
      ["Flow_StartEvent_Event_ordered", "done"],
      ["StartEvent", "done"]
    ])
    expect([...states.dues]).toEqual([["Event_cool", "2026-12-02T07:00:20.000Z"]])
    const svg = await toSvg(timed, { progress })
    const group = svg.match(/<g class="([^"]*)" data-element-id="Event_cool">(.*?)<\/g>/s)
    expect(group?.[1]).toBe("dm-shape dm-timerCatchEvent dm-current")
    expect(group?.[2]).toContain(
      "<title>Cool down (timer event)\nstate: current (due 2026-12-02T07:00:20.000Z)\nafter: PT20S</title>"
    )
    expect(group?.[2]).toContain(`fill="${AMBER.fill}" stroke="${AMBER.stroke}"`)
    const { rootElement } = await reimport(await toBpmn(timed, { progress }))
    const process = (rootElement.get("rootElements") as Array<AnyElement>).find(
      (r) => r.$type === "bpmn:Process"
    ) as AnyElement
    const note = (process.get("artifacts") as Array<AnyElement>)[0]?.text as string
    expect(note.split("\n").at(-1)).toBe("Sleeping: Cool down until 2026-12-02T07:00:20.000Z")
    // Not sleeping: no due time anywhere.
    expect(
      await toSvg(timed, { progress: { ...progress, nodes: { ordered: { state: "done", count: 1 } } } })
    ).not.toContain("(due ")
  })

  it("a section cut short by an interruption: its boundary and path taken, its inner end and normal exit not", () => {
    const progress: Progress = {
      instance: "7",
      status: "running",
      nodes: {
        check: { state: "done", count: 1 },
        checks: { state: "done", count: 1 },
        cancelled: { state: "done", count: 1 },
        unlock: { state: "current", count: 0 }
      }
    }
    expect([...overlay(toFlowGraph(interrupting), progress).states].sort()).toEqual([
      ["Activity_check", "done"],
      ["Activity_checks", "done"],
      ["Activity_unlock", "current"],
      ["Event_cancelled", "done"],
      ["Flow_Event_cancelled_Activity_unlock", "done"],
      ["Flow_StartEvent_Activity_checks", "done"],
      ["Flow_Start_checks_Activity_check", "done"],
      ["StartEvent", "done"],
      ["Start_checks", "done"]
    ])
    // Once past the merge: still not through the section's normal way out.
    const after = overlay(toFlowGraph(interrupting), {
      ...progress,
      nodes: { ...progress.nodes, unlock: { state: "done", count: 1 }, release: { state: "current", count: 0 } }
    }).states
    expect(after.get("Join_checks")).toBe("done")
    expect(after.get("Flow_Activity_unlock_Join_checks")).toBe("done")
    expect(after.has("Flow_Activity_checks_Join_checks")).toBe(false)
    expect(after.has("End_checks")).toBe(false)
    expect(after.has("Event_timedOut")).toBe(false)
  })

  it("a race decided by a signal: that arm taken, the other arms and the deadline not", () => {
    const progress: Progress = {
      instance: "8",
      status: "running",
      nodes: {
        submit: { state: "done", count: 1 },
        decision: { state: "done", count: 1 },
        approved: { state: "done", count: 1 },
        pay: { state: "current", count: 0 }
      }
    }
    const states = overlay(toFlowGraph(racing), progress).states
    expect([...states].sort()).toEqual([
      ["Activity_pay", "current"],
      ["Activity_submit", "done"],
      ["Event_approved", "done"],
      ["Flow_Activity_submit_Split_decision", "done"],
      ["Flow_Event_approved_Activity_pay", "done"],
      ["Flow_Split_decision_Event_approved", "done"],
      ["Flow_StartEvent_Activity_submit", "done"],
      ["Split_decision", "done"],
      ["StartEvent", "done"]
    ])
  })
})
