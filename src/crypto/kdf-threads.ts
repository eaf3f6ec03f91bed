/**
 * @module KDF threads: scrypt and argon2id run on threads of their own, never in the runtime's shared
 * crypto pool. Bun runs WebCrypto (every RSA signature and decryption), async node:crypto and
 * Bun.password in one process-wide pool of one thread per core, first come first served: a
 * signature queued behind two 0.1 s scrypts waits for them (measured: a 3.3 ms sign took 70–450 ms
 * behind 2–8 of them). Here a KDF holds a thread of its own and the OS shares the cores between it
 * and the signatures, which never wait behind it. The threads start on first use, one per core at
 * most, and never keep the process alive.
 */

import { availableParallelism } from 'node:os'

export type KdfJob =
  | {
      op: 'scrypt'
      password: string
      salt: Uint8Array
      length: number
      params: { N: number; r: number; p: number; maxmem: number }
    }
  | { op: 'argon2-hash'; password: string; params: { memoryCost: number; timeCost: number } }
  | { op: 'argon2-verify'; password: string; hash: string }

type Value = { scrypt: Uint8Array; 'argon2-hash': string; 'argon2-verify': boolean }

export type KdfReply =
  | { id: number; ok: true; value: string | Uint8Array | boolean }
  | { id: number; ok: false; error: string }

/**
 * The thread's script: next to this file, or — in an executable from `npm run build`, which lists
 * it as an entry point — at its path under src/ inside the executable, beside the bundled cli.
 */
function workerUrl(): URL {
  const compiled = import.meta.url.startsWith('file:///$bunfs/')
  return new URL(compiled ? './crypto/_kdf-worker.ts' : './_kdf-worker.ts', import.meta.url)
}

type Waiter = { resolve: (v: string | Uint8Array | boolean) => void; reject: (e: Error) => void }
/** `job`: the id of the job it runs, null when idle. */
type Thread = { worker: Worker; job: number | null }

export class KdfThreads {
  readonly size: number
  readonly #threads: Thread[] = []
  readonly #queue: { id: number; job: KdfJob }[] = []
  readonly #waiting = new Map<number, Waiter>()
  #nextId = 0

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size)
  }

  /** Runs one job on a free thread (first come, first served among KDF jobs only). */
  run<K extends KdfJob['op']>(job: Extract<KdfJob, { op: K }>): Promise<Value[K]> {
    const id = this.#nextId++
    return new Promise<Value[K]>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as Waiter['resolve'], reject })
      this.#queue.push({ id, job })
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const thread = this.#threads.find((t) => t.job === null) ?? this.#spawn()
      if (!thread) return
      const next = this.#queue.shift()!
      thread.job = next.id
      thread.worker.ref()
      thread.worker.postMessage(next)
    }
  }

  #spawn(): Thread | undefined {
    if (this.#threads.length >= this.size) return undefined
    const worker = new Worker(workerUrl())
    const thread: Thread = { worker, job: null }
    worker.unref()
    worker.onmessage = (e: MessageEvent<KdfReply>) => {
      thread.job = null
      worker.unref()
      const r = e.data
      const w = this.#waiting.get(r.id)
      this.#waiting.delete(r.id)
      if (r.ok) w?.resolve(r.value)
      else w?.reject(new Error(r.error))
      this.#pump()
    }
    worker.onerror = (e) => {
      // A thread that failed takes its job with it: fail what it held, replace it on the next job.
      worker.terminate()
      const i = this.#threads.indexOf(thread)
      if (i >= 0) this.#threads.splice(i, 1)
      const w = thread.job === null ? undefined : this.#waiting.get(thread.job)
      if (thread.job !== null) this.#waiting.delete(thread.job)
      thread.job = null
      w?.reject(new Error(`KDF thread failed: ${e.message}`))
      this.#pump()
    }
    this.#threads.push(thread)
    return thread
  }
}

/** The process's KDF threads: like the runtime's own pool, one per process, shared by its users. */
export const kdfThreads = new KdfThreads()
