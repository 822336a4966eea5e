// How each model construct maps to BPMN elements and ids, read back through bpmn-moddle.
import type { AnyElement } from "bpmn-moddle"
import { describe, expect, it } from "vitest"
import type { ModelNode, WorkflowModel } from "../../src/model/WorkflowModel.js"
import { toBpmn } from "../../src/render/index.js"
import { flowElements, reimport } from "./checks.js"
import {
  awkward,
  branching,
  catching,
  linear,
  looping,
  nested,
  passThrough,
  interrupting,
  racing,
  raising,
  sharedSignals,
  timed
} from "./fixtures.js"

const read = async (model: WorkflowModel) => {
  const { rootElement, warnings } = await reimport(await toBpmn(model))
  expect(warnings).toEqual([])
  const elements = flowElements(rootElement)
  const byId = new Map(elements.map((e) => [e.id, e]))
  const get = (id: string): AnyElement => {
    const e = byId.get(id)
    if (!e) throw new Error(`no element ${id}; have ${[...byId.keys()].join(", ")}`)
    return e
  }
  const roots = rootElement.get("rootElements") as Array<AnyElement>
  return { definitions: rootElement, elements, get, roots }
}

const summary = (e: AnyElement) => `${e.$type.replace("bpmn:", "")} ${e.id}${e.name ? ` "${e.name}"` : ""}`
const flow = (e: AnyElement) =>
  `${e.id}: ${e.sourceRef.id} -> ${e.targetRef.id}${e.name ? ` "${e.name}"` : ""}${e.conditionExpression ? ` [${e.conditionExpression.body}]` : ""}${e.sourceRef.default === e ? " (default)" : ""}`

