import { describe, expect, it } from "vitest"
import { EXTERNAL_LABEL_WIDTH, externalLabel, innerStyle, measure, outerStyle, wrap } from "../../src/render/text.js"

describe("text", () => {
  it("measures with Arial's advance widths", () => {
    // C 722 h 556 a 556 r 333 g 556 e 556 space 278 c 500 a 556 r 333 d 556 = 5502 thousandths of an em
    expect(measure("Charge card", 12)).toBeCloseTo(66.024, 6)
    expect(measure("", 11)).toBe(0)
    expect(measure("漢字", 10)).toBe(20)
  })

  it("wraps at spaces the way bpmn-js does, and cuts words too long for a line", () => {
    expect(wrap("Hand over to carrier", 86, innerStyle).lines).toEqual(["Hand over to", "carrier"])
    expect(wrap("Pack", 86, innerStyle).lines).toEqual(["Pack"])
    expect(wrap("Supercalifragilisticexpialidocious", 86, innerStyle).lines).toEqual([
      "Supercalifragili",
      "sticexpialidocio",
      "us"
    ])
    expect(wrap("two\nlines", 86, innerStyle).lines).toEqual(["two", "lines"])
    const long = wrap("A very long step name that certainly needs to wrap over several lines", 86, innerStyle)
    for (const line of long.lines) expect(measure(line, innerStyle.fontSize)).toBeLessThanOrEqual(86)
    expect(long.height).toBeCloseTo(long.lines.length * 14.4, 6)
  })

  it("sizes outside labels to their text, never wider than bpmn-js' 90 px", () => {
    const short = externalLabel("Start")
    expect(short.lines).toEqual(["Start"])
    expect(short.width).toBe(Math.ceil(measure("Start", outerStyle.fontSize)) + 2)
    expect(short.height).toBe(14)
    const long = externalLabel("A very long gateway label that wraps")
    expect(long.lines).toEqual(["A very long", "gateway label", "that wraps"])
    expect(long.width).toBeLessThanOrEqual(EXTERNAL_LABEL_WIDTH)
    // …and bpmn-js, wrapping again inside the box we give it, finds the same lines.
    expect(wrap("A very long gateway label that wraps", long.width, outerStyle).lines).toEqual(long.lines)
  })
})
