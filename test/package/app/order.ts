/**
 * The application the packaging test installs durable-monad into (test/package/install.test.ts copies this folder).
 * A signal with a `Schema.Number` field: the field that failed to decode when two copies of effect were loaded.
 */
import { Schema } from "effect"
import { Signal, Workflow } from "durable-monad"

export class Cart extends Schema.TaggedClass<Cart>()("Cart", { sku: Schema.String }) {}
export class Ordered extends Schema.TaggedClass<Ordered>()("Ordered", { sku: Schema.String, qty: Schema.Number }) {}
export class Shipped extends Schema.TaggedClass<Shipped>()("Shipped", { sku: Schema.String, qty: Schema.Number }) {}
export class QuantityAdded extends Schema.TaggedClass<QuantityAdded>()("QuantityAdded", { qty: Schema.Number }) {}
export class Dispatched extends Schema.TaggedClass<Dispatched>()("Dispatched", { parcels: Schema.Number }) {}

export const AddQuantity = Signal.make("AddQuantity", {
  request: Schema.Struct({ qty: Schema.Number }),
  response: Schema.Void
})
export const Dispatch = Signal.make("Dispatch", {
  request: Schema.Struct({ parcels: Schema.Number }),
  response: Schema.Void
})

export const order = Workflow.awaitSignal(AddQuantity, {
  name: "Add quantity",
  event: QuantityAdded,
  handle: (_: Cart, request) => new QuantityAdded({ qty: request.qty }),
  apply: (cart, added) => new Ordered({ sku: cart.sku, qty: added.qty })
}).pipe(
  Workflow.andThen(
    Workflow.awaitSignal(Dispatch, {
      name: "Dispatch",
      event: Dispatched,
      handle: (_: Ordered, request) => new Dispatched({ parcels: request.parcels }),
      apply: (ordered) => new Shipped({ sku: ordered.sku, qty: ordered.qty })
    })
  ),
  Workflow.define({ name: "order", input: Cart })
)
