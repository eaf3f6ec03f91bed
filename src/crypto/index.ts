/** @module The crypto surface: the rest of the app imports only this file. */

export { OAEP_MAX_PLAINTEXT, RSA_BYTES } from './_params.ts'
export type { DmFields, FileEndFields, FileManifest } from './content.ts'
export {
  chunkDigest,
  dmPreimage,
  fileEndPreimage,
  fileStartPreimage,
  publicPreimage,
  signContent,
  verifyContent,
  verifyDm,
  verifyPublic,
} from './content.ts'
export type { JsonStyle } from './encoding.ts'
export {
  b64uDecode,
  b64uDecodeCanonical,
  b64uEncode,
  canonicalBytes,
  canonicalJson,
  concatBytes,
  fromUtf8,
  hasLoneSurrogate,
  utf8,
} from './encoding.ts'
export { decrypt, encrypt } from './encrypt.ts'
export type { DerivedKeys, KdfParams, KdfVerdict } from './keyblob.ts'
export {
  accountSalt,
  assertKdfParams,
  blobKdf,
  checkVerifier,
  DEFAULT_KDF,
  deriveKeys,
  fakeSalt,
  hashVerifier,
  judgeKdf,
  KDF_CAP,
  LEGACY_KDF_FLOOR,
  newKdfParams,
  openPrivateKey,
  sealPrivateKey,
} from './keyblob.ts'
export type { KeyPair, PrivateKey, PublicKey } from './keys.ts'
export { fingerprint, generateKeyPair, importPrivateKey, importPublicKey } from './keys.ts'
export { sign, signCanonical, signPayload, verify, verifyB64, verifyPayload } from './sign.ts'
