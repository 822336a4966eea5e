import type { Progress } from "../../src/model/Progress.js"
import type { BranchArmModel, ModelNode, WorkflowModel } from "../../src/model/WorkflowModel.js"

// Small constructors: fixtures read like the workflows they stand for.
const step = (id: string, name: string, errors: ReadonlyArray<string> = []): ModelNode => ({
  kind: "step",
  id,
  name,
  errors
})
const transition = (id: string, name: string): ModelNode => ({ kind: "transition", id, name, errors: [] })
const signal = (id: string, name: string, sig: string): ModelNode => ({
  kind: "signal",
  id,
  name,
  signal: sig,
  errors: []
})
const seq = (id: string, ...children: ReadonlyArray<ModelNode>): ModelNode => ({ kind: "sequence", id, children })
const arm = (id: string, condition: string, body: ModelNode): BranchArmModel => ({ id, condition, body })
const end = (id: string, name: string): ModelNode => ({ kind: "end", id, name })
const workflow = (name: string, root: ModelNode): WorkflowModel => ({ format: 1, name, root })

/** A straight line: one of each simple kind. */
export const linear = workflow(
  "linear",
  seq(
    "root",
    signal("placed", "Order placed", "OrderPlaced"),
    step("charge", "Charge card"),
    transition("total", "Compute total")
  )
)

const timer = (id: string, name: string, type: "duration" | "date", expression: string): ModelNode => ({
  kind: "timer",
  id,
  name,
  timer: { type, expression }
})

/** Durable timers (a fixed duration, a computed one inside a loop, a date) and a step with a retry policy. */
export const timed = workflow(
  "timed",
  seq(
    "root",
    signal("ordered", "Ordered", "Order"),
    timer("cool", "Cool down", "duration", "PT20S"),
    {
      kind: "loop",
      id: "poll",
      name: "Poll",
      body: seq(
        "pollBody",
        { kind: "step", id: "check", name: "Check status", errors: [], retry: "every 20 s, 5 attempts" },
        timer("backoff", "Back off", "duration", "2^tries s")
      ),
      exit: "settled",
      repeat: "pending"
    },
    timer("dueDate", "Until due date", "date", "due date"),
    step("remind", "Send reminder")
  )
)

/** A race of two signals with a deadline, one arm with more steps after its signal. */
export const racing = workflow(
  "racing",
  seq("root", step("submit", "Submit"), {
    kind: "race",
    id: "decision",
    name: "Decision",
    arms: [
      {
        trigger: { kind: "signal", id: "approved", name: "Approved", signal: "Approve", errors: [] },
        body: step("pay", "Pay out")
      },
      { trigger: { kind: "signal", id: "rejected", name: "Rejected", signal: "Reject", errors: [] } }
    ],
    deadline: {
      trigger: { kind: "timer", id: "deadline", name: "48 hours", timer: { type: "duration", expression: "P2D" } },
      body: step("escalate", "Escalate")
    }
  })
)

/** A section that a signal or a timeout interrupts. */
export const interrupting = workflow(
  "interrupting",
  seq(
    "root",
    {
      kind: "interruptible",
      id: "checks",
      name: "Checks",
      body: seq("checkBody", step("check", "Run checks"), signal("reviewed", "Reviewed", "Review")),
      interruptions: [
        {
          trigger: { kind: "signal", id: "cancelled", name: "Cancelled", signal: "Cancel", errors: [] },
          body: step("unlock", "Unlock funds")
        }
      ],
      timeout: {
        trigger: { kind: "timer", id: "timedOut", name: "2 minutes", timer: { type: "duration", expression: "PT2M" } },
        body: transition("markTimedOut", "Mark timed out")
      }
    },
    step("release", "Release")
  )
)

/** A decision with a named otherwise, and one arm that ends the instance. */
export const branching = workflow(
  "branching",
  seq(
    "root",
    step("review", "Review"),
    {
      kind: "branch",
      id: "decide",
      name: "Approved?",
      arms: [
        arm("yes", "approved", step("ship", "Ship")),
        arm("no", "rejected", seq("no_seq", step("notify", "Notify customer"), end("rejectedEnd", "Rejected")))
      ],
      otherwise: arm("other", "otherwise", step("escalate", "Escalate to a human reviewer"))
    },
    step("archive", "Archive")
  )
)

/** Empty arms and empty sequences: paths that pass straight through. */
export const passThrough = workflow(
  "pass-through",
  seq(
    "root",
    seq("empty"),
    {
      kind: "branch",
      id: "maybe",
      arms: [arm("skip", "already paid", seq("nothing")), arm("pay", "unpaid", step("pay", "Pay"))]
    },
    {
      kind: "branch",
      id: "twoEmpty",
      name: "Express?",
      arms: [arm("express", "express", seq("e1"))],
      otherwise: arm("regular", "otherwise", seq("e2"))
    },
    step("finish", "Finish")
  )
)

