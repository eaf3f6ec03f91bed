/**
 * @module Scenario 6, mesh scale: 8 servers and 400 logged-in users (48 with --quick), sharing a
 * small key pool. The time until every server sees every user online, twice on fresh meshes: with
 * clients that follow everyone (the terminal's default: N²/2 presence deliveries among the
 * clients, all in this process), then with clients told only of their contacts (`--presence
 * contacts`, the issue 14 target). On the first mesh: how long one user's presence takes to reach
 * every server, during the storm and then one user at a time (the issue 14 target); then one
 * server is killed and we time until every other server, and every user on them, sees its users
 * offline.
 */

import type { PresenceMode } from '../../src/client/auth.ts'
import { addWork, describeWork, parallelMs, registerWork, scaleWork, serialMs } from '../lib/bound.ts'
import { online } from '../lib/presence-watch.ts'
import { type Row, vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { type Storm, storm, stormRows } from '../lib/storm.ts'
import { LossError, pool, until } from '../lib/wait.ts'

const SERVERS = 8
/** Gossip frames a new user causes to each peer (DIRECTORY_ENTRY, PRESENCE_BATCH, PUBLIC_CHANNEL_ADD/UPDATED). */
const GOSSIP_PER_USER = 4
/** PRESENCE_BATCH: signed once by the home server, verified by each other server. */
const ADVERTISE_CHAIN = { sign: 1, verify: 1 }
/** Users who join one at a time once the mesh is full: 2 per server (1 with --quick). */
const LATE_PER_SERVER = (quick: boolean) => (quick ? 1 : 2)

/** The mesh's storm rows: its floor counts each registration's crypto and every peer's verifies. */
function meshStormRows(s: Storm, total: number, cores: number, mode: PresenceMode): Row[] {
  // Every login's presence goes to the peers in a batch; the login page only to all-mode clients.
  const perUser = registerWork({ loginPage: mode === 'all', presenceBatch: true })
  const regWork = addWork(scaleWork(perUser, total), {
    verify: total * GOSSIP_PER_USER * (SERVERS - 1),
  })
  return stormRows({
    scenario: 'mesh-scale',
    what: `${total} users online on all ${SERVERS} servers`,
    mode,
    seconds: s.allOnlineMs / 1000,
    cpuSeconds: s.cpuMs / cores / 1000,
    floor: parallelMs(s.costs, regWork) / 1000,
    around: s,
    note: `register + log in, 8 at a time; floor = ${describeWork(perUser)} per user, all cores`,
    cpuNote: `${(s.cpuMs / 1000).toFixed(0)} s of CPU in this process (8 servers and ${total} clients; ${(s.kernelMs / 1000).toFixed(0)} s in the kernel), over ${cores} cores`,
  })
}

export const meshScale: Scenario = {
  id: 'mesh-scale',
  title: `mesh scale: ${SERVERS} servers, users online, then one server killed`,
  timeoutMs: (quick) => (quick ? 90_000 : 420_000),
  async run(ctx) {
    const total = ctx.quick ? 48 : 400
    const cores = ctx.costs.cores
    const s = await storm(ctx, SERVERS, total, 'all')
    const { presence, servers, users, world: w, after } = s
    let rows: Row[]
    try {
      // One user at a time on the full mesh: nothing else is signing, so this is the presence path
      // itself (the storm above measures it queued behind 8 registrations' KDFs and signatures).
      const late: typeof users = []
      presence.watchClients(users.map((u) => u.session))
      for (let i = 0; i < LATE_PER_SERVER(ctx.quick) * SERVERS; i++) {
        presence.total++
        presence.allAt = 0
        late.push(await w.user(servers[i % SERVERS]!, `late${i}`, i))
        await until(
          () => presence.allAt > 0,
          10_000,
          () => `every server to see late${i}`,
        )
        await Bun.sleep(50)
      }
      await presence.stop()
      users.push(...late)
      const lateIds = new Set(late.map((u) => u.userId))
      const oneLag = summarize(presence.lags(lateIds))
      const oneHop = summarize(presence.hops(lateIds))
      const oneClients = summarize(presence.clientLags(lateIds))
      const all = presence.total

      // Kill the last server (not the introducer): its links drop as they would if the process died.
      const victim = servers[SERVERS - 1]!
      const victimId = victim.serverId()
      const gone = users.filter((u) => u.server === victim)
      const others = servers.slice(0, -1)
      const watchers = users.filter((u) => u.server !== victim)
      // A session learns of users who were online before it logged in only from list() (it does
      // not use the USER_LIST sent at login), so every watcher lists once before the kill.
      await pool(watchers, 8, (u) => u.session.list())
      let offlineEvents = 0
      const goneIds = new Set(gone.map((u) => u.userId))
      for (const u of watchers)
        u.session.on('presence', (p) => {
          if (!p.online && goneIds.has(p.userId)) offlineEvents++
        })
      const expected = watchers.length * gone.length
      const stopping = victim.stop()
      const serversMs = await until(
        () => others.every((s) => ![...s.ctx.presence.locations.values()].includes(victimId)),
        20_000,
        "every server to drop the killed server's users",
        2,
      )
      const usersMs = await until(
        () => offlineEvents >= expected,
        30_000,
        () => `${expected} offline notices (got ${offlineEvents})`,
        2,
      )
      await stopping
      if (!others.every((s) => online(s) === all - gone.length))
        throw new LossError(
          `after the kill: ${others.map(online).join(', ')} online, expected ${all - gone.length}`,
        )

      // Every remaining server signs one USER_REMOVE per user of the dead server for its users.
      const removeWork = { sign: gone.length * (SERVERS - 1) }
      rows = [
        ...meshStormRows(s, total, cores, 'all'),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `one user at a time, ${total}+ online: home server → all servers, p50`,
            value: oneLag.p50,
            unit: 'ms',
            note: `${oneLag.n} users; p95 ${oneLag.p95.toFixed(1)} ms, max ${oneLag.max.toFixed(1)} ms; timed where each server's table changes; floor = ${describeWork(ADVERTISE_CHAIN)}`,
          },
          { floor: serialMs(after, ADVERTISE_CHAIN) },
          { on: 'ratio', op: '<=', limit: 2 },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: 'one user at a time: home server → each other server, p50',
            value: oneHop.p50,
            unit: 'ms',
            note: `${oneHop.n} arrivals; p95 ${oneHop.p95.toFixed(1)} ms; the 8 servers share this process's one JS thread, so the other servers take the batch one after another`,
          },
          { floor: serialMs(after, ADVERTISE_CHAIN) },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `one user at a time: home server → all ${total} clients, p50`,
            value: oneClients.p50,
            unit: 'ms',
            note: `${oneClients.n} users; p95 ${oneClients.p95.toFixed(1)} ms; every client follows everyone: it shows the user once its server passed the batch on and it pinned the key; the ${total} clients share the servers' one JS thread`,
          },
          { floor: serialMs(after, ADVERTISE_CHAIN) },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `during the ${total} registrations: home server → all servers, p50`,
            value: s.lag.p50,
            unit: 'ms',
            note: `p95 ${s.lag.p95.toFixed(0)} ms, max ${s.lag.max.toFixed(0)} ms; clients following everyone; the cores are saturated by the registrations, so this includes queueing behind them`,
          },
          { floor: serialMs(s.costs, ADVERTISE_CHAIN) },
        ),
        {
          scenario: 'mesh-scale',
          metric: `kill: ${gone.length} users offline, servers`,
          value: serversMs,
          unit: 'ms',
          note: 'link close → locations cleared (no crypto needed)',
        },
        vs(
          {
            scenario: 'mesh-scale',
            metric: `kill: offline at all ${watchers.length} users`,
            value: usersMs,
            unit: 'ms',
            note: `${expected} USER_REMOVE notices; floor = ${describeWork(removeWork)}, all cores`,
          },
          { floor: parallelMs(after, removeWork) },
        ),
      ]
    } finally {
      await presence.stop()
      await w.close()
    }
    // That world's garbage is collected now, so the next storm does not pay for it.
    Bun.gc(true)
    ctx.say(`  now ${total} users whose clients are told only of their contacts, on a fresh mesh`)
    // Clients told only of their contacts: the mesh's own cost of bringing users online.
    const few = await storm(ctx, SERVERS, total, 'contacts')
    await few.presence.stop()
    await few.world.close()
    return [...meshStormRows(few, total, cores, 'contacts'), ...rows]
  },
}
