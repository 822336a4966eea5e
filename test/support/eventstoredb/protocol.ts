// The client's own generated gRPC code (service definitions and protobuf message classes), loaded so that the test
// server speaks exactly the wire format the client expects. The generated files are CommonJS that attach their
// exports dynamically, so they are required rather than imported; `typeof import(...)` keeps them typed.
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)
// google-protobuf is the client's dependency, not ours: resolve it from the client package so both sides share one copy.
const clientRequire = createRequire(require.resolve("@eventstore/db-client/package.json"))

export const streamsPb: typeof import("@eventstore/db-client/generated/streams_pb.js") = require("@eventstore/db-client/generated/streams_pb.js")
export const streamsGrpc: typeof import("@eventstore/db-client/generated/streams_grpc_pb.js") = require("@eventstore/db-client/generated/streams_grpc_pb.js")
export const sharedPb: typeof import("@eventstore/db-client/generated/shared_pb.js") = require("@eventstore/db-client/generated/shared_pb.js")
export const statusPb: typeof import("@eventstore/db-client/generated/status_pb.js") = require("@eventstore/db-client/generated/status_pb.js")
export const codePb: typeof import("@eventstore/db-client/generated/code_pb.js") = require("@eventstore/db-client/generated/code_pb.js")
export const featuresPb: typeof import("@eventstore/db-client/generated/serverfeatures_pb.js") = require("@eventstore/db-client/generated/serverfeatures_pb.js")
export const featuresGrpc: typeof import("@eventstore/db-client/generated/serverfeatures_grpc_pb.js") = require("@eventstore/db-client/generated/serverfeatures_grpc_pb.js")
export const anyPb: typeof import("google-protobuf/google/protobuf/any_pb.js") = clientRequire(
  "google-protobuf/google/protobuf/any_pb.js"
)
export const emptyPb: typeof import("google-protobuf/google/protobuf/empty_pb.js") = clientRequire(
  "google-protobuf/google/protobuf/empty_pb.js"
)

export type ReadReq = InstanceType<typeof streamsPb.ReadReq>
export type ReadResp = InstanceType<typeof streamsPb.ReadResp>
export type AppendReq = InstanceType<typeof streamsPb.AppendReq>
export type AppendResp = InstanceType<typeof streamsPb.AppendResp>
export type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>
export type BatchAppendResp = InstanceType<typeof streamsPb.BatchAppendResp>
export type DeleteReq = InstanceType<typeof streamsPb.DeleteReq>
export type DeleteResp = InstanceType<typeof streamsPb.DeleteResp>
export type TombstoneReq = InstanceType<typeof streamsPb.TombstoneReq>
export type TombstoneResp = InstanceType<typeof streamsPb.TombstoneResp>
export type UUID = InstanceType<typeof sharedPb.UUID>
