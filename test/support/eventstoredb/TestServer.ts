// An in-process EventStoreDB stand-in: a @grpc/grpc-js server that serves the client's own generated service
// definitions (Streams, ServerFeatures) over a ServerLog. It answers the way a real server does — including the way
// it fails — so the adapter is tested against the wire protocol, not against a mock of the client.
// What it leaves out is listed in docs/eventstoredb.md.
import * as grpc from "@grpc/grpc-js"
import {
  type AppendReq,
  type AppendResp,
  anyPb,
  type BatchAppendReq,
  type BatchAppendResp,
  codePb,
  type DeleteReq,
  type DeleteResp,
  emptyPb,
  featuresGrpc,
  featuresPb,
  type ReadReq,
  type ReadResp,
  sharedPb,
  statusPb,
  streamsGrpc,
  streamsPb,
  type TombstoneReq,
  type TombstoneResp,
  type UUID
} from "./protocol.js"
import {
  type AppendOutcome,
  comparePositions,
  type DeleteOutcome,
  type Expected,
  type LogRecord,
  type Position,
  type ProposedEvent,
  ServerLog,
  type ServerLogOptions
} from "./ServerLog.js"

export interface TestServerOptions extends ServerLogOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number
  readonly host?: string
  /** Serve this log instead of a new one: a "restarted" server keeps its data. */
  readonly log?: ServerLog
  /** Leave BatchAppend out of GetSupportedMethods, so the client falls back to Append. */
  readonly batchAppend?: boolean
  /** Server version reported by GetSupportedMethods. */
  readonly version?: string
  /**
   * Send events of stream reads and stream subscriptions without their $all position, as servers before 22.x did
   * (uint64 max in the record, `no_position` in the answer). Default true: positions are sent, as since 22.x.
   */
  readonly streamReadPositions?: boolean
  /** Fault: $all subscriptions from a position also re-send the event at that position (inclusive, not exclusive). */
  readonly resendFromPosition?: boolean
}

export interface TestServer {
  readonly log: ServerLog
  readonly port: number
  /** `esdb://host:port?tls=false` */
  readonly url: string
  /** Number of subscriptions currently live or catching up. */
  readonly subscriptions: () => number
  /** Events sent so far to subscriptions (catch-up and live): shows how much a subscriber re-read. */
  readonly subscriptionEventsSent: () => number
  /** End every open subscription with UNAVAILABLE, as a real server does when it drops a subscriber. */
  readonly dropSubscriptions: () => void
  /** Shut down at once, cutting open calls. The log survives for a restart with `{ log, port }`. */
  readonly stop: () => Promise<void>
}

const ALL_MESSAGES_MAX = 64 * 1024 * 1024

export const startTestServer = async (options: TestServerOptions = {}): Promise<TestServer> => {
  const log = options.log ?? new ServerLog(options)
  const server = new grpc.Server({
    "grpc.max_receive_message_length": ALL_MESSAGES_MAX,
    "grpc.max_send_message_length": ALL_MESSAGES_MAX
  })
  const subscriptions = new Set<grpc.ServerWritableStream<ReadReq, ReadResp>>()
  const batchCalls = new Set<grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>>()
  const counters = { subscriptionEvents: 0 }

  server.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      const methods = new featuresPb.SupportedMethods()
      const names = ["read", "append", "delete", "tombstone", ...(options.batchAppend === false ? [] : ["batchappend"])]
      methods.setMethodsList(
        names.map((name) => {
          const method = new featuresPb.SupportedMethod()
          method.setServiceName("event_store.client.streams.streams")
          method.setMethodName(name)
          return method
        })
      )
      methods.setEventStoreServerVersion(options.version ?? "23.10.0-durable-monad-test-server")
      callback(null, methods)
    }
  })

  server.addService(streamsGrpc.StreamsService, {
    read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => read(log, call, subscriptions, counters, options),
    append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
      append(log, call, callback),
    batchAppend: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
      batchCalls.add(call)
      call.on("close", () => batchCalls.delete(call))
      batchAppend(log, call)
    },
    delete: (call: grpc.ServerUnaryCall<DeleteReq, DeleteResp>, callback: grpc.sendUnaryData<DeleteResp>) =>
      removal(call.request, (stream, expected) => log.delete(stream, expected), callback, {
        Resp: streamsPb.DeleteResp,
        Position: streamsPb.DeleteResp.Position
      }),
    tombstone: (call: grpc.ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: grpc.sendUnaryData<TombstoneResp>) =>
      removal(call.request, (stream, expected) => log.tombstone(stream, expected), callback, {
        Resp: streamsPb.TombstoneResp,
        Position: streamsPb.TombstoneResp.Position
      })
  })

  const host = options.host ?? "127.0.0.1"
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound)
    )
  )
  return {
    log,
    port,
    url: `esdb://${host}:${port}?tls=false`,
    subscriptions: () => subscriptions.size,
    subscriptionEventsSent: () => counters.subscriptionEvents,
    dropSubscriptions: () => {
      for (const call of [...subscriptions]) {
        subscriptions.delete(call)
        call.emit("error", { code: grpc.status.UNAVAILABLE, details: "Subscription dropped by the test server" })
      }
    },
    stop: async () => {
      // Like a killed server: open calls (subscriptions, the BatchAppend stream) are cut, not ended politely, so the
      // client sees them fail and reconnects.
      for (const call of [...subscriptions, ...batchCalls]) {
        call.emit("error", { code: grpc.status.UNAVAILABLE, details: "Server is shutting down" })
      }
      server.forceShutdown()
    }
  }
}

