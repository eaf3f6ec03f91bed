/** @module A throwaway private CA and server certificates made with `openssl`, for the TLS tests. */

import { writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'

/** Whether `openssl` is on PATH (TLS suites skip, saying so, when it is not). */
export const HAVE_OPENSSL = Bun.which('openssl') !== null

export type Ca = { dir: string; cert: string; key: string }
export type Issued = { cert: string; key: string }

function openssl(args: string[]): void {
  const r = Bun.spawnSync(['openssl', ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`)
}

// P-256 keys: generated in milliseconds, unlike RSA; the transport key has nothing to do with SOCP's.
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

/** A new CA in `dir`: `ca.pem` and `ca.key`. */
export function makeCa(dir: string, name = 'socp test CA'): Ca {
  const ca = { dir, cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') }
  openssl(['req', '-x509', ...EC, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`])
  return ca
}

/** A server certificate signed by `ca` for `names` (IP literals become IP SANs, the rest DNS SANs). */
export function issue(ca: Ca, file: string, names: string[]): Issued {
  const base = join(ca.dir, file)
  const out = { cert: `${base}.pem`, key: `${base}.key` }
  const ext = `${base}.ext`
  writeFileSync(ext, `subjectAltName=${names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\n`)
  openssl(['req', ...EC, '-keyout', out.key, '-out', `${base}.csr`, '-subj', `/CN=${names[0]}`])
  openssl(
    ['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'].concat([
      '-out',
      out.cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ]),
  )
  return out
}
