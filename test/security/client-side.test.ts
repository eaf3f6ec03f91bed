/**
 * @module Client-side attacks (issue 5): a peer — or a hostile server in the middle — sending
 * malformed file frames, file names with `../` or `/`, a `file_id` that is a path, escape
 * sequences in names, messages and errors, and forged disconnects. The client Session neither
 * crashes, nor writes outside its downloads folder, nor lets peer text reach the terminal raw.
 */

import { afterEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { ServerWebSocket } from 'bun'
import type { EventName, SessionEvents } from '../../src/client/events.ts'
import { type ClientEvent, renderLine } from '../../src/client/render.ts'
import { Session } from '../../src/client/session.ts'
import { b64uEncode } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { server, tempDir, until } from '../helpers/servers.ts'
import { PASSWORD, user } from '../helpers/users.ts'
import { ATTACKER_KEY, dm, type Frame, fileFrames, type Party, rawUser, signed } from './_attack.ts'

// --- a hostile server in the middle: forwards both ways, and injects whatever the test wants ---

type Mitm = { url: string; inject(frame: unknown): void; close(code: number, reason: string): void }
const stops: (() => void)[] = []
const sessions: Session[] = []
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => {})))
  for (const stop of stops.splice(0)) stop()
})

function mitm(target: ServerHandle): Mitm {
  let client: ServerWebSocket<{ up: WebSocket; queue: string[] }> | null = null
  const srv = Bun.serve<{ up: WebSocket; queue: string[] }, never>({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req, s) {
      const up = new WebSocket(target.url)
      return s.upgrade(req, { data: { up, queue: [] } }) ? undefined : new Response('no', { status: 400 })
    },
    websocket: {
      open(ws) {
        client = ws
        const { up, queue } = ws.data
        up.addEventListener('open', () => {
          for (const m of queue.splice(0)) up.send(m)
        })
        up.addEventListener('message', (e) => ws.send(String(e.data)))
        up.addEventListener('close', () => ws.close())
      },
      message(ws, m) {
        const { up, queue } = ws.data
        if (up.readyState === WebSocket.OPEN) up.send(String(m))
        else queue.push(String(m))
      },
      close(ws) {
        ws.data.up.close()
      },
    },
  })
  stops.push(() => srv.stop(true))
  return {
    url: `ws://127.0.0.1:${srv.port}`,
    inject: (f) => client?.send(typeof f === 'string' ? f : JSON.stringify(f)),
    close: (code, reason) => client?.close(code, reason),
  }
}

// --- what the victim sees and prints ---

const EVENTS: EventName[] = [
  'dm',
  'public',
  'file',
  'file-failed',
  'presence',
  'error',
  'key-changed',
  'reconnecting',
  'closed',
]

function watch(s: Session): ClientEvent[] {
  const seen: ClientEvent[] = []
  for (const name of EVENTS)
    s.on(name, (e: SessionEvents[typeof name]) => seen.push({ type: name, ...e } as ClientEvent))
  return seen
}

// C0 and C1 controls, DEL, line/paragraph separators and every bidi control (src/client/sanitize.ts).
const UNSAFE =
  /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]|\\u00[01]|\\u007f/

/** Every line the client would print for these events, in text and in --json mode. */
function printed(events: ClientEvent[]): string[] {
  return events
    .flatMap((e) => [renderLine(e, false), renderLine(e, true)])
    .filter((l): l is string => l !== null)
}

/** Every file under `dir`, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort()
}

const EVIL_TEXT =
  '\u001b]0;pwned\u0007\u001b[2J\r\n[LOGIN SUCCESS] admin \u202eelif.exe\u0000\u009b31m\u001b]52;c;cHduZWQ=\u0007'

/** bob is a real Session whose downloads folder sits inside a fresh root; mallory a raw user. */
async function scene(opts: { viaMitm?: boolean } = {}) {
  const s = await server()
  const root = tempDir()
  const downloads = join(root, 'downloads')
  const m = opts.viaMitm ? mitm(s) : null
  const bob = await Session.connect(m ? m.url : s.url, { downloadsDir: downloads })
  sessions.push(bob)
  await bob.register('bob', PASSWORD, { keyPair: await testKey(1) })
  const b: Party = { id: bob.userId!, key: await testKey(1) }
  const events = watch(bob)
  const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
  await bob.list()
  const alive = async (what: string) => {
    const alice = await user(s, `alice${randomUUID().slice(0, 6)}`, 0)
    const got = bob.next('dm', (e) => e.text === what)
    await alice.tell('bob', what)
    await got
  }
  return { s, root, downloads, bob, b, events, mallory, m, alive }
}

