/**
 * @module Scenario 6, mesh scale: 8 servers and 400 logged-in users (48 with --quick), sharing a
 * small key pool. The time until every server sees every user online; how long one user's presence
 * takes to reach every server, while the 400 register (8 at a time, the machine saturated) and then
 * one user at a time on the full mesh (the issue 14 target); then one server is killed and we time
 * until every other server, and every user on them, sees its users offline.
 */

import { addWork, describeWork, parallelMs, REGISTER_WORK, scaleWork, serialMs } from '../lib/bound.ts'
import { online, PresenceWatch } from '../lib/presence-watch.ts'
import { vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError, pool, until } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

const SERVERS = 8
/** Gossip frames a new user causes (DIRECTORY_ENTRY, USER_ADVERTISE, PUBLIC_CHANNEL_ADD/UPDATED). */
const GOSSIP_PER_USER = 4
/** PRESENCE_BATCH: signed once by the home server, verified by each other server. */
const ADVERTISE_CHAIN = { sign: 1, verify: 1 }
/** Users who join one at a time once the mesh is full: 2 per server (1 with --quick). */
const LATE_PER_SERVER = (quick: boolean) => (quick ? 1 : 2)

export const meshScale: Scenario = {
  id: 'mesh-scale',
  title: `mesh scale: ${SERVERS} servers, users online, then one server killed`,
  timeoutMs: (quick) => (quick ? 60_000 : 300_000),
  async run(ctx) {
    const total = ctx.quick ? 48 : 400
    const w = new World(ctx.serverKeys, ctx.userKeys)
    let watch: PresenceWatch | null = null
    try {
      const servers = await w.mesh(SERVERS)
      let lastSay = performance.now()
      const presence = new PresenceWatch(servers, total, () => {
        if (performance.now() - lastSay < 10_000) return
        lastSay = performance.now()
        ctx.say(`  ${w.users.length} registered; online per server: ${servers.map(online).join(' ')}`)
      })
      watch = presence
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      const users = await w.registerAll(
        Array.from({ length: total }, (_, i) => ({ server: servers[i % SERVERS]!, name: `user${i}` })),
        8,
      )
      await until(
        () => presence.allAt > 0,
        30_000,
        () => `every server to see ${total} users online`,
      ).catch((e) => {
        throw new LossError(`${(e as Error).message}: ${servers.map(online).join(', ')}`)
      })
      const lag = summarize(presence.lags())
      const allOnlineMs = presence.allAt - t0
      // Servers and clients are all in this process: its CPU over the cores is the wall time the
      // phase would take with nothing else on the machine (reported beside the wall time).
      const cpu = process.cpuUsage(cpu0)
      const cpuUsedMs = (cpu.user + cpu.system) / 1000

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

      const regWork = addWork(scaleWork(REGISTER_WORK, total), {
        verify: total * GOSSIP_PER_USER * (SERVERS - 1),
      })
      // Every remaining server signs one USER_REMOVE per user of the dead server for its users.
      const removeWork = { sign: gone.length * (SERVERS - 1) }
      return [
        vs(
          {
            scenario: 'mesh-scale',
            metric: `${total} users online on all ${SERVERS} servers`,
            value: allOnlineMs / 1000,
            unit: 's',
            note: `register + log in, 8 at a time; floor = ${describeWork(REGISTER_WORK)} per user, all cores`,
          },
          { floor: parallelMs(ctx.costs, regWork) / 1000 },
          { on: 'ratio', op: '<=', limit: 1.3 },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `${total} users online: CPU used ÷ cores`,
            value: cpuUsedMs / ctx.costs.cores / 1000,
            unit: 's',
            note: `${(cpuUsedMs / 1000).toFixed(0)} s of CPU in this process (8 servers and ${total} clients; ${(cpu.system / 1e6).toFixed(0)} s in the kernel), over ${ctx.costs.cores} cores`,
          },
          { floor: parallelMs(ctx.costs, regWork) / 1000 },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `one user at a time, ${total}+ online: home server → all servers, p50`,
            value: oneLag.p50,
            unit: 'ms',
            note: `${oneLag.n} users; p95 ${oneLag.p95.toFixed(1)} ms, max ${oneLag.max.toFixed(1)} ms; timed where each server's table changes; floor = ${describeWork(ADVERTISE_CHAIN)}`,
          },
          { floor: serialMs(ctx.costs, ADVERTISE_CHAIN) },
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
          { floor: serialMs(ctx.costs, ADVERTISE_CHAIN) },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `one user at a time: home server → all ${total} clients, p50`,
            value: oneClients.p50,
            unit: 'ms',
            note: `${oneClients.n} users; p95 ${oneClients.p95.toFixed(1)} ms; every client follows everyone: it shows the user once its server passed the batch on and it pinned the key; the ${total} clients share the servers' one JS thread`,
          },
          { floor: serialMs(ctx.costs, ADVERTISE_CHAIN) },
        ),
        vs(
          {
            scenario: 'mesh-scale',
            metric: `during the ${total} registrations: home server → all servers, p50`,
            value: lag.p50,
            unit: 'ms',
            note: `p95 ${lag.p95.toFixed(0)} ms, max ${lag.max.toFixed(0)} ms; the cores are saturated by the registrations, so this includes queueing behind them`,
          },
          { floor: serialMs(ctx.costs, ADVERTISE_CHAIN) },
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
          { floor: parallelMs(ctx.costs, removeWork) },
        ),
      ]
    } finally {
      await watch?.stop()
      await w.close()
    }
  },
}
