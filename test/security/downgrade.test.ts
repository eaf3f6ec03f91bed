/**
 * @module Crypto downgrade (issue 5): keys other than RSA-4096/e=65537 at register, in
 * `sender_pub`, in USER_HELLO and in server keys; PKCS#1 v1.5 signatures over the right bytes.
 * All are refused, and nothing is stored.
 */

import { describe, expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import {
  b64uDecode,
  b64uEncode,
  canonicalBytes,
  dmPreimage,
  encrypt,
  newKdfParams,
  utf8,
} from '../../src/crypto/index.ts'
import weak from '../fixtures/weak-keys.json'
import { testKey } from '../helpers/keys.ts'
import { server } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { loadVectors } from '../helpers/vectors.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, dm, nothing, pkcs1v15, rawUser, rogueServer, signed } from './_attack.ts'

/** Every key PROTOCOL.md §3 says to refuse: 1024/2048/3072/8192 bits, e = 3, junk, truncated. */
async function badKeys(): Promise<[string, string][]> {
  const v = await loadVectors()
  return [...Object.entries(v.bad_keys_must_reject), ['rsa8192_spki', weak.rsa8192_spki]]
}

function registerPayload(pubkey: string) {
  const username = `u${randomUUID().slice(0, 8)}`
  return { username, pubkey, privkey_store: 'AAAA', kdf: newKdfParams(username), auth_key: 'AAAA' }
}

describe('crypto downgrade', () => {
  test('registering with a weak or malformed key is BAD_KEY, and nothing is stored', async () => {
    const s = await server()
    const signer = await testKey(ATTACKER_KEY)
    const keys = await badKeys()
    expect(keys.length).toBeGreaterThanOrEqual(7)
    for (const [name, pubkey] of keys) {
      const c = await connect(s.url)
      c.send(
        await signed(signer, {
          type: 'USER_REGISTER',
          from: randomUUID(),
          to: '',
          payload: registerPayload(pubkey),
        }),
      )
      const e = await c.next('ERROR')
      expect({ name, code: e.payload.code }).toEqual({ name, code: 'BAD_KEY' })
      c.close()
    }
    expect(s.ctx.store.users.count()).toBe(0)
    expect(s.ctx.store.directory.count()).toBe(0)
  })

  test('PKCS#1 v1.5 signatures over the right bytes are refused: register, USER_HELLO, content_sig', async () => {
    const s = await server()
    const k = await testKey(ATTACKER_KEY)
    // Register: a v1.5 proof of possession over canonical(payload).
    const c = await connect(s.url)
    const payload = { ...registerPayload(k.publicKey.spki), auth_key: b64uEncode(randomBytes(32)) }
    c.send({
      type: 'USER_REGISTER',
      from: randomUUID(),
      to: '',
      ts: Date.now(),
      payload,
      sig: pkcs1v15(k, canonicalBytes(payload)),
    })
    expect((await c.next('ERROR')).payload.code).toBe('INVALID_SIG')
    expect(s.ctx.store.users.count()).toBe(0)
    // USER_HELLO: a v1.5 signature over the nonce payload does not bind the link.
    c.send(await signed(k, { type: 'USER_REGISTER', from: randomUUID(), to: '', payload }))
    const ok = await c.next('AUTH_OK')
    const hello = {
      client: 'x',
      pubkey: k.publicKey.spki,
      enc_pubkey: k.publicKey.spki,
      nonce: ok.payload.nonce,
    }
    c.send({
      type: 'USER_HELLO',
      from: ok.payload.user_id,
      to: s.serverId(),
      ts: Date.now(),
      payload: hello,
      sig: pkcs1v15(k, canonicalBytes(hello)),
    })
    expect((await c.next('ERROR')).payload.code).toBe('INVALID_SIG')
    expect(s.ctx.presence.local.size).toBe(0)
    // content_sig: a v1.5 signature over ciphertext ‖ from ‖ to ‖ ts is not delivered.
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY + 1)
    const bob = await rawUser(s, 'bob', 1)
    const ts = Date.now()
    const ct = encrypt(bob.key.publicKey, utf8('downgraded'))
    const f = await dm(mallory, bob, 'x', { ts })
    const p = {
      ...f.payload,
      ciphertext: b64uEncode(ct),
      content_sig: pkcs1v15(mallory.key, dmPreimage(ct, mallory.id, bob.id, ts)),
    }
    mallory.peer.send(await signed(mallory.key, { ...f, payload: p }))
    expect((await mallory.peer.next('ERROR')).payload.code).toBe('INVALID_SIG')
    await nothing(bob.peer, 'USER_DELIVER', 200)
  })

  test('a weak sender_pub or USER_HELLO key is refused and nothing is delivered', async () => {
    const s = await server()
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    const bob = await rawUser(s, 'bob', 1)
    for (const [name, pubkey] of await badKeys()) {
      mallory.peer.send(await dm(mallory, bob, 'weak', { senderPub: pubkey }))
      const e = await mallory.peer.next('ERROR')
      expect({ name, ok: ['BAD_KEY', 'BAD_REQUEST'].includes(String(e.payload.code)) }).toEqual({
        name,
        ok: true,
      })
    }
    await nothing(bob.peer, 'USER_DELIVER', 200)
    // After a login, USER_HELLO with a weak key (not the registered one) does not bind.
    const k = await testKey(ATTACKER_KEY + 1)
    const c = await connect(s.url)
    c.send(
      await signed(k, {
        type: 'USER_REGISTER',
        from: randomUUID(),
        to: '',
        payload: registerPayload(k.publicKey.spki),
      }),
    )
    const ok = await c.next('AUTH_OK')
    const rsa2048 = (await loadVectors()).bad_keys_must_reject.rsa2048_spki!
    c.send(
      await signed(k, {
        type: 'USER_HELLO',
        from: String(ok.payload.user_id),
        to: s.serverId(),
        payload: { client: 'x', pubkey: rsa2048, enc_pubkey: rsa2048, nonce: ok.payload.nonce },
      }),
    )
    expect((await c.next('ERROR')).payload.code).toBe('BAD_KEY')
    expect(s.ctx.presence.local.has(String(ok.payload.user_id))).toBe(false)
  })

  test('server keys: weak keys in hellos, joins, announces and gossip are refused; v1.5 hellos too', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const k = await testKey(ATTACKER_KEY)
    const attempts = (await badKeys()).flatMap(([name, pubkey]) =>
      ['SERVER_HELLO_LINK', 'SERVER_HELLO_JOIN', 'SERVER_ANNOUNCE'].map(async (type) => {
        const c = await connect(s.url)
        const to = type === 'SERVER_HELLO_JOIN' ? `127.0.0.1:${s.port}` : s.serverId()
        c.send(
          await signed(k, { type, from: randomUUID(), to, payload: { host: '127.0.0.1', port: 9, pubkey } }),
        )
        return { name, type, c }
      }),
    )
    const sent = await Promise.all(attempts)
    await Bun.sleep(300)
    for (const { name, type, c } of sent) {
      // No WELCOME, no HELLO_LINK back, nothing at all.
      expect({ name, type, answers: c.frames.map((f) => f.type) }).toEqual({ name, type, answers: [] })
    }
    // A real RSA-4096 key, but the hello is signed with PKCS#1 v1.5.
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki }
    const v15 = await connect(s.url)
    v15.send({
      type: 'SERVER_HELLO_LINK',
      from: randomUUID(),
      to: s.serverId(),
      ts: Date.now(),
      payload: hello,
      sig: pkcs1v15(k, canonicalBytes(hello)),
    })
    await nothing(v15, 'SERVER_HELLO_LINK', 300)
    expect(s.ctx.peers.size).toBe(0)
    expect(s.ctx.store.servers.all()).toEqual([])
    // A linked server gossiping users with weak keys teaches us nothing.
    const rogue = await rogueServer(s)
    for (const [, pubkey] of await badKeys()) {
      const id = randomUUID()
      await rogue.send('USER_ADVERTISE', {
        user_id: id,
        server_id: rogue.id,
        pubkey,
        meta: { display_name: 'weakling' },
      })
      await rogue.send('DIRECTORY_ENTRY', {
        user_id: id,
        username: 'weakling',
        pubkey,
        server_id: rogue.id,
        created: 1,
      })
    }
    await Bun.sleep(300)
    expect(s.ctx.store.directory.byServer(rogue.id)).toEqual([])
    expect(s.ctx.presence.locations.size).toBe(0)
    expect(alice.userId).not.toBeNull()
    // Sanity: the vector's v1.5 signature really is a signature over those bytes, just not PSS.
    expect(b64uDecode((await loadVectors()).transport_sig[0]!.sig_pkcs1v15_must_reject).byteLength).toBe(512)
  })
})
