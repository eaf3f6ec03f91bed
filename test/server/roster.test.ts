/** The in-memory roster (src/server/roster.ts) and paged LIST over a real server (docs/wire.md §4). */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { Roster } from '../../src/server/roster.ts'
import { server, until } from '../helpers/servers.ts'
import { rawUser } from '../security/_attack.ts'

const entry = (username: string) => ({
  user_id: randomUUID(),
  username,
  server_id: randomUUID(),
  pubkey: 'k',
})

/** Every page from the start, following `next`. */
function pages(r: Roster, limit: number): string[][] {
  const out: string[][] = []
  let after = ''
  for (;;) {
    const p = r.page(after, limit)
    out.push(p.users.map((u) => u.username))
    if (p.next === undefined) return out
    after = p.next
  }
}

describe('roster', () => {
  test('pages are sorted by username, cover everyone once, and the last has no cursor', () => {
    const r = new Roster()
    for (const n of ['mia', 'al', 'zed', 'bo', 'cy', 'al_2', 'kim']) r.set(entry(n))
    expect(pages(r, 3)).toEqual([['al', 'al_2', 'bo'], ['cy', 'kim', 'mia'], ['zed']])
    expect(pages(r, 7)).toEqual([['al', 'al_2', 'bo', 'cy', 'kim', 'mia', 'zed']])
    expect(r.all().map((u) => u.username)).toEqual(['al', 'al_2', 'bo', 'cy', 'kim', 'mia', 'zed'])
  })

  test('a cursor stays valid when its user leaves, and moves, removes and lookups keep the index whole', () => {
    const r = new Roster()
    const users = ['a1', 'b1', 'c1', 'd1', 'e1'].map(entry)
    for (const u of users) r.set(u)
    const first = r.page('', 2)
    expect(first.users.map((u) => u.username)).toEqual(['a1', 'b1'])
    r.delete(users[1]!.user_id)
    expect(r.page(first.next!, 2).users.map((u) => u.username)).toEqual(['c1', 'd1'])
    r.set({ ...users[2]!, server_id: 'elsewhere' })
    expect(r.size).toBe(4)
    expect(r.find('C1')?.server_id).toBe('elsewhere')
    expect(r.find(users[3]!.user_id)?.username).toBe('d1')
    expect(r.delete('nobody')).toBeUndefined()
    expect(pages(r, 10)).toEqual([['a1', 'c1', 'd1', 'e1']])
  })
})

describe('paged LIST', () => {
  test('LIST {after, limit} walks the online list page by page; the login page says how many there are', async () => {
    const s = await server()
    const names = ['pat', 'ida', 'ned', 'ola', 'bea']
    const users = []
    for (const [i, n] of names.entries()) users.push(await rawUser(s, n, i))
    await until(() => s.ctx.presence.roster.size === names.length, 3_000, 'all online')
    const me = users[0]!
    // Its login page came first, when it was alone.
    expect((await me.peer.next('USER_LIST')).payload).toMatchObject({ total: 1 })
    const got: string[][] = []
    let after: string | undefined
    do {
      me.peer.send({
        type: 'LIST',
        from: me.id,
        to: s.serverId(),
        ts: Date.now(),
        payload: { limit: 2, after },
      })
      const page = await me.peer.next('USER_LIST')
      expect(page.payload.total).toBe(names.length)
      got.push((page.payload.users as { username: string }[]).map((u) => u.username))
      after = page.payload.next as string | undefined
    } while (after !== undefined)
    expect(got).toEqual([['bea', 'ida'], ['ned', 'ola'], ['pat']])
    // The page a login gets: everyone fits, so it is the whole list and has no cursor.
    const late = await rawUser(s, 'zoe', 5)
    const login = await late.peer.next('USER_LIST')
    expect((login.payload.users as { username: string }[]).map((u) => u.username)).toContain('pat')
    expect(login.payload.next).toBeUndefined()
    // A contacts-mode login is pushed no page: the next frame after its ACK answers its own LOOKUP.
    const quiet = await rawUser(s, 'una', 6, 'contacts')
    quiet.peer.send({
      type: 'LOOKUP',
      from: quiet.id,
      to: s.serverId(),
      ts: Date.now(),
      payload: { user: 'pat' },
    })
    expect((await quiet.peer.next()).type).toBe('USER_INFO')
    expect(quiet.peer.frames.map((f) => f.type)).not.toContain('USER_LIST')
  })
})
