import { Cause, Effect, Stream } from "effect"
import type { Definition } from "../../dsl/Definition.js"
import { StepFailed } from "../errors.js"
import { recordedAt, recordedStep } from "../journal.js"
import { replay as replayHistory } from "../replay.js"
import type { Status } from "../Status.js"
import type { EventStore } from "../store/EventStore.js"
import type { Engine } from "./Engine.js"
import type { Instance, JournalEntry, LoadError, SignalError } from "./Instance.js"
import type { Registration } from "./Registration.js"

/**
 * A handle on instance `id` of a registered definition. `before` runs before every operation that may run steps
 * (the v1 runtime uses it to pick up the caller's services).
 */
export const handleOf = <In, Out, E, R, S>(
  engine: Engine,
  store: EventStore["Service"],
  registration: Registration,
  id: string,
  before: Effect.Effect<void, never, R> = Effect.void as Effect.Effect<void, never, R>
): Instance<In, Out, E, R, S> => {
  const definition = registration.definition as Definition<In, Out, E, R, S>
  const stream = `${definition.name}-${id}`
  const journal = Effect.flatMap(
    engine.read(registration, id, () => undefined),
    () =>
      store.read(stream).pipe(
        Stream.map(
          (event): JournalEntry => ({
            revision: event.revision,
            step: recordedStep(event) ?? "?",
            type: event.type,
            data: event.data,
            at: recordedAt(event).toISOString(),
            metadata: event.metadata
          })
        ),
        Stream.runCollect
      )
  ) as Effect.Effect<ReadonlyArray<JournalEntry>, LoadError>
  return {
    id,
    stream,
    definition,
    state: engine.read(registration, id, (fold) => fold.result()!.state as S),
    status: engine.status(registration, id) as Effect.Effect<Status<E>, LoadError>,
    journal,
    replay: Effect.flatMap(
      engine.read(registration, id, () => undefined),
      () =>
        Effect.flatMap(Stream.runCollect(store.read(stream)), (events) => {
          const result = replayHistory(definition, stream, events, { timeline: true })
          return result._tag === "Success" ? Effect.succeed(result.success) : Effect.fail(result.failure)
        })
    ) as Instance<In, Out, E, R, S>["replay"],
    signal: (signal, request, options) =>
      Effect.andThen(
        before,
        engine.signal(registration, id, signal.name, request, {
          idempotencyKey: options?.idempotencyKey,
          wait: options?.wait
        })
      ) as Effect.Effect<any, SignalError, R>,
    resume: Effect.gen(function* () {
      yield* before
      const actor = yield* engine.resume(registration, id)
      const status = (yield* engine.status(registration, id)) as Status<E>
      // Resuming failed again: say so, with why (the attempt is recorded, and `status` shows it too).
      if (status._tag === "Running" && status.lastError !== undefined && actor.lastRun === "failed") {
        const cause = actor.lastFailure ?? Cause.fail(new Error(status.lastError))
        return yield* new StepFailed({ stream, step: status.step, cause })
      }
      return status
    })
  }
}