describe('client-side attacks', () => {
  test('file names with ../, / or escapes are saved only as received_<file_id> inside downloads', async () => {
    const { root, downloads, bob, b, events, mallory, alive } = await scene()
    const names = [
      '../../evil.txt',
      '/etc/passwd',
      'a/b/../../../c.sh',
      '..\\..\\win.ini',
      '..',
      '.',
      `x${EVIL_TEXT}.txt`,
    ]
    const data = new Uint8Array(700).map((_, i) => i % 251)
    const ids: string[] = []
    for (const name of names) {
      const frames = await fileFrames(mallory, b, data, { name })
      ids.push(String(frames[0]!.payload.file_id))
      const got = bob.next('file', (e) => e.fileId === frames[0]!.payload.file_id)
      for (const f of frames) mallory.peer.send(f)
      const saved = await got
      expect(saved.path).toBe(resolve(downloads, `received_${saved.fileId}`))
      expect(readFileSync(saved.path)).toEqual(Buffer.from(data))
    }
    expect(files(root)).toEqual(ids.map((id) => join('downloads', `received_${id}`)).sort())
    expect(existsSync(resolve(downloads, '../../evil.txt'))).toBe(false)
    for (const line of printed(events)) expect(line).not.toMatch(UNSAFE)
    await alive('files done')
  })

  test('a file_id that is a path is refused by the server and dropped by the client', async () => {
    const { root, b, events, mallory, m, alive } = await scene({ viaMitm: true })
    const frames = await fileFrames(mallory, b, new Uint8Array(10), { name: 'x' })
    for (const fileId of ['../../pwned', '/tmp/pwned', 'received_/../../x']) {
      const [start] = frames
      // Through the server: the schema refuses it (file_id is a UUID).
      mallory.peer.send(
        await signed(mallory.key, { ...start!, payload: { ...start!.payload, file_id: fileId } }),
      )
      expect((await mallory.peer.next('ERROR')).payload.code).toBe('BAD_REQUEST')
      // Straight from a hostile server: the client's own decoder drops it.
      for (const f of frames) m!.inject({ ...f, payload: { ...f.payload, file_id: fileId } })
    }
    await alive('after path ids')
    expect(files(root)).toEqual([])
    expect(events.filter((e) => e.type === 'file')).toEqual([])
  })

  test('malformed and forged file frames fail cleanly: no crash, no file, the session keeps working', async () => {
    const { root, b, bob, events, mallory, m, alive } = await scene({ viaMitm: true })
    const data = new Uint8Array(1000).fill(1)
    const transfer = () => fileFrames(mallory, b, data, { name: 'ok.bin' })
    const edit = (f: Frame, changes: Record<string, unknown>, env: Partial<Frame> = {}): Frame => ({
      ...f,
      ...env,
      payload: { ...f.payload, ...changes },
    })
    const [t1, t2, t3, t4, t5, t6] = await Promise.all(Array.from({ length: 6 }, transfer))
    const junk = b64uEncode(new Uint8Array(512).fill(9))
    const attacks: Frame[][] = [
      // Chunks and an end for a transfer that never started.
      [edit(t1![1]!, { file_id: randomUUID() }), edit(t1![4]!, { file_id: randomUUID() })],
      // A manifest whose signature does not cover what it says (straight from a hostile server).
      [edit(t1![0]!, { name: 'renamed.bin' }), edit(t2![0]!, { size: 10 ** 12, chunks: 10 ** 9 })],
      // A valid start, then an index out of range.
      [t3![0]!, edit(t3![1]!, { index: 99 })],
      // A chunk that does not decrypt (and so an end whose digest no longer matches).
      [t4![0]!, edit(t4![1]!, { ciphertext: junk }), t4![2]!, t4![3]!, t4![4]!],
      // Every chunk intact, but the end signature is not the sender's.
      [t5![0]!, t5![1]!, t5![2]!, t5![3]!, edit(t5![4]!, { content_sig: junk })],
      // The same file id started twice, and a chunk slipped in by someone else.
      [t6![0]!, t6![0]!, edit(t6![1]!, {}, { from: randomUUID() })],
      // Not a frame at all.
      [{ type: 'FILE_CHUNK', from: mallory.id, to: b.id, ts: 1, payload: { index: -1 } }],
    ]
    for (const batch of attacks) for (const f of batch) m!.inject(f)
    await alive('after malformed files')
    const failed = events.filter((e) => e.type === 'file-failed')
    expect(failed.length).toBeGreaterThanOrEqual(5)
    expect(events.filter((e) => e.type === 'file' || e.type === 'closed')).toEqual([])
    expect(files(root)).toEqual([])
    for (const line of printed(events)) expect(line).not.toMatch(UNSAFE)
    // The honest transfer still works afterwards.
    const got = bob.next('file')
    for (const f of await transfer()) mallory.peer.send(f)
    expect((await got).size).toBe(1000)
  })

  test('escape sequences in messages, names and errors never reach the terminal raw', async () => {
    const { s, b, bob, events, mallory, m, alive } = await scene({ viaMitm: true })
    // A message from a real user: the Session hands over the raw text; render must neutralise it.
    const got = bob.next('dm', (e) => e.text === EVIL_TEXT)
    mallory.peer.send(await dm(mallory, b, EVIL_TEXT))
    await got
    // Names, errors and presence as a hostile server could send them.
    const k = await testKey(ATTACKER_KEY + 1)
    const uid = randomUUID()
    const name = `\u001b[31mroot\u001b[0m\r\n[LOGIN SUCCESS] admin\u202e`
    m!.inject(
      await signed(k, {
        type: 'USER_ADVERTISE',
        from: s.serverId(),
        to: '*',
        payload: {
          user_id: uid,
          server_id: s.serverId(),
          pubkey: k.publicKey.spki,
          meta: { display_name: name },
        },
      }),
    )
    m!.inject(
      await signed(k, {
        type: 'ERROR',
        from: s.serverId(),
        to: b.id,
        payload: { code: `X${EVIL_TEXT}`.slice(0, 60), detail: EVIL_TEXT },
      }),
    )
    m!.inject(
      await signed(k, {
        type: 'USER_REMOVE',
        from: s.serverId(),
        to: '*',
        payload: { user_id: uid, server_id: s.serverId() },
      }),
    )
    await alive('after escapes')
    const kinds = new Set(events.map((e) => e.type))
    for (const t of ['dm', 'presence', 'error']) expect(kinds).toContain(t as ClientEvent['type'])
    const lines = printed(events)
    expect(lines.length).toBeGreaterThanOrEqual(6)
    for (const line of lines) {
      expect(line).not.toMatch(UNSAFE)
      expect(line).not.toContain('\n')
    }
    // A close reason is peer text too.
    m!.close(4000, EVIL_TEXT.slice(0, 60))
    // The session tries to come back (issue 13); the reason it shows is sanitised all the same.
    const lost = await bob.next('reconnecting')
    expect(renderLine({ type: 'reconnecting', ...lost }, false)).not.toMatch(UNSAFE)
    await bob.close()
    await until(() => !s.ctx.presence.local.has(b.id), 3_000, 'bob unbound')
  })

  test('a forged disconnect disconnects nobody', async () => {
    const { s, b, bob, events, mallory, m, alive } = await scene({ viaMitm: true })
    // A user asking the server to close someone else's session closes only its own link.
    mallory.peer.send({ type: 'CTRL_CLOSE', from: b.id, to: s.serverId(), ts: Date.now(), payload: {} })
    expect((await mallory.peer.closed).code).toBe(1000)
    expect(s.ctx.presence.local.has(b.id)).toBe(true)
    // A CTRL_CLOSE, a USER_REMOVE for ourselves and an ERROR injected at the client change nothing.
    m!.inject({ type: 'CTRL_CLOSE', from: s.serverId(), to: b.id, ts: Date.now(), payload: {} })
    m!.inject({
      type: 'USER_REMOVE',
      from: s.serverId(),
      to: '*',
      ts: Date.now(),
      payload: { user_id: b.id, server_id: s.serverId() },
    })
    m!.inject({
      type: 'ERROR',
      from: s.serverId(),
      to: b.id,
      ts: Date.now(),
      payload: { code: 'TIMEOUT', detail: 'you are disconnected' },
    })
    await alive('still connected')
    expect(events.filter((e) => e.type === 'closed')).toEqual([])
    expect(bob.userId).toBe(b.id)
  })
})
