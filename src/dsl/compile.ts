import {
  absurd,
  type CompiledArm,
  type CompiledBranch,
  type CompiledCatch,
  type CompiledLoop,
  type CompiledNamed,
  type CompiledNode,
  type CompiledInterruptible,
  type CompiledPure,
  type CompiledRace,
  type CompiledSequence
} from "./CompiledNode.js"
import { InvalidDefinition } from "./InvalidDefinition.js"
import type { BranchArm, Node } from "./Node.js"

/**
 * A workflow with a stable id on every node and branch arm. Ids are what the journal records per event and
 * what diagrams use as element ids, so they must not change when nothing relevant changed:
 * - a node with an explicit `id` keeps it (a valid XML NCName, unique; inside a sub-workflow it is prefixed like
 *   the other ids, so a sub-workflow with explicit ids can still be embedded twice);
 * - a named node gets the slug of its name ("Create PR" → `create-pr`), inside a sub-workflow prefixed with the
 *   sub-workflow's id (`review.approve`), so one sub-workflow can be embedded twice under different names;
 * - an unnamed structural node gets its kind and its position among nodes of that kind in its (sub-)workflow
 *   (`branch-1`);
 * - a derived id already taken gets `-2`, `-3`, … in the order nodes appear; it never takes an explicit id.
 * `start` is reserved for the journal's first event.
 */
export interface Compiled {
  readonly root: CompiledNode
  /** Every node and arm by id, in definition order. */
  readonly nodes: ReadonlyMap<string, CompiledNode | CompiledArm>
}

const RESERVED = new Set(["start"])
const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/

export const slug = (text: string): string =>
  text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")

const cache = new WeakMap<Node, Compiled>()