// --- Read: one stream or $all, a bounded read or a subscription ---------------------------------------------------

type Matcher = (record: LogRecord) => boolean

interface Filter {
  readonly matches: Matcher
  /** Events scanned between two checkpoints (window × multiplier), as the real server counts them. */
  readonly checkpointEvery: number
}

const read = (
  log: ServerLog,
  call: grpc.ServerWritableStream<ReadReq, ReadResp>,
  subscriptions: Set<grpc.ServerWritableStream<ReadReq, ReadResp>>,
  counters: { subscriptionEvents: number },
  options: TestServerOptions
): void => {
  const streamReadPositions = options.streamReadPositions ?? true
  const o = call.request.getOptions()!
  const structured = o.getUuidOption()?.hasStructured() ?? false
  const forwards = o.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.FORWARDS
  const count = o.hasCount() ? BigInt(o.getCount()) : 0n
  const send = (record: LogRecord) => {
    if (o.hasSubscription()) counters.subscriptionEvents++
    call.write(eventResp(record, structured, streamReadPositions || !o.hasStream()))
  }

  if (o.hasStream()) {
    const s = o.getStream()!
    const stream = streamName(s.getStreamIdentifier())
    if (log.isTombstoned(stream)) {
      call.emit("error", streamDeleted(stream))
      return
    }
    if (o.hasSubscription()) {
      // fromRevision is exclusive for subscriptions; "end" means only what comes after now.
      const current = log.current(stream)
      const after = s.hasStart() ? -1n : s.hasEnd() ? (current === "noStream" ? -1n : current) : BigInt(s.getRevision())
      const matches: Matcher = (r) => r.stream === stream && r.revision > after
      subscribe(log, call, subscriptions, log.readable(stream) ?? [], { matches, checkpointEvery: 0 }, send)
      return
    }
    const records = log.readable(stream)
    if (records === undefined) {
      const resp = new streamsPb.ReadResp()
      const notFound = new streamsPb.ReadResp.StreamNotFound()
      notFound.setStreamIdentifier(identifier(stream))
      resp.setStreamNotFound(notFound)
      call.write(resp)
      call.end()
      return
    }
    const last = records.at(-1)!.revision
    const from = s.hasStart()
      ? forwards
        ? 0n
        : -1n
      : s.hasEnd()
        ? forwards
          ? last + 1n
          : last
        : BigInt(s.getRevision())
    const selected = forwards
      ? records.filter((r) => r.revision >= from)
      : records.filter((r) => r.revision <= from).reverse()
    for (const record of selected.slice(0, Number(count))) send(record)
    call.end()
    return
  }

  const a = o.getAll()!
  const filter = filterOf(o)
  const start: Position | "start" | "end" = a.hasStart()
    ? "start"
    : a.hasEnd()
      ? "end"
      : { commit: BigInt(a.getPosition()!.getCommitPosition()), prepare: BigInt(a.getPosition()!.getPreparePosition()) }
  if (o.hasSubscription()) {
    // fromPosition is exclusive for subscriptions.
    const history =
      start === "start"
        ? log.all
        : start === "end"
          ? []
          : log.all.filter((r) => comparePositions(r, start) > (options.resendFromPosition ? -1 : 0))
    subscribe(log, call, subscriptions, history, filter, send)
    return
  }
  // Positions increase along log.all: find where to start by bisection, then walk without copying.
  const all = log.all
  const firstAtOrAfter = (position: Position) => {
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (comparePositions(all[mid]!, position) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  // Forwards from a position includes it; backwards from a position starts before it.
  let index = forwards
    ? start === "start"
      ? 0
      : start === "end"
        ? all.length
        : firstAtOrAfter(start)
    : start === "start"
      ? -1
      : start === "end"
        ? all.length - 1
        : firstAtOrAfter(start) - 1
  let sent = 0n
  for (; index >= 0 && index < all.length && sent < count; index += forwards ? 1 : -1) {
    const record = all[index]!
    if (!filter.matches(record)) continue
    send(record)
    sent++
  }
  call.end()
}

const subscribe = (
  log: ServerLog,
  call: grpc.ServerWritableStream<ReadReq, ReadResp>,
  subscriptions: Set<grpc.ServerWritableStream<ReadReq, ReadResp>>,
  history: ReadonlyArray<LogRecord>,
  filter: Filter,
  send: (record: LogRecord) => void
): void => {
  const confirmation = new streamsPb.ReadResp()
  const confirmed = new streamsPb.ReadResp.SubscriptionConfirmation()
  confirmed.setSubscriptionId(crypto.randomUUID())
  confirmation.setConfirmation(confirmed)
  call.write(confirmation)
  let scanned = 0
  const offer = (record: LogRecord) => {
    if (filter.matches(record)) send(record)
    if (filter.checkpointEvery > 0 && ++scanned % filter.checkpointEvery === 0) {
      const resp = new streamsPb.ReadResp()
      resp.setCheckpoint(positionMessage(new streamsPb.ReadResp.Checkpoint(), record))
      call.write(resp)
    }
  }
  // Catch-up and the switch to live happen in one synchronous step, so no append can fall in between.
  for (const record of history) offer(record)
  const caughtUp = new streamsPb.ReadResp()
  caughtUp.setCaughtUp(new streamsPb.ReadResp.CaughtUp())
  call.write(caughtUp)
  const unlisten = log.onWrite((records) => {
    for (const record of records) offer(record)
  })
  subscriptions.add(call)
  const close = () => {
    unlisten()
    subscriptions.delete(call)
  }
  call.on("cancelled", close)
  call.on("close", close)
  call.on("error", close)
}

const filterOf = (o: InstanceType<typeof streamsPb.ReadReq.Options>): Filter => {
  if (!o.hasFilter()) return { matches: () => true, checkpointEvery: 0 }
  const f = o.getFilter()!
  const expression = f.hasStreamIdentifier() ? f.getStreamIdentifier()! : f.getEventType()!
  const field = (r: LogRecord) => (f.hasStreamIdentifier() ? r.stream : r.type)
  const prefixes = expression.getPrefixList()
  const regex = expression.getRegex() === "" ? undefined : new RegExp(expression.getRegex())
  const matches: Matcher = (r) =>
    (prefixes.length === 0 || prefixes.some((p) => field(r).startsWith(p))) && (regex?.test(field(r)) ?? true)
  const window = f.hasMax() ? f.getMax() : 32
  return { matches, checkpointEvery: window * Math.max(1, f.getCheckpointintervalmultiplier()) }
}

// --- Append and BatchAppend --------------------------------------------------------------------------------------

const append = (
  log: ServerLog,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>
): void => {
  let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined
  const events: Array<ProposedEvent> = []
  call.on("data", (req: AppendReq) => {
    if (req.hasOptions()) options = req.getOptions()
    else if (req.hasProposedMessage()) events.push(proposed(req.getProposedMessage()!))
  })
  call.on("end", () => {
    if (options === undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: "Options missing" })
    const stream = streamName(options.getStreamIdentifier())
    const outcome = log.append(stream, expectedOf(options), events)
    const resp = new streamsPb.AppendResp()
    switch (outcome._tag) {
      case "success": {
        const success = new streamsPb.AppendResp.Success()
        if (outcome.current === "noStream") success.setNoStream(new emptyPb.Empty())
        else success.setCurrentRevision(outcome.current.toString())
        if (outcome.position === undefined) success.setNoPosition(new emptyPb.Empty())
        else success.setPosition(positionMessage(new streamsPb.AppendResp.Position(), outcome.position))
        resp.setSuccess(success)
        return callback(null, resp)
      }
      case "wrongExpectedVersion": {
        // Since v21 a wrong expected version is an answer of Append, not an error status.
        const wrong = new streamsPb.AppendResp.WrongExpectedVersion()
        if (outcome.current === "noStream") wrong.setCurrentNoStream(new emptyPb.Empty())
        else wrong.setCurrentRevision(outcome.current.toString())
        const e = outcome.expected
        if (e._tag === "revision") wrong.setExpectedRevision(e.revision.toString())
        else if (e._tag === "noStream") wrong.setExpectedNoStream(new emptyPb.Empty())
        else if (e._tag === "streamExists") wrong.setExpectedStreamExists(new emptyPb.Empty())
        else wrong.setExpectedAny(new emptyPb.Empty())
        resp.setWrongExpectedVersion(wrong)
        return callback(null, resp)
      }
      default:
        return callback(appendError(stream, outcome))
    }
  })
}

const batchAppend = (log: ServerLog, call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void => {
  const pending = new Map<
    string,
    { options: InstanceType<typeof streamsPb.BatchAppendReq.Options>; events: Array<ProposedEvent> }
  >()
  call.on("data", (req: BatchAppendReq) => {
    const correlation = uuidString(req.getCorrelationId())
    let batch = pending.get(correlation)
    if (batch === undefined) {
      if (!req.hasOptions()) return
      batch = { options: req.getOptions()!, events: [] }
      pending.set(correlation, batch)
    }
    for (const message of req.getProposedMessagesList()) batch.events.push(proposed(message))
    if (!req.getIsFinal()) return
    pending.delete(correlation)
    const o = batch.options
    const stream = streamName(o.getStreamIdentifier())
    const expected = batchExpectedOf(o)
    const outcome = log.append(stream, expected, batch.events)
    const resp = new streamsPb.BatchAppendResp()
    resp.setCorrelationId(req.getCorrelationId())
    resp.setStreamIdentifier(identifier(stream))
    if (expected._tag === "revision") resp.setStreamPosition(expected.revision.toString())
    else if (expected._tag === "noStream") resp.setNoStream(new emptyPb.Empty())
    else if (expected._tag === "streamExists") resp.setStreamExists(new emptyPb.Empty())
    else resp.setAny(new emptyPb.Empty())
    if (outcome._tag === "success") {
      const success = new streamsPb.BatchAppendResp.Success()
      if (outcome.current === "noStream") success.setNoStream(new emptyPb.Empty())
      else success.setCurrentRevision(outcome.current.toString())
      if (outcome.position === undefined) success.setNoPosition(new emptyPb.Empty())
      else success.setPosition(allStreamPosition(outcome.position))
      resp.setSuccess(success)
    } else {
      resp.setError(batchStatus(stream, outcome))
    }
    call.write(resp)
  })
  call.on("end", () => call.end())
}

/** BatchAppend reports failures per request as google.rpc.Status whose `details` is an Any of the reason. */
const batchStatus = (stream: string, outcome: Exclude<AppendOutcome, { _tag: "success" }>) => {
  const status = new statusPb.Status()
  const details = new anyPb.Any()
  switch (outcome._tag) {
    case "wrongExpectedVersion": {
      const wrong = new sharedPb.WrongExpectedVersion()
      if (outcome.current === "noStream") wrong.setCurrentNoStream(new emptyPb.Empty())
      else wrong.setCurrentStreamRevision(outcome.current.toString())
      const e = outcome.expected
      if (e._tag === "revision") wrong.setExpectedStreamPosition(e.revision.toString())
      else if (e._tag === "noStream") wrong.setExpectedNoStream(new emptyPb.Empty())
      else if (e._tag === "streamExists") wrong.setExpectedStreamExists(new emptyPb.Empty())
      else wrong.setExpectedAny(new emptyPb.Empty())
      details.pack(wrong.serializeBinary(), "event_store.client.WrongExpectedVersion")
      status.setCode(codePb.Code.FAILED_PRECONDITION)
      status.setMessage(`Append failed due to WrongExpectedVersion. Stream: ${stream}`)
      break
    }
    case "streamDeleted": {
      const deleted = new sharedPb.StreamDeleted()
      deleted.setStreamIdentifier(identifier(stream))
      details.pack(deleted.serializeBinary(), "event_store.client.StreamDeleted")
      status.setCode(codePb.Code.FAILED_PRECONDITION)
      status.setMessage(`Event stream '${stream}' is deleted.`)
      break
    }
    case "maximumAppendSizeExceeded": {
      const tooLarge = new sharedPb.MaximumAppendSizeExceeded()
      tooLarge.setMaxappendsize(outcome.maxAppendSize)
      details.pack(tooLarge.serializeBinary(), "event_store.client.MaximumAppendSizeExceeded")
      status.setCode(codePb.Code.INVALID_ARGUMENT)
      status.setMessage(`Maximum Append Size of ${outcome.maxAppendSize} Exceeded.`)
      break
    }
    case "invalidArgument": {
      const bad = new sharedPb.BadRequest()
      bad.setMessage(outcome.reason)
      details.pack(bad.serializeBinary(), "event_store.client.BadRequest")
      status.setCode(codePb.Code.INVALID_ARGUMENT)
      status.setMessage(outcome.reason)
      break
    }
  }
  status.setDetails(details)
  return status
}

// --- Delete and Tombstone: the same request and answer shapes ----------------------------------------------------

interface RemovalResp {
  setNoPosition(value: InstanceType<typeof emptyPb.Empty>): unknown
  setPosition(value: never): unknown
}

const removal = <Resp extends RemovalResp>(
  request: DeleteReq | TombstoneReq,
  remove: (stream: string, expected: Expected) => DeleteOutcome,
  callback: grpc.sendUnaryData<Resp>,
  messages: { readonly Resp: new () => Resp; readonly Position: new () => PositionMessage }
): void => {
  const o = request.getOptions()!
  const stream = streamName(o.getStreamIdentifier())
  const outcome = remove(stream, expectedOf(o))
  if (outcome._tag !== "success") {
    callback(deleteError(stream, outcome))
    return
  }
  const resp = new messages.Resp()
  if (outcome.position === undefined) resp.setNoPosition(new emptyPb.Empty())
  else resp.setPosition(positionMessage(new messages.Position(), outcome.position) as never)
  callback(null, resp)
}

// --- Errors as trailers (Append, Read, Delete, Tombstone) --------------------------------------------------------

const trailerError = (code: grpc.status, details: string, trailers: Record<string, string>) => {
  const metadata = new grpc.Metadata()
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value)
  return { code, details, metadata }
}

const streamDeleted = (stream: string) =>
  trailerError(grpc.status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, {
    exception: "stream-deleted",
    "stream-name": stream
  })

const appendError = (stream: string, outcome: Exclude<AppendOutcome, { _tag: "success" | "wrongExpectedVersion" }>) => {
  switch (outcome._tag) {
    case "streamDeleted":
      return streamDeleted(stream)
    case "maximumAppendSizeExceeded":
      return trailerError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${outcome.maxAppendSize} Exceeded.`, {
        exception: "maximum-append-size-exceeded",
        "maximum-append-size": String(outcome.maxAppendSize)
      })
    case "invalidArgument":
      return trailerError(grpc.status.INVALID_ARGUMENT, outcome.reason, {})
  }
}

const deleteError = (stream: string, outcome: Exclude<DeleteOutcome, { _tag: "success" }>) =>
  outcome._tag === "streamDeleted"
    ? streamDeleted(stream)
    : trailerError(grpc.status.FAILED_PRECONDITION, `Delete failed due to WrongExpectedVersion. Stream: ${stream}`, {
        exception: "wrong-expected-version",
        "stream-name": stream,
        "expected-version": expectedVersionNumber(outcome.expected),
        ...(outcome.current === "noStream" ? {} : { "actual-version": outcome.current.toString() })
      })

// The legacy numbers carried by trailers: -1 no stream, -2 any, -4 stream exists.
const expectedVersionNumber = (e: Expected): string =>
  e._tag === "revision" ? e.revision.toString() : e._tag === "noStream" ? "-1" : e._tag === "any" ? "-2" : "-4"

// --- Message helpers -----------------------------------------------------------------------------------------------

interface ExpectedOptions {
  hasRevision(): boolean
  getRevision(): string
  hasNoStream(): boolean
  hasStreamExists(): boolean
}

const expectedOf = (o: ExpectedOptions): Expected =>
  o.hasRevision()
    ? { _tag: "revision", revision: BigInt(o.getRevision()) }
    : o.hasNoStream()
      ? { _tag: "noStream" }
      : o.hasStreamExists()
        ? { _tag: "streamExists" }
        : { _tag: "any" }

const batchExpectedOf = (o: InstanceType<typeof streamsPb.BatchAppendReq.Options>): Expected =>
  o.hasStreamPosition()
    ? { _tag: "revision", revision: BigInt(o.getStreamPosition()) }
    : o.hasNoStream()
      ? { _tag: "noStream" }
      : o.hasStreamExists()
        ? { _tag: "streamExists" }
        : { _tag: "any" }

const streamName = (id: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string =>
  id === undefined ? "" : Buffer.from(id.getStreamName_asU8()).toString("utf8")

const identifier = (stream: string) => {
  const id = new sharedPb.StreamIdentifier()
  id.setStreamName(Buffer.from(stream, "utf8"))
  return id
}

interface ProposedMessage {
  getId(): UUID | undefined
  getMetadataMap(): { get(key: string): string | undefined }
  getData_asU8(): Uint8Array
  getCustomMetadata_asU8(): Uint8Array
}

const proposed = (message: ProposedMessage): ProposedEvent => ({
  id: uuidString(message.getId()),
  type: message.getMetadataMap().get("type") ?? "",
  contentType: message.getMetadataMap().get("content-type") ?? "application/octet-stream",
  data: message.getData_asU8(),
  metadata: message.getCustomMetadata_asU8()
})

const uuidString = (uuid: UUID | undefined): string => {
  if (uuid === undefined) return ""
  if (!uuid.hasStructured()) return uuid.getString()
  const s = uuid.getStructured()!
  const hex = (v: string) => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, "0")
  const h = hex(s.getMostSignificantBits()) + hex(s.getLeastSignificantBits())
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const uuidMessage = (id: string, structured: boolean): UUID => {
  const uuid = new sharedPb.UUID()
  if (!structured) {
    uuid.setString(id)
    return uuid
  }
  const hex = id.replaceAll("-", "")
  const s = new sharedPb.UUID.Structured()
  s.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString())
  s.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString())
  uuid.setStructured(s)
  return uuid
}

interface PositionMessage {
  setCommitPosition(value: string): unknown
  setPreparePosition(value: string): unknown
}

const positionMessage = <M extends PositionMessage>(message: M, position: Position): M => {
  message.setCommitPosition(position.commit.toString())
  message.setPreparePosition(position.prepare.toString())
  return message
}

const allStreamPosition = (position: Position) => positionMessage(new sharedPb.AllStreamPosition(), position)

const NO_POSITION = "18446744073709551615"

const eventResp = (record: LogRecord, structured: boolean, withPosition: boolean): ReadResp => {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent()
  recorded.setId(uuidMessage(record.id, structured))
  recorded.setStreamIdentifier(identifier(record.stream))
  recorded.setStreamRevision(record.revision.toString())
  recorded.setCommitPosition(withPosition ? record.commit.toString() : NO_POSITION)
  recorded.setPreparePosition(withPosition ? record.prepare.toString() : NO_POSITION)
  const metadata = recorded.getMetadataMap()
  metadata.set("type", record.type)
  metadata.set("content-type", record.contentType)
  metadata.set("created", record.created.toString())
  recorded.setCustomMetadata(record.metadata)
  recorded.setData(record.data)
  const event = new streamsPb.ReadResp.ReadEvent()
  event.setEvent(recorded)
  if (withPosition) event.setCommitPosition(record.commit.toString())
  else event.setNoPosition(new emptyPb.Empty())
  const resp = new streamsPb.ReadResp()
  resp.setEvent(event)
  return resp
}
