/**
 * @module Identity attacks (issue 5): acting for a user without logging in, sending as someone
 * else, a `sender_pub` that is not the directory key, and a second login stealing a session.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { b64uEncode, signPayload } from '../../src/crypto/index.ts'
import { CLOSE_LOGGED_IN_ELSEWHERE } from '../../src/protocol/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server } from '../helpers/servers.ts'
import { PASSWORD, user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import {
  ATTACKER_KEY,
  count,
  dm,
  fileFrames,
  nothing,
  type Party,
  publicFrame,
  rawLogin,
  rawUser,
  signed,
} from './_attack.ts'

const bound = (s: ServerHandle) =>
  [...s.ctx.peers.links].filter((l) => l.user?.login.state.stage === 'bound').length

/** alice is a real client Session; bob a raw user, so every frame the server hands him is visible. */
async function scene() {
  const s = await server()
  const alice = await user(s, 'alice', 0)
  const bob = await rawUser(s, 'bob', 1)
  const a: Party = { id: alice.userId!, key: await testKey(0) }
  return { s, alice, a, bob }
}

describe('identity', () => {
  test('a connection that has not logged in cannot act for a user, even holding their key', async () => {
    const { s, alice, a, bob } = await scene()
    const anon = await connect(s.url)
    const nonce = b64uEncode(crypto.getRandomValues(new Uint8Array(32)))
    const helloPayload = {
      client: 'x',
      pubkey: a.key.publicKey.spki,
      enc_pubkey: a.key.publicKey.spki,
      nonce,
    }
    const forged = [
      await signed(a.key, { type: 'USER_HELLO', from: a.id, to: s.serverId(), payload: helloPayload }),
      await dm(a, bob, 'forged DM'),
      await publicFrame(a, [bob], 'forged /all'),
      ...(await fileFrames(a, bob, new Uint8Array(10), { name: 'x.txt' })),
      await signed(a.key, { type: 'LIST', from: a.id, to: s.serverId(), payload: {} }),
    ]
    for (const f of forged) {
      anon.send(f)
      expect((await anon.next('ERROR')).payload.code).toBe('AUTH_FAILED')
    }
    await nothing(bob.peer, 'USER_DELIVER', 200)
    expect(count(bob.peer, 'MSG_PUBLIC_CHANNEL') + count(bob.peer, 'FILE_START')).toBe(0)
    expect([...s.ctx.presence.local.keys()].sort()).toEqual([a.id, bob.id].sort())
    expect(bound(s)).toBe(2)
    // The real alice is unaffected.
    await alice.tell(bob.id, 'the real one')
    expect((await bob.peer.next('USER_DELIVER')).payload.sender).toBe(a.id)
  })

  test('a logged-in user cannot send as another user', async () => {
    const { s, a, bob } = await scene()
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    // Even with alice's key in hand, `from` must be the user bound to this link.
    const forged = [
      await dm(a, bob, 'forged DM'),
      await publicFrame(a, [bob], 'forged /all'),
      ...(await fileFrames(a, bob, new Uint8Array(500), { name: 'x.txt' })),
    ]
    for (const f of forged) {
      mallory.peer.send(f)
      const e = await mallory.peer.next('ERROR')
      expect(e.payload).toMatchObject({ code: 'AUTH_FAILED', detail: 'from must be your own user id' })
    }
    await nothing(bob.peer, 'USER_DELIVER', 200)
    expect(count(bob.peer, 'MSG_PUBLIC_CHANNEL') + count(bob.peer, 'FILE_START')).toBe(0)
    // Mallory is still connected and can send as herself.
    mallory.peer.send(await dm(mallory, bob, 'as myself'))
    expect((await bob.peer.next('USER_DELIVER')).payload.sender).toBe(mallory.id)
  })

  test('a sender_pub that is not the directory key of from is INVALID_SIG, even if it verifies', async () => {
    const { s, alice, a, bob } = await scene()
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    const alicePub = a.key.publicKey.spki
    // Self-consistent frames: content signed by the key they carry. Only the directory can tell.
    const m = { id: mallory.id, key: mallory.key }
    const impostor = { id: mallory.id, key: a.key }
    // And honest content from mallory that only claims alice's key: a server that forwarded it
    // would hand recipients a sender_pub that is not the sender's.
    const [start] = await fileFrames(m, bob, new Uint8Array(100), { name: 'x' })
    const frames = [
      await dm(m, bob, 'claims alice key', { senderPub: alicePub, signer: a.key }),
      await dm(m, bob, 'signed by alice key', { signer: a.key }),
      await publicFrame(impostor, [bob], 'claims alice key'),
      (await fileFrames(impostor, bob, new Uint8Array(100), { name: 'x' }))[0]!,
      await dm(m, bob, 'mine, with her key attached', { senderPub: alicePub }),
      await publicFrame(m, [bob], 'mine, with her key attached', { senderPub: alicePub }),
      { ...start!, payload: { ...start!.payload, sender_pub: alicePub } },
    ]
    // fileFrames/publicFrame signed the envelope with alice's key but `from` is mallory: re-sign
    // the transport sig as mallory so only sender_pub/content_sig are wrong.
    for (const f of frames) {
      mallory.peer.send({ ...f, sig: await signPayload(mallory.key.privateKey, f.payload) })
      expect((await mallory.peer.next('ERROR')).payload.code).toBe('INVALID_SIG')
    }
    await nothing(bob.peer, 'USER_DELIVER', 200)
    expect(count(bob.peer, 'MSG_PUBLIC_CHANNEL') + count(bob.peer, 'FILE_START')).toBe(0)
    await alice.tell(bob.id, 'still works')
    expect((await bob.peer.next('USER_DELIVER')).payload.sender).toBe(a.id)
  })

  test('a second login that proves the key replaces the session; password alone does not', async () => {
    const [home, other] = await mesh(1)
    const alice = await user(home!, 'alice', 0)
    const bob = await user(home!, 'bob', 1)
    const a: Party = { id: alice.userId!, key: await testKey(0) }
    const firstLink = home!.ctx.presence.local.get(a.id)
    // The password alone (AUTH_OK, then a USER_HELLO not signed by alice's key) binds nothing.
    const guesser = await rawLogin(home!, 'alice', PASSWORD)
    expect(guesser.answer.type).toBe('AUTH_OK')
    const forged = await signed(await testKey(3), {
      type: 'USER_HELLO',
      from: a.id,
      to: home!.serverId(),
      payload: {
        client: 'thief',
        pubkey: a.key.publicKey.spki,
        enc_pubkey: a.key.publicKey.spki,
        nonce: guesser.answer.payload.nonce,
      },
    })
    guesser.peer.send(forged)
    expect((await guesser.peer.next('ERROR')).payload.code).toBe('INVALID_SIG')
    expect(home!.ctx.presence.local.get(a.id)).toBe(firstLink)
    // Whoever holds the password and the key is alice (a new laptop, or the old one frozen): the
    // newer login replaces the session, and the old one is told so and closed.
    const thief = await rawLogin(home!, 'alice', PASSWORD)
    expect(thief.answer.type).toBe('AUTH_OK')
    const hello = await signed(a.key, {
      type: 'USER_HELLO',
      from: a.id,
      to: home!.serverId(),
      payload: {
        client: 'thief',
        pubkey: a.key.publicKey.spki,
        enc_pubkey: a.key.publicKey.spki,
        nonce: thief.answer.payload.nonce,
      },
    })
    const closed = alice.next('closed')
    thief.peer.send(hello)
    expect((await thief.peer.next('ACK')).payload.msg_ref).toBe('USER_HELLO')
    expect((await closed).code).toBe(CLOSE_LOGGED_IN_ELSEWHERE)
    expect(home!.ctx.presence.local.get(a.id)).not.toBe(firstLink)
    // Traffic for alice now goes to the newer session only.
    thief.peer.send(await dm(a, { id: bob.userId!, key: await testKey(1) }, 'from the new session'))
    await bob.next('dm')
    // Elsewhere in the mesh the account does not exist to log into, and the id cannot be re-registered.
    const elsewhere = await rawLogin(other!, 'alice', PASSWORD)
    expect(elsewhere.answer.payload.code).toBe('AUTH_FAILED')
    const again = await connect(other!.url)
    const reg = await signed(a.key, {
      type: 'USER_REGISTER',
      from: a.id,
      to: '',
      payload: {
        username: `alice_${randomUUID().slice(0, 4)}`,
        pubkey: a.key.publicKey.spki,
        privkey_store: 'AAAA',
        kdf: { name: 'scrypt', salt: 'AAAAAAAAAAAAAAAAAAAAAA', N: 2 ** 15, r: 8, p: 1 },
        auth_key: 'AAAA',
      },
    })
    again.send(reg)
    expect((await again.next('ERROR')).payload.code).toBe('NAME_IN_USE')
    expect(other!.ctx.store.users.count()).toBe(0)
  })
})
