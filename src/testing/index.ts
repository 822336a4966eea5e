export * from "./storeContract.js"
