import { describe, expect, it } from "vitest"
import { eventId } from "../../src/interpreters/journal.js"
import { EVENT_ID_NAMESPACE, nameUuid } from "../../src/interpreters/store/nameUuid.js"

describe("eventId", () => {
  const base = { stream: "order-1", revision: 3, step: "pay", occurrence: 1, type: "Paid", data: { amount: 5 } }

  it("is the store's name-based UUID of everything that identifies the event", () => {
    expect(eventId(base)).toBe(nameUuid(EVENT_ID_NAMESPACE, 'order-1/3/pay/1/0//Paid/{"amount":5}'))
    expect(eventId({ ...base, data: { note: "é ü" } })).toBe(
      nameUuid(EVENT_ID_NAMESPACE, 'order-1/3/pay/1/0//Paid/{"note":"é ü"}')
    )
  })

  it("differs when the content, the attempt or the sender differs", () => {
    const ids = [
      eventId(base),
      eventId({ ...base, data: { amount: 6 } }),
      eventId({ ...base, attempt: 2 }),
      eventId({ ...base, sender: "nonce:a" }),
      eventId({ ...base, sender: "nonce:b" }),
      eventId({ ...base, sender: "key:delivery-7" })
    ]
    expect(new Set(ids).size).toBe(ids.length)
    expect(eventId({ ...base, sender: "key:delivery-7" })).toBe(ids[5])
  })
})