/** A loop with a restart step: merge gateway, body, split with exit and back flow. */
export const looping = workflow(
  "looping",
  seq(
    "root",
    step("prepare", "Prepare"),
    {
      kind: "loop",
      id: "retry",
      name: "Paid?",
      body: step("charge", "Charge card"),
      exit: "paid",
      repeat: "retry",
      restart: transition("wait", "Back off")
    },
    step("receipt", "Send receipt")
  )
)

/** Catching named errors (one boundary each) and any error (one catch-all boundary). */
export const catching = workflow(
  "catching",
  seq(
    "root",
    {
      kind: "catch",
      id: "payment",
      name: "Payment",
      errors: ["PaymentDeclined", "CardExpired"],
      body: seq(
        "pay_seq",
        step("authorize", "Authorize", ["PaymentDeclined"]),
        step("capture", "Capture", ["CardExpired"])
      ),
      handler: step("refund", "Refund")
    },
    { kind: "catch", id: "anything", errors: [], body: step("risky", "Risky call"), handler: seq("nohandler") }
  )
)

/** Two waits on the same signal share one bpmn:Message. */
export const sharedSignals = workflow(
  "shared-signals",
  seq(
    "root",
    signal("first", "First approval", "Approve"),
    signal("second", "Second approval", "Approve"),
    signal("paid", "Payment received", "PaymentReceived")
  )
)

/** Loop in a branch in a catch, plus a subworkflow, an end in a handler: every kind, nested. */
export const nested: WorkflowModel = {
  format: 1,
  name: "order",
  description: 'Handles one order: "payment", shipping & delivery <end-to-end>.',
  root: seq(
    "root",
    signal("placed", "Order placed", "OrderPlaced"),
    {
      kind: "catch",
      id: "fulfil",
      name: "Fulfilment",
      errors: ["OutOfStock"],
      body: seq("fulfil_seq", step("reserve", "Reserve stock", ["OutOfStock"]), {
        kind: "branch",
        id: "method",
        name: "Payment method?",
        arms: [
          arm("card", "card", {
            kind: "loop",
            id: "charging",
            body: step("charge", "Charge card"),
            exit: "charged",
            repeat: "declined",
            restart: signal("newCard", "New card", "CardUpdated")
          }),
          arm("invoice", "invoice", transition("bill", "Create invoice"))
        ]
      }),
      handler: seq("fulfil_handler", step("apologise", "Apologise"), end("cancelled", "Cancelled"))
    },
    {
      kind: "subworkflow",
      id: "shipping",
      name: "Shipping",
      description: "The shipping sub-workflow",
      body: seq(
        "ship_seq",
        step("pack", "Pack"),
        step("send", "Hand over to carrier"),
        signal("delivered", "Delivered", "Delivered")
      )
    },
    transition("close", "Close order")
  )
}

/** Names that need escaping in XML, SVG and Mermaid, and ids that are reserved words in Mermaid. */
export const awkward = workflow(
  'quotes "and" <tags> & ampersands',
  seq("root", step("end", 'Say "hello" & <goodbye>'), signal("graph", "Wait for 'A' -> B", "A&B"), {
    kind: "branch",
    id: "subgraph",
    name: "x < 1 && y > 2?",
    arms: [
      arm("class", 'x == "1"', step("style", "A very long step name that certainly needs to wrap over several lines"))
    ]
  })
)

const branch = (id: string, arms: ReadonlyArray<BranchArmModel>, otherwise?: BranchArmModel): ModelNode => ({
  kind: "branch",
  id,
  arms,
  ...(otherwise ? { otherwise } : {})
})
const loop = (id: string, body: ModelNode, restart?: ModelNode): ModelNode => ({
  kind: "loop",
  id,
  body,
  exit: `${id} done`,
  repeat: `${id} again`,
  ...(restart ? { restart } : {})
})

