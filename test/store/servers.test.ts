import { describe, expect, test } from 'bun:test'
import type { PeerServer } from '../../src/store/index.ts'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

const peer: PeerServer = { serverId: 'srv-2', host: '10.0.0.2', port: 9000, pubkey: 'pub-2' }

describe('servers', () => {
  test('added, then unchanged', () => {
    const s = open().servers
    expect(s.pin(peer)).toBe('added')
    expect(s.pin(peer)).toBe('unchanged')
    expect(s.get('srv-2')).toMatchObject({ ...peer, lastSeen: null })
    expect(s.get('srv-2')?.pinnedAt).toBeGreaterThan(0)
  })

  test('the same key at a new address is a move and updates the address', () => {
    const s = open().servers
    s.pin(peer)
    expect(s.pin({ ...peer, host: '10.0.0.9', port: 9100 })).toBe('moved')
    expect(s.get('srv-2')).toMatchObject({ host: '10.0.0.9', port: 9100, pubkey: 'pub-2' })
  })

  test('TLS is sticky: a peer once seen at wss:// is never moved back to ws:// (docs/wire.md §9)', () => {
    const s = open().servers
    s.pin(peer)
    expect(s.get('srv-2')?.tls).toBe(false)
    expect(s.pin({ ...peer, tls: true })).toBe('moved')
    expect(s.get('srv-2')?.tls).toBe(true)
    // A replayed hello from before the peer had TLS: same key, no tls flag.
    expect(s.pin(peer)).toBe('unchanged')
    expect(s.pin({ ...peer, host: '10.0.0.9' })).toBe('moved')
    expect(s.get('srv-2')).toMatchObject({ host: '10.0.0.9', tls: true })
  })

  test('another key for a pinned id is rekey and changes nothing', () => {
    const s = open().servers
    s.pin(peer)
    expect(s.pin({ ...peer, host: 'evil', pubkey: 'pub-evil' })).toBe('rekey')
    expect(s.get('srv-2')).toMatchObject(peer)
  })

  test('touch records last_seen monotonically and ignores unknown ids', () => {
    const s = open().servers
    s.pin(peer)
    s.touch('srv-2', 2000)
    s.touch('srv-2', 1500)
    s.touch('srv-unknown', 3000)
    expect(s.get('srv-2')?.lastSeen).toBe(2000)
    expect(s.get('srv-unknown')).toBeNull()
  })

  test('all() lists every pin sorted by id, and pins survive a reopen', () => {
    const path = dbPath()
    const a = open(path)
    a.servers.pin({ ...peer, serverId: 'srv-3' })
    a.servers.pin(peer)
    a.close()
    expect(
      open(path)
        .servers.all()
        .map((p) => p.serverId),
    ).toEqual(['srv-2', 'srv-3'])
  })

  test('a pin from an incoming link is unconfirmed until confirmed; a move makes it a claim again', () => {
    const s = open().servers
    expect(s.pin({ ...peer, confirmed: false, admittedFrom: '10.0.0.7' })).toBe('added')
    expect(s.get('srv-2')).toMatchObject({ confirmed: false, admittedFrom: '10.0.0.7' })
    // The same claim again changes nothing; an address we dialed ourselves confirms it.
    expect(s.pin({ ...peer, confirmed: false })).toBe('unchanged')
    expect(s.get('srv-2')?.confirmed).toBe(false)
    expect(s.pin(peer)).toBe('unchanged')
    expect(s.get('srv-2')?.confirmed).toBe(true)
    // A new address announced by the server is only a claim.
    expect(s.pin({ ...peer, host: '10.0.0.9', confirmed: false })).toBe('moved')
    expect(s.get('srv-2')).toMatchObject({ host: '10.0.0.9', confirmed: false, admittedFrom: '10.0.0.7' })
    s.confirm('srv-2')
    expect(s.get('srv-2')?.confirmed).toBe(true)
  })

  test('byKey finds the one server a key belongs to; fromGroup lists admissions per address; forget removes', () => {
    const s = open().servers
    s.pin({ ...peer, admittedFrom: '10.0.0.7', confirmed: false })
    s.pin({ ...peer, serverId: 'srv-3', pubkey: 'pub-3', admittedFrom: '10.0.0.7', confirmed: false })
    s.pin({ ...peer, serverId: 'srv-4', pubkey: 'pub-4' })
    expect(s.byKey('pub-3')?.serverId).toBe('srv-3')
    expect(s.byKey('pub-none')).toBeNull()
    expect(s.fromGroup('10.0.0.7').map((p) => p.serverId)).toEqual(['srv-2', 'srv-3'])
    expect(s.fromGroup('10.0.0.8')).toEqual([])
    s.forget('srv-3')
    expect(s.get('srv-3')).toBeNull()
    expect(s.fromGroup('10.0.0.7')).toHaveLength(1)
  })
})
