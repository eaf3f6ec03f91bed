/**
 * @module The interactive client on a fake terminal: clack's injectable streams, with what a user
 * would see (escape sequences stripped) and what a terminal would act on (`raw`).
 */

import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { type RunClientOptions, runClient } from '../../src/client/index.ts'
import { tempDir, until } from './servers.ts'

// CSI and OSC sequences, so assertions read the text as a user would see it.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g

export type Terminal = ReturnType<typeof terminal>

export function terminal() {
  const input = new PassThrough()
  const output = new PassThrough()
  let raw = ''
  let text = ''
  output.on('data', (b: Buffer) => {
    raw += b.toString('utf8')
    text += b.toString('utf8').replace(ANSI, '')
  })
  return {
    input,
    output,
    screen: () => text,
    /** Every byte written, escape sequences included: what a terminal would act on. */
    raw: () => raw,
    type: (keys: string) => input.write(keys),
    waitFor: (re: RegExp, ms = 10_000) => until(() => re.test(text), ms, `screen to show ${re}`),
  }
}

/**
 * `socp client` on a fresh terminal, with its own downloads and data folders (and any other
 * option of the CLI's); `exit` is its code.
 */
export function interactiveClient(
  url: string,
  o: Partial<Omit<RunClientOptions, 'server' | 'input' | 'output' | 'interactive'>> = {},
): { t: Terminal; exit: Promise<number> } {
  const t = terminal()
  const exit = runClient({
    server: url,
    input: t.input,
    output: t.output,
    interactive: true,
    downloads: tempDir(),
    dataDir: join(tempDir(), 'data'),
    ...o,
  })
  return { t, exit }
}

/** From the welcome menu, as a user would: "Register a new account", a name, a password twice. */
export async function registerOnScreen(t: Terminal, username: string, password: string): Promise<void> {
  await t.waitFor(/What would you like to do/)
  t.type('\x1b[B') // down to "Register a new account"
  await Bun.sleep(100)
  t.type('\r')
  await t.waitFor(/Choose a username/)
  t.type(`${username}\r`)
  await t.waitFor(/Choose a password/)
  t.type(`${password}\r`)
  await t.waitFor(/Type it again/)
  t.type(`${password}\r`)
}
