/** @module render: the stable output lines and the --json form, sanitised. */

import { describe, expect, test } from 'bun:test'
import { type ClientEvent, renderJson, renderLine, renderText } from '../../src/client/render.ts'

const A = '11111111-1111-4111-8111-111111111111'
const B = '22222222-2222-4222-8222-222222222222'
const F = '33333333-3333-4333-8333-333333333333'

describe('renderText: stable lines', () => {
  test.each<[ClientEvent, string]>([
    [{ type: 'registered', username: 'alice', userId: A }, `[REGISTERED] alice ${A}`],
    [{ type: 'login', username: 'alice', userId: A }, `[LOGIN SUCCESS] alice ${A}`],
    [
      {
        type: 'list',
        users: [
          { userId: A, username: 'alice', serverId: F },
          { userId: B, username: 'bob', serverId: F },
        ],
      },
      'Online users: alice, bob',
    ],
    [{ type: 'list', users: [] }, 'Online users: '],
    [{ type: 'dm', from: B, fromName: 'bob', text: 'hi there', ts: 1 }, 'DM from bob: hi there'],
    [{ type: 'public', from: B, fromName: 'bob', text: 'hello all', ts: 1 }, '[Public] bob: hello all'],
    [
      {
        type: 'file',
        from: B,
        fromName: 'bob',
        fileId: F,
        path: `/tmp/received_${F}`,
        name: 'a.txt',
        size: 3,
      },
      `[FILE] saved /tmp/received_${F}`,
    ],
    [
      { type: 'error', code: 'AUTH_FAILED', detail: 'invalid username or password' },
      '[ERROR] AUTH_FAILED: invalid username or password',
    ],
    [
      {
        type: 'file-failed',
        fileId: F,
        peer: B,
        peerName: 'bob',
        direction: 'in',
        reason: 'sha256 does not match',
      },
      `[FILE FAILED] ${F} from bob: sha256 does not match`,
    ],
    [{ type: 'presence', online: true, userId: B, username: 'bob' }, '[ONLINE] bob'],
    [{ type: 'presence', online: false, userId: B, username: 'bob' }, '[OFFLINE] bob'],
    [
      { type: 'fingerprint', username: 'bob', userId: B, fingerprint: 'ab12:cd34' },
      '[FINGERPRINT] bob ab12:cd34',
    ],
  ])('%j', (event, line) => {
    expect(renderText(event)?.text).toBe(line)
  })

  test('key change is a loud warning naming both fingerprints', () => {
    const r = renderText({
      type: 'key-changed',
      userId: B,
      username: 'bob',
      old: 'aaaa',
      new: 'bbbb',
      verified: false,
    })
    expect(r?.level).toBe('warn')
    expect(r?.text).toContain('[KEY CHANGED] bob')
    expect(r?.text).toContain('aaaa')
    expect(r?.text).toContain('bbbb')
    expect(r?.text).toContain('refused')
  })

  test('progress prints nothing', () => {
    const e: ClientEvent = {
      type: 'file-progress',
      fileId: F,
      direction: 'in',
      peer: B,
      peerName: 'bob',
      done: 1,
      total: 2,
    }
    expect(renderText(e)).toBeNull()
    expect(renderJson(e)).toBeNull()
  })

  test('names and messages from other users are neutralised', () => {
    const e: ClientEvent = {
      type: 'dm',
      from: B,
      fromName: 'bo\x1b[2Jb',
      text: 'hi\n[LOGIN SUCCESS] x\u202e',
      ts: 1,
    }
    expect(renderText(e)?.text).toBe('DM from bob: hi[LOGIN SUCCESS] x')
    const list: ClientEvent = { type: 'list', users: [{ userId: B, username: '\x9b2Jeve', serverId: F }] }
    expect(renderText(list)?.text).toBe('Online users: eve')
  })
})

describe('renderJson', () => {
  test('one object per line with an event field', () => {
    const line = renderJson({ type: 'dm', from: B, fromName: 'bob', text: 'hi', ts: 5 })
    expect(line).not.toContain('\n')
    expect(JSON.parse(line!)).toEqual({ event: 'dm', from: B, fromName: 'bob', text: 'hi', ts: 5 })
  })

  test('strings are sanitised in JSON too', () => {
    const line = renderJson({
      type: 'public',
      from: B,
      fromName: 'b\u202eob',
      text: '\x1b]52;c;AA==\x07x',
      ts: 5,
    })
    expect(JSON.parse(line!)).toMatchObject({ fromName: 'bob', text: 'x' })
  })

  test('renderLine picks the mode', () => {
    const e: ClientEvent = { type: 'login', username: 'alice', userId: A }
    expect(renderLine(e, false)).toBe(`[LOGIN SUCCESS] alice ${A}`)
    expect(JSON.parse(renderLine(e, true)!)).toEqual({ event: 'login', username: 'alice', userId: A })
  })
})