/** Corners: degenerate and deeply combined shapes that must still give valid, lint-clean BPMN. */
export const edgeCases: Readonly<Record<string, WorkflowModel>> = {
  emptyRoot: workflow("empty", seq("root")),
  singleStep: workflow("single", step("only", "Only")),
  allArmsEnd: workflow(
    "all arms end",
    seq(
      "root",
      step("a", "A"),
      branch("b", [arm("x", "x", end("e1", "E1"))], arm("o", "otherwise", end("e2", "E2"))),
      step("never", "Never")
    )
  ),
  emptyCatch: workflow("empty catch", { kind: "catch", id: "c", errors: ["E"], body: seq("s"), handler: seq("h") }),
  subworkflowInSubworkflow: workflow("sub in sub", {
    kind: "subworkflow",
    id: "outer",
    name: "Outer",
    body: { kind: "subworkflow", id: "inner", name: "Inner", body: step("deep", "Deep") }
  }),
  endInSubworkflow: workflow(
    "end in sub",
    seq(
      "root",
      { kind: "subworkflow", id: "w", name: "W", body: seq("s", step("a", "A"), end("stop", "Stop")) },
      step("after", "After")
    )
  ),
  loopWithEmptyBody: workflow("loop empty", seq("root", step("a", "A"), loop("l", seq("s"), step("wait", "Wait")))),
  loopInLoop: workflow("loop in loop", loop("outer", loop("inner", step("a", "A")), step("r", "R"))),
  catchInLoop: workflow(
    "catch in loop",
    loop("l", { kind: "catch", id: "c", errors: [], body: step("a", "A"), handler: step("h", "H") })
  ),
  branchWithoutArms: workflow(
    "no arms",
    seq("root", step("a", "A"), branch("b", [], arm("o", "otherwise", step("b1", "B1"))), branch("b2", []))
  ),
  branchAfterBranch: workflow(
    "branch after branch",
    seq("root", branch("b1", [arm("x1", "x", step("a", "A"))]), branch("b2", [arm("x2", "y", step("b", "B"))]))
  )
}

/** Every fixture above, by name. */
export const fixtures: Readonly<Record<string, WorkflowModel>> = {
  linear,
  branching,
  passThrough,
  looping,
  catching,
  sharedSignals,
  nested,
  awkward,
  timed,
  racing,
  interrupting
}

/**
 * A large model for tests and the benchmark: `blocks` repetitions of a block of ten model nodes (steps, a signal, a
 * branch with a loop in one arm, a catch), about `9.3 × blocks` nodes in all (200 for the default 21). Deterministic.
 */
export const generated = (blocks = 21): WorkflowModel => {
  const children: Array<ModelNode> = []
  for (let i = 0; i < blocks; i++) {
    const p = `b${i}_`
    children.push(
      step(`${p}validate`, `Validate ${i}`),
      signal(`${p}approve`, `Approval ${i}`, i % 3 === 0 ? "Approve" : `Signal${i % 5}`),
      {
        kind: "branch",
        id: `${p}route`,
        name: `Route ${i}?`,
        arms: [
          arm(`${p}fast`, "fast", step(`${p}quick`, `Quick path ${i}`)),
          arm(`${p}slow`, "slow", {
            kind: "loop",
            id: `${p}poll`,
            body: step(`${p}check`, `Check ${i}`),
            exit: "ready",
            repeat: "not yet",
            ...(i % 2 === 0 ? { restart: transition(`${p}wait`, `Wait ${i}`) } : {})
          })
        ],
        ...(i % 4 === 0
          ? { otherwise: arm(`${p}other`, "otherwise", transition(`${p}fallback`, `Fallback ${i}`)) }
          : {})
      },
      {
        kind: "catch",
        id: `${p}guard`,
        errors: i % 2 === 0 ? [`Failure${i}`] : [],
        body: seq(`${p}guarded`, step(`${p}call`, `Call service ${i}`)),
        handler: step(`${p}compensate`, `Compensate ${i}`)
      }
    )
  }
  return workflow("generated", seq("root", ...children))
}

/** Counts the model nodes of a model that are drawn (sequences are not). */
export const countNodes = (node: ModelNode): number => {
  switch (node.kind) {
    case "sequence":
      return node.children.reduce((n, c) => n + countNodes(c), 0)
    case "branch":
      return (
        1 +
        node.arms.reduce((n, a) => n + countNodes(a.body), 0) +
        (node.otherwise ? countNodes(node.otherwise.body) : 0)
      )
    case "loop":
      return 1 + countNodes(node.body) + (node.restart ? countNodes(node.restart) : 0)
    case "catch":
      return 1 + countNodes(node.body) + countNodes(node.handler)
    case "subworkflow":
      return 1 + countNodes(node.body)
    case "interruptible":
      return [...node.interruptions, ...(node.timeout === undefined ? [] : [node.timeout])].reduce(
        (n, a) => n + 1 + (a.body === undefined ? 0 : countNodes(a.body)),
        1 + countNodes(node.body)
      )
    case "race":
      return [...node.arms, ...(node.deadline === undefined ? [] : [node.deadline])].reduce(
        (n, a) => n + 1 + (a.body === undefined ? 0 : countNodes(a.body)),
        1
      )
    case "step":
    case "signal":
    case "transition":
    case "end":
    case "timer":
      return 1
  }
}

/** Progress of an instance of {@link nested} that paid by card after one declined attempt and now waits for delivery. */
export const nestedProgress: Progress = {
  instance: "42",
  status: "waiting",
  nodes: {
    placed: { state: "done", count: 1 },
    reserve: { state: "done", count: 1 },
    card: { state: "done", count: 1 },
    charge: { state: "done", count: 2 },
    newCard: { state: "done", count: 1 },
    pack: { state: "done", count: 1 },
    send: { state: "done", count: 1 },
    delivered: { state: "current", count: 0 }
  }
}
