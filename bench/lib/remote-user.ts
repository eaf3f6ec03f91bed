/**
 * @module A user in a process of its own, for mesh-scale's one-at-a-time phase: registers NAME at URL
 * with the user key INDEX of the cached key pool, prints its user id, and stays online until its
 * stdin closes. Its client work (scrypt, the login page it reads, the keys it pins) then runs beside
 * the servers, as a real client's would, not on the servers' JavaScript thread.
 *
 *   bun bench/lib/remote-user.ts URL NAME INDEX DOWNLOADS_DIR
 */

import { Session } from '../../src/client/session.ts'
import { setLogLevel } from '../../src/log.ts'
import { keyPool } from './keys.ts'
import { PASSWORD } from './world.ts'

/** The benchmark's pool: 8 server keys, then 12 user keys (bench/run.ts). */
const SERVER_KEYS = 8
const USER_KEYS = 12

setLogLevel('error')
const [url, name, index, dir] = process.argv.slice(2)
if (!url || !name || !index || !dir) throw new Error('usage: remote-user.ts URL NAME INDEX DOWNLOADS_DIR')
const { keys } = await keyPool(SERVER_KEYS + USER_KEYS)
const session = await Session.connect(url, { downloadsDir: dir })
const account = await session.register(name, PASSWORD, {
  keyPair: keys[SERVER_KEYS + (Number(index) % USER_KEYS)]!,
})
process.stdout.write(`${account.userId}\n`)
for await (const _ of process.stdin) {
  // Stay online until the benchmark closes our stdin.
}
await session.close()
process.exit(0)
