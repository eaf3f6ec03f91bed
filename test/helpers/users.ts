/** @module Logged-in test users on real servers, through the real client Session; closed after each test. */

import { afterEach } from 'bun:test'
import { Session } from '../../src/client/session.ts'
import type { ClientTls } from '../../src/net/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from './keys.ts'
import { tempDir } from './servers.ts'

const sessions = new Set<Session>()
afterEach(async () => {
  await Promise.all([...sessions].map((s) => s.close().catch(() => {})))
  sessions.clear()
})

export const PASSWORD = 'correct horse battery staple'

/** Opens a session to `server` (not yet logged in). */
export async function connectUser(
  server: ServerHandle,
  downloadsDir = tempDir(),
  tls?: ClientTls,
): Promise<Session> {
  const s = await Session.connect(server.url, { downloadsDir, tls })
  sessions.add(s)
  return s
}

/** Registers `username` on `server` with the `keyIndex`-th shared test key, and logs in. */
export async function user(
  server: ServerHandle,
  username: string,
  keyIndex: number,
  tls?: ClientTls,
): Promise<Session> {
  const s = await connectUser(server, tempDir(), tls)
  await s.register(username, PASSWORD, { keyPair: await testKey(keyIndex) })
  return s
}
