/**
 * @module Trust on first use: the first public key seen for each user id is remembered in a small
 * JSON file, and a later different key is reported instead of silently used (PROTOCOL.md §3.2).
 */

import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'

const PinSchema = z.object({ pubkey: z.string().min(1), username: z.string(), first_seen: z.int() })
const PinFileSchema = z.object({ v: z.literal(1), pins: z.record(z.string(), PinSchema) })
type Pin = z.infer<typeof PinSchema>

/** `new`: first sighting, now pinned; `same`: matches the pin; `changed`: differs from the pin. */
export type PinCheck = { status: 'new' | 'same' } | { status: 'changed'; pinned: string }

/** The pin store; `path` undefined keeps pins in memory only (tests, throwaway sessions). */
export class PinStore {
  readonly #path: string | undefined
  readonly #pins: Map<string, Pin>

  private constructor(path: string | undefined, pins: Map<string, Pin>) {
    this.#path = path
    this.#pins = pins
  }

  /**
   * Loads the pins at `path` (a missing file is an empty store).
   * @throws Error on an unreadable or corrupt file: silently starting over would forget every pin.
   */
  static open(path?: string): PinStore {
    if (path === undefined) return new PinStore(undefined, new Map())
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new PinStore(path, new Map())
      throw new Error(`cannot read the key pins at ${path}`, { cause: e })
    }
    let parsed: z.infer<typeof PinFileSchema>
    try {
      parsed = PinFileSchema.parse(JSON.parse(text))
    } catch (e) {
      throw new Error(`the key pins at ${path} are corrupt; fix or remove the file`, { cause: e })
    }
    return new PinStore(path, new Map(Object.entries(parsed.pins)))
  }

  /** The pinned key (base64url SPKI) of `userId`, if any. */
  get(userId: string): string | undefined {
    return this.#pins.get(userId)?.pubkey
  }

  /** Compares `pubkey` (canonical base64url SPKI) with the pin for `userId`; pins it if new. */
  check(userId: string, username: string, pubkey: string, now = Date.now()): PinCheck {
    const pin = this.#pins.get(userId)
    if (!pin) {
      this.#pins.set(userId, { pubkey, username, first_seen: now })
      this.#save()
      return { status: 'new' }
    }
    return pin.pubkey === pubkey ? { status: 'same' } : { status: 'changed', pinned: pin.pubkey }
  }

  /** Replaces the pin of `userId` with `pubkey`: the user compared fingerprints and accepts it. */
  trust(userId: string, username: string, pubkey: string, now = Date.now()): void {
    this.#pins.set(userId, { pubkey, username, first_seen: now })
    this.#save()
  }

  // Written whole to a temp file, then renamed: a crash never leaves half a file (and no pins).
  #save(): void {
    if (this.#path === undefined) return
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 })
    const tmp = `${this.#path}.${randomUUID()}.tmp`
    const body = { v: 1, pins: Object.fromEntries(this.#pins) }
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 })
    renameSync(tmp, this.#path)
  }
}
