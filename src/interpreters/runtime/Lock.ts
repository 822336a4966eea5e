import { Effect } from "effect"

/**
 * A mutual-exclusion lock that costs two fields while nobody waits: every loaded instance has one, and a process may
 * hold many thousands of waiting instances (a `Semaphore` is ~10× larger). Waiters are served in arrival order.
 * Holders keep it for microseconds (a catch-up read, one append), never while a step's Effect runs.
 */
export class Lock {
  private held = false
  private waiters: Array<() => void> | undefined = undefined

  private readonly acquire = Effect.callback<void>((resume) => {
    if (!this.held) {
      this.held = true
      resume(Effect.void)
      return
    }
    const wake = () => resume(Effect.void)
    this.waiters ??= []
    this.waiters.push(wake)
  })

  /** Hand the lock to the next waiter, or free it. Synchronous: it runs inside the holder's exit. */
  private readonly releaseNow = (): undefined => {
    const next = this.waiters?.shift()
    if (next === undefined) this.held = false
    // The lock passes to the next waiter directly: `held` stays true.
    else next()
    return undefined
  }

  private readonly release = Effect.sync(this.releaseNow)

  /** Run `effect` holding the lock. */
  with<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return this.run(() => effect)
  }

  /** Run the Effect `f` makes once the lock is held (what it decides is then decided under the lock). */
  run<A, E, R>(f: () => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.suspend(() => {
      // Free (nearly always): take it at once, without the acquire machinery. The release is a plain call on the
      // holder's exit (`onExitPrimitive` with no Effect to run): `ensuring` costs a finalizer Effect and a flatMap
      // per use, and every appended event and every read takes this lock.
      if (!this.held) {
        this.held = true
        let effect: Effect.Effect<A, E, R>
        try {
          effect = f()
        } catch (defect) {
          this.held = false
          throw defect
        }
        return Effect.onExitPrimitive(effect, this.releaseNow)
      }
      return Effect.acquireUseRelease(this.acquire, f, () => this.release)
    })
  }
}
