// Entry point `durable-monad/render`: kept apart so that users who only run workflows never load bpmn-moddle.
export * from "./render/index.js"