describe("toBpmn", () => {
  it("draws a sequence as start event, tasks and catch events, end event, with ids from the model", async () => {
    const { elements, get, roots, definitions } = await read(linear)
    expect(elements.filter((e) => e.$type !== "bpmn:SequenceFlow").map(summary)).toEqual([
      'StartEvent StartEvent "Linear started"',
      'IntermediateCatchEvent Event_placed "Order placed"',
      'ServiceTask Activity_charge "Charge card"',
      'Task Activity_total "Compute total"',
      'EndEvent EndEvent "Linear completed"'
    ])
    expect(elements.filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)).toEqual([
      "Flow_StartEvent_Event_placed: StartEvent -> Event_placed",
      "Flow_Event_placed_Activity_charge: Event_placed -> Activity_charge",
      "Flow_Activity_charge_Activity_total: Activity_charge -> Activity_total",
      "Flow_Activity_total_EndEvent: Activity_total -> EndEvent"
    ])
    expect(get("Event_placed").eventDefinitions[0].messageRef.id).toBe("Message_OrderPlaced")
    expect(roots.map(summary)).toEqual(['Message Message_OrderPlaced "OrderPlaced"', 'Process Process_linear "linear"'])
    // Document-level ids come from the workflow's name: several workflows can share one modeler project.
    expect(definitions.id).toBe("Definitions_linear")
    expect(get("Activity_charge").incoming.map((f: AnyElement) => f.id)).toEqual(["Flow_Event_placed_Activity_charge"])
    expect(get("Activity_charge").outgoing.map((f: AnyElement) => f.id)).toEqual([
      "Flow_Activity_charge_Activity_total"
    ])
  })

  it("draws a timer as a timer intermediate catch event with its ISO duration, computed duration or date", async () => {
    const { get } = await read(timed)
    const definition = (id: string) => {
      const d = get(id).eventDefinitions[0]
      return [get(id).$type, d.$type, d.timeDuration?.body, d.timeDate?.body]
    }
    expect(definition("Event_cool")).toEqual([
      "bpmn:IntermediateCatchEvent",
      "bpmn:TimerEventDefinition",
      "PT20S",
      undefined
    ])
    expect(definition("Event_backoff")).toEqual([
      "bpmn:IntermediateCatchEvent",
      "bpmn:TimerEventDefinition",
      "2^tries s",
      undefined
    ])
    expect(definition("Event_dueDate")).toEqual([
      "bpmn:IntermediateCatchEvent",
      "bpmn:TimerEventDefinition",
      undefined,
      "due date"
    ])
  })

  it("draws a step's retry policy as a loop marker with the policy as its condition", async () => {
    const { get } = await read(timed)
    const loop = get("Activity_check").loopCharacteristics
    expect([loop.$type, loop.loopCondition.body]).toEqual([
      "bpmn:StandardLoopCharacteristics",
      "retry: every 20 s, 5 attempts"
    ])
    expect(get("Activity_remind").loopCharacteristics).toBeUndefined()
  })

  it("draws a race as an event-based gateway to one catch event per arm, merged after the arms", async () => {
    const { elements } = await read(racing)
    expect(elements.filter((e) => e.$type !== "bpmn:SequenceFlow").map(summary)).toEqual([
      'StartEvent StartEvent "Racing started"',
      'ServiceTask Activity_submit "Submit"',
      'EventBasedGateway Split_decision "Decision"',
      'IntermediateCatchEvent Event_approved "Approved"',
      'ServiceTask Activity_pay "Pay out"',
      'IntermediateCatchEvent Event_rejected "Rejected"',
      'IntermediateCatchEvent Event_deadline "48 hours"',
      'ServiceTask Activity_escalate "Escalate"',
      "ExclusiveGateway Join_decision",
      'EndEvent EndEvent "Racing completed"'
    ])
    // No conditions: the event that happens first decides.
    expect(elements.filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)).toEqual([
      "Flow_StartEvent_Activity_submit: StartEvent -> Activity_submit",
      "Flow_Activity_submit_Split_decision: Activity_submit -> Split_decision",
      "Flow_Split_decision_Event_approved: Split_decision -> Event_approved",
      "Flow_Event_approved_Activity_pay: Event_approved -> Activity_pay",
      "Flow_Activity_pay_Join_decision: Activity_pay -> Join_decision",
      "Flow_Split_decision_Event_rejected: Split_decision -> Event_rejected",
      "Flow_Event_rejected_Join_decision: Event_rejected -> Join_decision",
      "Flow_Split_decision_Event_deadline: Split_decision -> Event_deadline",
      "Flow_Event_deadline_Activity_escalate: Event_deadline -> Activity_escalate",
      "Flow_Activity_escalate_Join_decision: Activity_escalate -> Join_decision",
      "Flow_Join_decision_EndEvent: Join_decision -> EndEvent"
    ])
  })

  it("draws an interruptible section as a subprocess with interrupting message and timer boundary events", async () => {
    const { get } = await read(interrupting)
    const boundary = (id: string) => {
      const e = get(id)
      const d = e.eventDefinitions[0]
      return [e.$type, e.attachedToRef.id, e.cancelActivity, d.$type, d.messageRef?.id ?? d.timeDuration?.body]
    }
    expect(boundary("Event_cancelled")).toEqual([
      "bpmn:BoundaryEvent",
      "Activity_checks",
      true,
      "bpmn:MessageEventDefinition",
      "Message_Cancel"
    ])
    expect(boundary("Event_timedOut")).toEqual([
      "bpmn:BoundaryEvent",
      "Activity_checks",
      true,
      "bpmn:TimerEventDefinition",
      "PT2M"
    ])
  })

  it("declares one bpmn:Message per distinct signal, shared by the events waiting for it", async () => {
    const { get, roots } = await read(sharedSignals)
    expect(roots.filter((r) => r.$type === "bpmn:Message").map(summary)).toEqual([
      'Message Message_Approve "Approve"',
      'Message Message_PaymentReceived "PaymentReceived"'
    ])
    expect(get("Event_first").eventDefinitions[0].messageRef).toBe(get("Event_second").eventDefinitions[0].messageRef)
  })

  it("draws a branch as a split gateway with conditioned flows and a default, merged by a join gateway", async () => {
    const { elements, get } = await read(branching)
    expect(get("Split_decide").name).toBe("Approved?")
    expect(get("Split_decide").gatewayDirection).toBe("Diverging")
    expect(get("Join_decide").gatewayDirection).toBe("Converging")
    const flows = elements.filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)
    expect(flows).toContain('Flow_yes: Split_decide -> Activity_ship "approved" [approved]')
    expect(flows).toContain('Flow_no: Split_decide -> Activity_notify "rejected" [rejected]')
    expect(flows).toContain('Flow_other: Split_decide -> Activity_escalate "otherwise" (default)')
    // The rejected arm ends the instance: a terminate end event, and no flow to the join.
    expect(get("Event_rejectedEnd").eventDefinitions.map((d: AnyElement) => d.$type)).toEqual([
      "bpmn:TerminateEventDefinition"
    ])
    expect(get("Join_decide").incoming.map((f: AnyElement) => f.sourceRef.id)).toEqual([
      "Activity_ship",
      "Activity_escalate"
    ])
  })

  it("draws empty arms and sequences as flows straight through", async () => {
    const { elements } = await read(passThrough)
    const flows = elements.filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)
    expect(flows).toEqual([
      "Flow_StartEvent_Split_maybe: StartEvent -> Split_maybe",
      'Flow_skip: Split_maybe -> Join_maybe "already paid" [already paid]',
      'Flow_pay: Split_maybe -> Activity_pay "unpaid" [unpaid]',
      "Flow_Activity_pay_Join_maybe: Activity_pay -> Join_maybe",
      'Flow_Split_maybe_Join_maybe: Split_maybe -> Join_maybe "otherwise" (default)',
      "Flow_Join_maybe_Split_twoEmpty: Join_maybe -> Split_twoEmpty",
      'Flow_express: Split_twoEmpty -> Join_twoEmpty "express" [express]',
      'Flow_regular: Split_twoEmpty -> Join_twoEmpty "otherwise" (default)',
      "Flow_Join_twoEmpty_Activity_finish: Join_twoEmpty -> Activity_finish",
      "Flow_Activity_finish_EndEvent: Activity_finish -> EndEvent"
    ])
    // An unnamed branch still gets a name: bpmnlint wants one on every forking gateway.
    expect(elements.find((e) => e.id === "Split_maybe")?.name).toBe("?")
  })

  it("draws a loop as join gateway, body, split with an exit and a default flow back through restart", async () => {
    const { elements } = await read(looping)
    expect(elements.filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)).toEqual([
      "Flow_StartEvent_Activity_prepare: StartEvent -> Activity_prepare",
      "Flow_Activity_prepare_Join_retry: Activity_prepare -> Join_retry",
      "Flow_Join_retry_Activity_charge: Join_retry -> Activity_charge",
      "Flow_Activity_charge_Split_retry: Activity_charge -> Split_retry",
      'Flow_Split_retry_Activity_wait: Split_retry -> Activity_wait "retry" (default)',
      "Flow_Activity_wait_Join_retry: Activity_wait -> Join_retry",
      'Flow_Split_retry_Activity_receipt: Split_retry -> Activity_receipt "paid" [paid]',
      "Flow_Activity_receipt_EndEvent: Activity_receipt -> EndEvent"
    ])
  })

  it("draws a catch as a subprocess with error end events inside, its name on the error boundaries, and a rejoin", async () => {
    const { elements, get, roots } = await read(catching)
    const payment = get("Activity_payment")
    expect(payment.$type).toBe("bpmn:SubProcess")
    // The catch's name reads as the handler: it labels the boundaries, not the protected scope.
    expect(payment.name).toBeUndefined()
    expect(
      (payment.flowElements as Array<AnyElement>).filter((e) => e.$type !== "bpmn:SequenceFlow").map(summary)
    ).toEqual([
      'StartEvent Start_payment "Try"',
      'ServiceTask Activity_authorize "Authorize"',
      'ExclusiveGateway Outcome_authorize "PaymentDeclined?"',
      'EndEvent Raise_authorize_PaymentDeclined "PaymentDeclined"',
      'ServiceTask Activity_capture "Capture"',
      'ExclusiveGateway Outcome_capture "CardExpired?"',
      'EndEvent Raise_capture_CardExpired "CardExpired"',
      'EndEvent End_payment "No error"'
    ])
    // A step that may raise a typed error: an outcome gateway, on by default, or to an error end event throwing it.
    expect(
      (payment.flowElements as Array<AnyElement>).filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)
    ).toEqual([
      "Flow_Start_payment_Activity_authorize: Start_payment -> Activity_authorize",
      "Flow_Activity_authorize_Outcome_authorize: Activity_authorize -> Outcome_authorize",
      'Flow_Outcome_authorize_Activity_capture: Outcome_authorize -> Activity_capture "no" (default)',
      'Flow_Outcome_authorize_Raise_authorize_PaymentDeclined: Outcome_authorize -> Raise_authorize_PaymentDeclined "yes" [PaymentDeclined]',
      "Flow_Activity_capture_Outcome_capture: Activity_capture -> Outcome_capture",
      'Flow_Outcome_capture_End_payment: Outcome_capture -> End_payment "no" (default)',
      'Flow_Outcome_capture_Raise_capture_CardExpired: Outcome_capture -> Raise_capture_CardExpired "yes" [CardExpired]'
    ])
    expect(get("Raise_authorize_PaymentDeclined").eventDefinitions[0].$type).toBe("bpmn:ErrorEventDefinition")
    expect(get("Raise_authorize_PaymentDeclined").eventDefinitions[0].errorRef.name).toBe("PaymentDeclined")
    // One boundary per caught error, each referring to its bpmn:Error, merged before the handler.
    for (const [id, error] of [
      ["Boundary_payment_1", "PaymentDeclined"],
      ["Boundary_payment_2", "CardExpired"]
    ] as const) {
      expect(get(id).attachedToRef.id).toBe("Activity_payment")
      expect(get(id).name).toBe(`Payment: ${error}`)
      expect(get(id).eventDefinitions[0].errorRef.name).toBe(error)
      expect(get(id).outgoing[0].targetRef.id).toBe("HandlerJoin_payment")
    }
    expect(roots.filter((r) => r.$type === "bpmn:Error").map(summary)).toEqual([
      'Error Error_PaymentDeclined "PaymentDeclined"',
      'Error Error_CardExpired "CardExpired"'
    ])
    expect(get("Join_payment").incoming.map((f: AnyElement) => f.sourceRef.id)).toEqual([
      "Activity_payment",
      "Activity_refund"
    ])
    // Catching any error: one boundary with no errorRef; an empty handler goes straight to the join.
    expect(get("Boundary_anything").name).toBe("any error")
    expect(get("Boundary_anything").eventDefinitions[0].$type).toBe("bpmn:ErrorEventDefinition")
    expect(get("Boundary_anything").eventDefinitions[0].errorRef).toBeUndefined()
    expect(get("Boundary_anything").outgoing[0].targetRef.id).toBe("Join_anything")
    expect(elements.filter((e) => e.$type === "bpmn:BoundaryEvent")).toHaveLength(3)
  })

  it("draws a raise as an error end event throwing its error (a gateway naming them when there are several)", async () => {
    const { elements, get, roots } = await read(raising)
    const order = get("Activity_order")
    expect((order.flowElements as Array<AnyElement>).filter((e) => e.$type === "bpmn:SequenceFlow").map(flow)).toEqual([
      "Flow_Start_order_Activity_check: Start_order -> Activity_check",
      "Flow_Activity_check_Split_valid: Activity_check -> Split_valid",
      'Flow_valid.no: Split_valid -> Raise_reject_Rejected "invalid" [invalid]',
      'Flow_Split_valid_End_order: Split_valid -> End_order "otherwise" (default)'
    ])
    expect(get("Raise_reject_Rejected").name).toBe("Reject")
    expect(get("Raise_reject_Rejected").eventDefinitions[0].errorRef.name).toBe("Rejected")
    expect(get("Raise_reject_Rejected").outgoing ?? []).toEqual([])
    // The handler raises one of two errors: nothing follows it, so only the normal exit leads to "Ship".
    expect(get("Activity_refund").outgoing.map(flow)).toEqual([
      "Flow_Activity_refund_Outcome_fail: Activity_refund -> Outcome_fail"
    ])
    expect(get("Outcome_fail").name).toBe("Fail: which error?")
    expect(get("Outcome_fail").outgoing.map(flow)).toEqual([
      'Flow_Outcome_fail_Raise_fail_Refunded: Outcome_fail -> Raise_fail_Refunded "Refunded" [Refunded]',
      'Flow_Outcome_fail_Raise_fail_Lost: Outcome_fail -> Raise_fail_Lost "Lost" [Lost]'
    ])
    for (const [id, error] of [
      ["Raise_fail_Refunded", "Refunded"],
      ["Raise_fail_Lost", "Lost"]
    ] as const) {
      expect(get(id).$type).toBe("bpmn:EndEvent")
      expect(get(id).eventDefinitions[0].errorRef.name).toBe(error)
      expect(get(id).outgoing ?? []).toEqual([])
    }
    expect(get("Activity_ship").incoming.map(flow)).toEqual([
      "Flow_Activity_order_Activity_ship: Activity_order -> Activity_ship"
    ])
    expect(roots.filter((r) => r.$type === "bpmn:Error").map(summary)).toEqual([
      'Error Error_Rejected "Rejected"',
      'Error Error_Refunded "Refunded"',
      'Error Error_Lost "Lost"'
    ])
    expect(elements.filter((e) => e.$type === "bpmn:EndEvent").map(summary)).toEqual([
      'EndEvent Raise_reject_Rejected "Reject"',
      'EndEvent End_order "No error"',
      'EndEvent Raise_fail_Refunded "Refunded"',
      'EndEvent Raise_fail_Lost "Lost"',
      'EndEvent EndEvent "Raising completed"'
    ])
  })

  it("draws a catch around a named sub-workflow as one box", async () => {
    const model: WorkflowModel = {
      format: 1,
      name: "one box",
      root: {
        kind: "catch",
        id: "guard",
        name: "Compensate",
        errors: [],
        body: {
          kind: "subworkflow",
          id: "shipping",
          name: "Shipping",
          body: { kind: "step", id: "pack", name: "Pack", errors: [] }
        },
        handler: { kind: "step", id: "refund", name: "Refund", errors: [] }
      }
    }
    const { elements, get } = await read(model)
    expect(elements.filter((e) => e.$type === "bpmn:SubProcess").map(summary)).toEqual([
      'SubProcess Activity_shipping "Shipping"'
    ])
    expect(get("Boundary_guard").attachedToRef.id).toBe("Activity_shipping")
    expect(get("Boundary_guard").name).toBe("Compensate")
    expect(get("Start_shipping").name).toBe("Shipping started")
    expect(get("End_shipping").name).toBe("Shipping completed")
  })

  it("ends the instance from inside a subprocess the BPMN way: escalation, boundary, terminate end event", async () => {
    const model: WorkflowModel = {
      format: 1,
      name: "escalating",
      root: {
        kind: "sequence",
        id: "root",
        children: [
          {
            kind: "subworkflow",
            id: "check",
            name: "Check",
            body: {
              kind: "branch",
              id: "ok",
              name: "Fraud?",
              arms: [{ id: "fraud", condition: "fraud", body: { kind: "end", id: "blocked", name: "Blocked" } }]
            }
          },
          { kind: "step", id: "ship", name: "Ship", errors: [] }
        ]
      }
    }
    const { get, roots } = await read(model)
    // A terminate end event inside would end only the subprocess; the library ends the instance.
    expect(get("Escalate_blocked").$type).toBe("bpmn:EndEvent")
    expect(get("Escalate_blocked").eventDefinitions[0].$type).toBe("bpmn:EscalationEventDefinition")
    expect(get("Escalate_blocked").eventDefinitions[0].escalationRef.id).toBe("Escalation_blocked")
    expect(get("Escalated_blocked").$type).toBe("bpmn:BoundaryEvent")
    expect(get("Escalated_blocked").attachedToRef.id).toBe("Activity_check")
    expect(get("Escalated_blocked").cancelActivity).toBe(true)
    expect(get("Escalated_blocked").eventDefinitions[0].escalationRef.id).toBe("Escalation_blocked")
    expect(get("Escalated_blocked").outgoing[0].targetRef.id).toBe("Event_blocked")
    expect(get("Event_blocked").eventDefinitions[0].$type).toBe("bpmn:TerminateEventDefinition")
    expect(roots.filter((r) => r.$type === "bpmn:Escalation").map(summary)).toEqual([
      'Escalation Escalation_blocked "Blocked"'
    ])
    expect(get("Activity_check").outgoing.map((f: AnyElement) => f.targetRef.id)).toEqual(["Activity_ship"])
  })

  it("draws a subworkflow as an expanded subprocess and keeps descriptions as documentation", async () => {
    const { get, roots } = await read(nested)
    const shipping = get("Activity_shipping")
    expect(shipping.$type).toBe("bpmn:SubProcess")
    expect(shipping.documentation[0].text).toBe("The shipping sub-workflow")
    const process = roots.find((r) => r.$type === "bpmn:Process") as AnyElement
    expect(process.documentation[0].text).toBe('Handles one order: "payment", shipping & delivery <end-to-end>.')
    // A terminate end event in the catch handler; plain end events elsewhere.
    expect(get("Event_cancelled").eventDefinitions[0].$type).toBe("bpmn:TerminateEventDefinition")
    expect(get("EndEvent").eventDefinitions ?? []).toEqual([])
  })

  it("makes a lone terminate end event plain (ending there ends everything anyway)", async () => {
    const model: WorkflowModel = {
      format: 1,
      name: "short",
      root: {
        kind: "sequence",
        id: "root",
        children: [
          { kind: "step", id: "a", name: "A", errors: [] },
          { kind: "end", id: "stop", name: "Stopped" },
          { kind: "step", id: "never", name: "Unreachable", errors: [] }
        ]
      }
    }
    const { elements, get } = await read(model)
    expect(get("Event_stop").$type).toBe("bpmn:EndEvent")
    expect(get("Event_stop").eventDefinitions ?? []).toEqual([])
    // What follows an end on the same path is unreachable and left out.
    expect(elements.map((e) => e.id)).not.toContain("Activity_never")
  })

  it("escapes names and reads them back unchanged", async () => {
    const { get, definitions } = await read(awkward)
    expect(get("Activity_end").name).toBe('Say "hello" & <goodbye>')
    expect(get("Split_subgraph").name).toBe("x < 1 && y > 2?")
    expect(get("Flow_class").conditionExpression.body).toBe('x == "1"')
    const roots = definitions.get("rootElements") as Array<AnyElement>
    expect(roots.find((r) => r.$type === "bpmn:Message")?.id).toBe("Message_A_B")
  })

  it("keeps ids unique when slugs or flow ends repeat", async () => {
    const node = (id: string, sig: string): ModelNode => ({ kind: "signal", id, name: id, signal: sig, errors: [] })
    const model: WorkflowModel = {
      format: 1,
      name: "slugs",
      root: { kind: "sequence", id: "root", children: [node("a", "x y"), node("b", "x_y"), node("c", "x-y")] }
    }
    const { roots } = await read(model)
    expect(roots.filter((r) => r.$type === "bpmn:Message").map(summary)).toEqual([
      'Message Message_x_y "x y"',
      'Message Message_x_y_2 "x_y"',
      'Message Message_x-y "x-y"'
    ])
  })
})
