/**
 * @module The Outbox: one serializer, one signature per payload, and sending typed by frame type
 * (the `@ts-expect-error` lines fail `tsc` if a typo or a wrong payload ever compiles).
 */

import { expect, test } from 'bun:test'
import { decode } from '../../src/protocol/index.ts'
import { Outbox } from '../../src/server/outbox.ts'
import { testKey } from '../helpers/keys.ts'

async function outbox() {
  const kp = await testKey(0)
  const me = {
    serverId: crypto.randomUUID(),
    key: kp.privateKey,
    pubkey: kp.publicKey.spki,
    secret: new Uint8Array(32),
  }
  return { me, out: new Outbox(me) }
}

test('a frame is the exact envelope, decodes on a server link, and a repeated payload reuses its signature', async () => {
  const { me, out } = await outbox()
  const payload = { user_id: crypto.randomUUID(), server_id: me.serverId }
  const a = await out.frame('USER_REMOVE', '*', payload, { ts: 1 })
  const b = await out.frame('USER_REMOVE', '*', payload, { ts: 2 })
  expect(Object.keys(JSON.parse(a))).toEqual(['type', 'from', 'to', 'ts', 'payload', 'sig'])
  const d = decode(a, 'serverToServer')
  expect(d.ok && d.frame.type).toBe('USER_REMOVE')
  expect(JSON.parse(a).sig).toBe(JSON.parse(b).sig)
})

test('sending is typed by frame type', async () => {
  const { out } = await outbox()
  const sink = {
    sent: [] as string[],
    send(t: string) {
      this.sent.push(t)
    },
  }
  await out.send(sink, 'ACK', '', { msg_ref: 'x' })
  expect(sink.sent).toHaveLength(1)
  const never = async () => {
    // @ts-expect-error a typo in the frame type does not compile
    await out.send(sink, 'USER_ADVERTIZE', '*', {})
    // @ts-expect-error nor does a payload of the wrong shape
    await out.send(sink, 'USER_REMOVE', '*', { user_id: 'x' })
  }
  expect(typeof never).toBe('function')
})
