export { type EffectCopy, TwoEffectCopiesError } from "./effectCopies.js"
export { MissingDependencyError } from "./optionalDependency.js"
