import type { Progress } from "../../src/model/Progress.js"
import type {
  BranchArmModel,
  ModelNode,
  SignalModel,
  TimerModel,
  WorkflowModel
} from "../../src/model/WorkflowModel.js"

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
const timer = (id: string, name: string, type: "duration" | "date", expression: string): TimerModel => ({
  kind: "timer",
  id,
  name,
  timer: { type, expression }
})
const trigger = (id: string, name: string, sig: string): SignalModel => ({
  kind: "signal",
  id,
  name,
  signal: sig,
  errors: []
})

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
      { trigger: trigger("approved", "Approved", "Approve"), body: step("pay", "Pay out") },
      { trigger: trigger("rejected", "Rejected", "Reject") }
    ],
    deadline: { trigger: timer("deadline", "48 hours", "duration", "P2D"), body: step("escalate", "Escalate") }
  })
)

/** A section that a signal or a timeout interrupts, each leading to its own path. */
export const interrupting = workflow(
  "interrupting",
  seq(
    "root",
    {
      kind: "interruptible",
      id: "checks",
      name: "Checks",
      body: seq("checkBody", step("check", "Run checks"), signal("reviewed", "Reviewed", "Review")),
      interruptions: [{ trigger: trigger("cancelled", "Cancelled", "Cancel"), body: step("unlock", "Unlock funds") }],
      timeout: {
        trigger: timer("timedOut", "2 minutes", "duration", "PT2M"),
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
/** Paths that end with a typed error (`Workflow.raise`): one error inside a catch, two errors in its handler. */
export const raising = workflow(
  "raising",
  seq(
    "root",
    {
      kind: "catch",
      id: "order",
      errors: ["Rejected"],
      body: seq("guarded", step("check", "Check"), {
        kind: "branch",
        id: "valid",
        name: "Valid?",
        arms: [arm("valid.no", "invalid", { kind: "raise", id: "reject", name: "Reject", errors: ["Rejected"] })]
      }),
      handler: seq("handler", step("refund", "Refund"), {
        kind: "raise",
        id: "fail",
        name: "Fail",
        errors: ["Refunded", "Lost"]
      })
    },
    step("ship", "Ship")
  )
)

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

/**
 * Harder workflows, as a BPMN practitioner would try the layout with (issue 11): a branch with five arms and an
 * otherwise, nested loops with a catch inside, a 40-step sequence, a sub-workflow inside a branch inside a loop.
 */
export const supportTicket = workflow(
  "supportTicket",
  seq(
    "root",
    signal("opened", "Ticket opened", "TicketOpened"),
    step("classify", "Classify ticket"),
    {
      kind: "branch",
      id: "route",
      name: "Category?",
      arms: [
        arm("billing", "billing", seq("billing_seq", step("invoice", "Look up invoice"), step("refund", "Refund"))),
        arm("outage", "outage", step("page", "Page on-call engineer")),
        arm("feature", "feature request", transition("backlog", "Add to backlog")),
        arm(
          "security",
          "security",
          seq("sec_seq", step("escalate", "Escalate to security"), end("secEnd", "Handed over"))
        ),
        arm("spam", "spam", seq("spam_seq"))
      ],
      otherwise: arm("other", "otherwise", signal("triage", "Manual triage", "Triaged"))
    },
    step("close", "Close ticket")
  )
)

export const nestedLoops = workflow(
  "nestedLoops",
  seq(
    "root",
    step("load", "Load batch"),
    {
      kind: "loop",
      id: "batches",
      name: "All batches done?",
      body: seq("batch_seq", step("pick", "Pick batch"), {
        kind: "loop",
        id: "items",
        name: "Batch done?",
        body: {
          kind: "catch",
          id: "guard",
          name: "Skip item",
          errors: ["BadItem"],
          body: step("process", "Process item", ["BadItem"]),
          handler: step("quarantine", "Quarantine item")
        },
        exit: "batch done",
        repeat: "next item",
        restart: transition("advance", "Advance cursor")
      }),
      exit: "all done",
      repeat: "next batch",
      restart: step("fetch", "Fetch next batch")
    },
    step("report", "Send report")
  )
)

export const longSequence = workflow(
  "longSequence",
  seq("root", ...Array.from({ length: 40 }, (_, i) => step(`s${i + 1}`, `Step ${i + 1}`)))
)

export const subworkflowInBranchInLoop = workflow(
  "subworkflowInBranchInLoop",
  seq(
    "root",
    signal("requested", "Payout requested", "PayoutRequested"),
    {
      kind: "loop",
      id: "attempts",
      name: "Paid?",
      body: {
        kind: "branch",
        id: "channel",
        name: "Channel?",
        arms: [
          arm("bank", "bank transfer", {
            kind: "subworkflow",
            id: "transfer",
            name: "Bank transfer",
            body: seq("transfer_seq", step("iban", "Validate IBAN", ["InvalidIban"]), step("send", "Send transfer"), {
              kind: "branch",
              id: "fraud",
              name: "Suspicious?",
              arms: [arm("fraudYes", "suspicious", end("blocked", "Blocked for fraud"))]
            })
          }),
          arm("card", "card", step("charge", "Charge card"))
        ]
      },
      exit: "paid",
      repeat: "retry",
      restart: signal("retryLater", "Retry window", "RetryWindow")
    },
    step("confirm", "Confirm payout")
  )
)

/**
 * Durable time together: a retried step, an interruptible section (two signals and a timeout, one way with no
 * steps, one that ends the instance) around a race whose deadline has no steps, and a sleep until a date.
 */
export const deadlines = workflow(
  "deadlines",
  seq(
    "root",
    { kind: "step", id: "reserve", name: "Reserve stock", errors: [], retry: "exponential from 1 s, 5 attempts" },
    {
      kind: "interruptible",
      id: "fulfil",
      name: "Fulfil order",
      body: seq(
        "fulfilBody",
        step("pick", "Pick items"),
        {
          kind: "race",
          id: "carrier",
          name: "Carrier answers?",
          arms: [
            { trigger: trigger("accepted", "Accepted", "Accept"), body: step("label", "Print label") },
            { trigger: trigger("declined", "Declined", "Decline"), body: step("other", "Book another carrier") }
          ],
          deadline: { trigger: timer("noAnswer", "4 hours", "duration", "PT4H") }
        },
        timer("settle", "Settle", "duration", "PT10M")
      ),
      interruptions: [
        { trigger: trigger("cancel", "Cancelled", "Cancel"), body: step("refund", "Refund") },
        { trigger: trigger("hold", "Put on hold", "Hold") },
        { trigger: trigger("fraud", "Fraud flagged", "Fraud"), body: end("blocked", "Blocked") }
      ],
      timeout: { trigger: timer("late", "2 days", "duration", "P2D"), body: step("apologise", "Apologise") }
    },
    timer("invoiceDay", "Until invoice day", "date", "first of next month"),
    step("invoice", "Send invoice")
  )
)

/** The harder workflows, by name. */
export const harder: Readonly<Record<string, WorkflowModel>> = {
  supportTicket,
  nestedLoops,
  longSequence,
  subworkflowInBranchInLoop,
  deadlines
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
  interrupting,
  ...harder
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
    case "raise":
    case "end":
    case "timer":
      return 1
  }
}

/** Progress of an instance of {@link timed} sleeping on its first timer. */
export const timedProgress: Progress = {
  instance: "9",
  status: "waiting",
  nodes: {
    ordered: { state: "done", count: 1 },
    cool: { state: "current", count: 0, dueAt: "2026-12-02T07:00:20.000Z" }
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

/**
 * Progress of an instance of {@link nestedLoops} in its second batch: the first batch's three items and one of the
 * second's done (one of them quarantined after BadItem), a round of the outer loop fetched, the next item running.
 */
export const nestedLoopsProgress: Progress = {
  instance: "batch-7",
  status: "running",
  nodes: {
    load: { state: "done", count: 1 },
    batches: { state: "done", count: 1, rounds: 2 },
    pick: { state: "done", count: 2 },
    items: { state: "done", count: 1, rounds: 5 },
    guard: { state: "done", count: 4 },
    process: { state: "current", count: 3, attempts: 2 },
    quarantine: { state: "done", count: 1 },
    advance: { state: "done", count: 3 },
    fetch: { state: "done", count: 1 }
  }
}

/**
 * A random structured workflow (deterministic for a seed): every kind of node nested up to `depth` levels, with
 * steps that raise errors, ends anywhere, empty sequences, loops with and without restarts, catches of named and
 * any errors. For checking that the layout holds for shapes nobody wrote by hand.
 */
export const randomWorkflow = (seed: number, depth = 4): WorkflowModel => {
  let state = seed
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  let n = 0
  const next = (prefix: string) => `${prefix}${n++}`
  const node = (level: number): ModelNode => {
    const r = random()
    if (level <= 0 || r < 0.3) {
      const k = random()
      if (k < 0.5) return step(next("s"), `Step ${n}`, random() < 0.2 ? [`Err${n}`] : [])
      if (k < 0.7) return signal(next("g"), `Wait ${n}`, "Sig")
      if (k < 0.85) return transition(next("t"), `T ${n}`)
      if (k < 0.92) return seq(next("e"))
      return end(next("x"), `End ${n}`)
    }
    if (r < 0.5) return seq(next("q"), ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => node(level - 1)))
    if (r < 0.65) {
      const arms = Array.from({ length: 1 + Math.floor(random() * 3) }, () => arm(next("a"), `c${n}`, node(level - 1)))
      return {
        kind: "branch",
        id: next("b"),
        name: `B${n}?`,
        arms,
        ...(random() < 0.5 ? { otherwise: arm(next("o"), "otherwise", node(level - 1)) } : {})
      }
    }
    if (r < 0.78)
      return {
        kind: "loop",
        id: next("l"),
        body: node(level - 1),
        exit: `done ${n}`,
        repeat: `again ${n}`,
        ...(random() < 0.6 ? { restart: node(level - 1) } : {})
      }
    if (r < 0.9)
      return {
        kind: "catch",
        id: next("c"),
        ...(random() < 0.5 ? { name: `Catch ${n}` } : {}),
        errors: random() < 0.5 ? [] : ["E1", "E2"].slice(0, 1 + Math.floor(random() * 2)),
        body: node(level - 1),
        handler: node(level - 1)
      }
    if (r < 0.94) return { kind: "subworkflow", id: next("w"), name: `Sub ${n}`, body: node(level - 1) }
    // Durable time: timers, races (arms with and without steps, a deadline or none), interruptible sections.
    const maybe = () => (random() < 0.5 ? { body: node(level - 1) } : {})
    if (r < 0.96) return timer(next("z"), `Sleep ${n}`, "duration", `PT${n}S`)
    if (r < 0.98)
      return {
        kind: "race",
        id: next("r"),
        name: `Race ${n}?`,
        arms: Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
          trigger: trigger(next("k"), `Got ${n}`, `Sig${n}`),
          ...maybe()
        })),
        ...(random() < 0.6
          ? { deadline: { trigger: timer(next("d"), `Deadline ${n}`, "duration", "PT1H"), ...maybe() } }
          : {})
      }
    return {
      kind: "interruptible",
      id: next("i"),
      name: `Section ${n}`,
      body: node(level - 1),
      interruptions: Array.from({ length: Math.floor(random() * 3) }, () => ({
        trigger: trigger(next("u"), `Stop ${n}`, `Stop${n}`),
        ...maybe()
      })),
      ...(random() < 0.6
        ? { timeout: { trigger: timer(next("o"), `Timeout ${n}`, "duration", "PT5M"), ...maybe() } }
        : {})
    }
  }
  return workflow(`random${seed}`, seq("root", node(depth), node(depth - 1)))
}
