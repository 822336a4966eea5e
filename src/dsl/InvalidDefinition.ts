/**
 * A workflow definition is malformed (an invalid or duplicate id, an invalid name). Thrown where the workflow is
 * defined: it is a programming error, not a runtime condition.
 */
export class InvalidDefinition extends Error {
  override readonly name = "InvalidDefinition"
}
