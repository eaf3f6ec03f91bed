/** @module Bounded waiting: every loop in the benchmark ends by count or by time. */

/** Thrown when a scenario finds a message or a byte missing: the run must fail loudly. */
export class LossError extends Error {
  override name = 'LossError'
}

/** Polls `cond` every `stepMs` until it holds; throws `LossError(what)` after `ms`. */
export async function until(
  cond: () => boolean,
  ms: number,
  what: string | (() => string),
  stepMs = 10,
): Promise<number> {
  const t0 = performance.now()
  while (!cond()) {
    if (performance.now() - t0 > ms)
      throw new LossError(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)
    await Bun.sleep(stepMs)
  }
  return performance.now() - t0
}

/** Rejects with `LossError` when `p` takes longer than `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LossError(`timed out after ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!, i)
      }
    }),
  )
  return out
}
