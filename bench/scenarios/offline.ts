/**
 * @module Scenario: offline delivery (issue 13, docs/wire.md §13). Alice on server A sends 100 DMs
 * to bob while he is offline (his home server B keeps them); bob logs in: the time from starting
 * the login to the last of the 100 DMs shown, against the crypto that path needs.
 */

import { Session } from '../../src/client/index.ts'
import { describeWork, floorMs, serialMs, type Work } from '../lib/bound.ts'
import { type Row, vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { LossError, until } from '../lib/wait.ts'
import { PASSWORD, World } from '../lib/world.ts'

/** A login: scrypt here, argon2 there, the challenge, AUTH_OK and USER_HELLO signatures and checks. */
const LOGIN_WORK: Work = { scrypt: 1, argon2: 1, sign: 4, verify: 2 }

export const offline: Scenario = {
  id: 'offline',
  title: 'Offline delivery: login → the last of 100 kept DMs shown',
  timeoutMs: (quick) => (quick ? 60_000 : 120_000),
  async run(ctx) {
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const [a, b] = await w.mesh(2)
      const alice = await w.user(a!, 'alice', 0)
      const bob = await w.user(b!, 'bob', 1)
      await bob.session.close()
      // Offline for the sender's server too: a DM sent before bob's presence reached it would be
      // handed on to his server as to a user online there (`delivered`, then kept), not `queued`.
      await until(() => !a!.ctx.presence.locations.has(bob.userId), 5_000, "bob offline at alice's server")
      const n = 100
      const statuses = []
      for (let i = 0; i < n; i++) statuses.push((await alice.session.tell('bob', `kept ${i}`)).status)
      const kept = statuses.filter((s) => s === 'queued').length
      if (kept !== n) throw new LossError(`${n} DMs sent to an offline user, ${kept} kept`)

      const again = await Session.connect(b!.url, { downloadsDir: w.dir })
      const texts: string[] = []
      let last = 0
      again.on('dm', (d) => {
        texts.push(d.text)
        if (texts.length === n) last = performance.now()
      })
      const t0 = performance.now()
      await again.login('bob', PASSWORD)
      const loggedIn = performance.now()
      const end = Date.now() + 60_000
      while (texts.length < n && Date.now() < end) await Bun.sleep(5)
      await again.close()
      if (texts.length !== n) throw new LossError(`${n} DMs kept, ${texts.length} delivered`)
      if (texts.some((t, i) => t !== `kept ${i}`)) throw new LossError('kept DMs delivered out of order')

      const per: Work = { sign: n, decrypt: n, verify: 2 * n }
      const handover = floorMs(ctx.costs, { decrypt: n, verify: n }, per)
      const floor = serialMs(ctx.costs, LOGIN_WORK) + handover
      const row: Row = vs(
        { scenario: 'offline', metric: `login → last of ${n} kept DMs`, value: last - t0, unit: 'ms' },
        { floor },
      )
      return [
        {
          ...row,
          note: `floor = login (${describeWork(LOGIN_WORK)}) + ${n} × (server sign, client decrypt and verifies); the login alone took ${(loggedIn - t0).toFixed(0)} ms`,
        },
      ]
    } finally {
      await w.close()
    }
  },
}
