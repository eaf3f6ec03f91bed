/** @module The one table of RSA parameters every operation uses (PROTOCOL.md §3). */

import { constants } from 'node:crypto'

export const MODULUS_BITS = 4096
export const PUBLIC_EXPONENT = 65537n
/** RSA-OAEP-SHA-256 with a 4096-bit modulus: 512 − 2·32 − 2 bytes of plaintext per block. */
export const OAEP_MAX_PLAINTEXT = 446
export const RSA_BYTES = 512
/** PSS with the maximum salt for RSA-4096/SHA-256 (512 − 32 − 2), as Python `PSS.MAX_LENGTH`. */
export const PSS_MAX_SALT = 478

export const PSS_SIGN = { name: 'RSA-PSS', saltLength: PSS_MAX_SALT } as const
export const PSS_IMPORT = { name: 'RSA-PSS', hash: 'SHA-256' } as const
export const OAEP_IMPORT = { name: 'RSA-OAEP', hash: 'SHA-256' } as const
export const OAEP = { name: 'RSA-OAEP' } as const

/**
 * node:crypto verify options. Salt auto-detection accepts both the Python majority (max salt) and
 * WebCrypto peers (32-byte salt); PSS padding alone means a PKCS#1 v1.5 signature never verifies.
 */
export const PSS_VERIFY = {
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: constants.RSA_PSS_SALTLEN_AUTO,
} as const

export const OAEP_NODE = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const