/** Assign ids to every node of a workflow (memoised per workflow value). */
export const compile = (root: Node): Compiled => {
  const hit = cache.get(root)
  if (hit !== undefined) return hit
  let nodes = new Map<string, CompiledNode | CompiledArm>()
  let counters = new Map<string, number>()
  // Two passes: the first (dry) one only learns the explicit ids, so that the second never derives an id that
  // a node further on asked for explicitly — the outcome does not depend on which of the two comes first.
  let dry = true
  const explicitIds = new Set<string>()
  let taken = new Set<string>(RESERVED)

  const claim = (
    explicit: string | undefined,
    prefix: string,
    base: string,
    entity: CompiledNode | CompiledArm
  ): string => {
    if (explicit !== undefined) {
      if (!NCNAME.test(explicit))
        throw new InvalidDefinition(`id ${JSON.stringify(explicit)} is not a valid XML NCName`)
      const id = `${prefix}${explicit}`
      if (dry) {
        explicitIds.add(id)
        return id
      }
      if (RESERVED.has(id)) throw new InvalidDefinition(`id ${JSON.stringify(id)} is reserved`)
      if (nodes.has(id)) throw new InvalidDefinition(`id ${JSON.stringify(id)} is used twice`)
      nodes.set(id, entity)
      return id
    }
    let id = base
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
    taken.add(id)
    nodes.set(id, entity)
    return id
  }
  // Counted per sub-workflow, so that a sub-workflow's ids do not depend on what surrounds it.
  const positional = (kind: string, prefix: string) => {
    const key = `${prefix}${kind}`
    const n = (counters.get(key) ?? 0) + 1
    counters.set(key, n)
    return `${key}-${n}`
  }
  const fromName = (name: string | undefined, kind: string, prefix: string) => {
    const s = name === undefined ? "" : slug(name)
    if (s === "") return positional(kind, prefix)
    return `${prefix}${/^[0-9]/.test(s) ? `${kind}-` : ""}${s}`
  }

  /** A race arm or an interruption: its first node (of kind `tag`) is the trigger, the rest runs after it. */
  const split = <T extends CompiledNode["_tag"]>(arm: Node, prefix: string, tag: T, problem: string) => {
    const compiled = visit(arm, prefix)
    const [trigger, ...rest] = compiled._tag === "Sequence" ? compiled.steps : [compiled]
    if (trigger?._tag !== tag) throw new InvalidDefinition(problem)
    const then: CompiledNode | undefined =
      rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { ...(compiled as CompiledSequence), steps: rest }
    return { trigger: trigger as Extract<CompiledNode, { readonly _tag: T }>, then }
  }

  const visit = (node: Node, prefix: string): CompiledNode => {
    // Claim the node's own id before its children so that ids follow reading order.
    switch (node._tag) {
      case "Step":
      case "AwaitSignal":
      case "End": {
        const copy = { ...node } as { -readonly [K in keyof typeof node]: (typeof node)[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "step", prefix), copy as CompiledNode)
        return copy as CompiledNode
      }
      case "Sleep": {
        const copy = { ...node } as { -readonly [K in keyof typeof node]: (typeof node)[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "timer", prefix), copy as CompiledNode)
        return copy as CompiledNode
      }
      case "Pure": {
        const copy = { ...node } as { -readonly [K in keyof typeof node]: (typeof node)[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "transition", prefix), copy as CompiledNode)
        return copy as CompiledPure
      }
      case "Sequence": {
        const copy: { _tag: "Sequence"; id: string; description: string | undefined; steps: Array<CompiledNode> } = {
          _tag: "Sequence",
          id: "",
          description: node.description,
          steps: []
        }
        copy.id = claim(node.id, prefix, positional("sequence", prefix), copy)
        const first = visit(node.first, prefix)
        const second = visit(node.second, prefix)
        for (const part of [first, second]) {
          if (part._tag === "Sequence") copy.steps.push(...part.steps)
          else copy.steps.push(part)
        }
        return copy
      }
      case "Catch": {
        const copy = { ...node } as unknown as { -readonly [K in keyof CompiledCatch]: CompiledCatch[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "catch", prefix), copy)
        copy.body = visit(node.body, prefix)
        copy.handler = visit(node.handler, prefix)
        return copy
      }
      case "Branch": {
        const copy = { ...node } as unknown as { -readonly [K in keyof CompiledBranch]: CompiledBranch[K] }
        const id = claim(node.id, prefix, fromName(node.name, "branch", prefix), copy)
        copy.id = id
        const arm = (a: BranchArm): CompiledArm => {
          const armCopy = { ...a } as unknown as { -readonly [K in keyof CompiledArm]: CompiledArm[K] }
          armCopy.id = claim(a.id, prefix, `${id}.${slug(a.condition) || "arm"}`, armCopy)
          armCopy.body = visit(a.body, prefix)
          return armCopy
        }
        copy.arms = node.arms.map(arm)
        copy.otherwise = node.otherwise === undefined ? undefined : arm(node.otherwise)
        return copy
      }
      case "Loop": {
        const copy = { ...node } as unknown as { -readonly [K in keyof CompiledLoop]: CompiledLoop[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "loop", prefix), copy)
        copy.body = visit(node.body, prefix)
        copy.restart = node.restart === undefined ? undefined : visit(node.restart, prefix)
        return copy
      }
      case "Race": {
        const copy = { ...node } as unknown as { -readonly [K in keyof CompiledRace]: CompiledRace[K] }
        copy.id = claim(node.id, prefix, fromName(node.name, "race", prefix), copy)
        if (node.arms.length === 0) throw new InvalidDefinition(`race ${JSON.stringify(copy.id)} has no arms`)
        copy.arms = node.arms.map((arm) =>
          split(
            arm,
            prefix,
            "AwaitSignal",
            `race ${JSON.stringify(copy.id)}: every arm must start with Workflow.awaitSignal`
          )
        )
        copy.deadline =
          node.deadline === undefined
            ? undefined
            : split(
                node.deadline,
                prefix,
                "Sleep",
                `race ${JSON.stringify(copy.id)}: the deadline must start with Workflow.sleep`
              )
        return copy
      }
      case "Interruptible": {
        const copy = { ...node } as unknown as {
          -readonly [K in keyof CompiledInterruptible]: CompiledInterruptible[K]
        }
        const id = claim(node.id, prefix, fromName(node.name, "interruptible", prefix), copy)
        copy.id = id
        copy.body = visit(node.body, prefix)
        copy.interruptions = node.interruptions.map((arm) =>
          split(
            arm,
            prefix,
            "AwaitSignal",
            `interruptible ${JSON.stringify(id)}: every interruption must start with Workflow.awaitSignal`
          )
        )
        copy.timeout =
          node.timeout === undefined
            ? undefined
            : split(
                node.timeout,
                prefix,
                "Sleep",
                `interruptible ${JSON.stringify(id)}: the timeout must start with Workflow.sleep`
              )
        return copy
      }
      case "Named": {
        const copy = { ...node } as unknown as { -readonly [K in keyof CompiledNamed]: CompiledNamed[K] }
        const id = claim(node.id, prefix, fromName(node.name, "subworkflow", prefix), copy)
        copy.id = id
        copy.body = visit(node.body, `${id}.`)
        return copy
      }
      default:
        return absurd(node)
    }
  }

  visit(root, "")
  dry = false
  nodes = new Map()
  counters = new Map()
  taken = new Set([...RESERVED, ...explicitIds])
  const compiled: Compiled = { root: visit(root, ""), nodes }
  cache.set(root, compiled)
  return compiled
}
