/**
 * @module TLS material: the server's certificate and key (`--tls-cert`, `--tls-key`) for Bun.serve,
 * and what an outgoing `wss://` connection trusts: the system store plus an optional private CA
 * (`--ca`), or nothing checked at all only when `--insecure-skip-verify` says so explicitly.
 */

import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { UsageError } from '../errors.ts'

/** PEM text for `Bun.serve({ tls })`. */
export type ServerTls = { cert: string; key: string }

/**
 * Options for `new WebSocket(url, { tls })`. `ca` replaces the default store in Bun (as in node:tls),
 * so a private CA is appended to the system roots, never given alone.
 */
export type ClientTls = { ca: string[] } | { rejectUnauthorized: false }

/** How outgoing connections check certificates; absent fields mean the system store only. */
export type TrustOptions = { caFile?: string | undefined; insecureSkipVerify?: boolean | undefined }

function readPem(file: string, flag: string, marker: RegExp): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!marker.test(text)) throw new UsageError(`${flag} ${file}: not a PEM file of the expected kind`)
  return text
}

/** Reads `--tls-cert` and `--tls-key` once at start. @throws UsageError when unreadable or not PEM. */
export function readServerTls(certFile: string, keyFile: string): ServerTls {
  return {
    cert: readPem(certFile, '--tls-cert', /-----BEGIN CERTIFICATE-----/),
    key: readPem(keyFile, '--tls-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
  }
}

/**
 * What outgoing `wss://` connections trust; `undefined` means Bun's default (the system store).
 * @throws UsageError when `--ca` is unreadable.
 */
export function clientTls(trust: TrustOptions): ClientTls | undefined {
  if (trust.insecureSkipVerify) return { rejectUnauthorized: false }
  if (!trust.caFile) return undefined
  return { ca: [...rootCertificates, readPem(trust.caFile, '--ca', /-----BEGIN CERTIFICATE-----/)] }
}

/** The warning printed whenever checks are off, so it can never be missed in a log. */
export const INSECURE_WARNING =
  'INSECURE: --insecure-skip-verify is set: certificates of wss:// servers are NOT checked; anyone on the path can read and change this traffic. For tests only.'
