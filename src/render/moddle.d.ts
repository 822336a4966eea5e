// bpmn-moddle's main entry ships no types; its generated `bpmn-moddle/types` describe the elements but not the
// BpmnModdle class, so this declares just the part of the class we use, typed by those element maps.
declare module "bpmn-moddle" {
  import type {
    BpmnActivity,
    BpmnBaseElement,
    BpmndiModdleTypeMap,
    BpmnFlowNode,
    BpmnModdleTypeMap,
    DcModdleTypeMap,
    DiModdleTypeMap
  } from "bpmn-moddle/types"
  import type { ModdleElement } from "moddle"

  export type { BpmnActivity, BpmnBaseElement, BpmnFlowNode }
  /** An element of moddle type `T` (for abstract types such as `BpmnFlowNode`, which `create` cannot make). */
  export type Of<T> = ModdleElement<T>

  export type ModdleTypeMap = BpmnModdleTypeMap & BpmndiModdleTypeMap & DcModdleTypeMap & DiModdleTypeMap

  /** A moddle element as returned by `fromXML`: untyped, read with `$type` and `get`. */
  export interface AnyElement {
    readonly $type: string
    readonly id?: string
    get(name: string): any
    [key: string]: any
  }

  export interface ImportWarning {
    readonly message: string
  }

  export interface FromXmlResult {
    readonly rootElement: AnyElement
    readonly warnings: ReadonlyArray<ImportWarning>
    readonly elementsById: Readonly<Record<string, AnyElement>>
  }

  export class BpmnModdle {
    /** `packages`: extra moddle package descriptors, keyed by prefix (`bioc` and `color` are built in). */
    constructor(packages?: Record<string, object>)
    create<K extends keyof ModdleTypeMap>(type: K, attrs?: Partial<ModdleTypeMap[K]>): ModdleTypeMap[K]
    toXML(
      element: object,
      options?: { readonly format?: boolean; readonly preamble?: boolean }
    ): Promise<{ xml: string }>
    fromXML(xml: string, typeName?: string): Promise<FromXmlResult>
  }
}
