/** @module The JSON-valued columns (users.kdf, users.meta): written from typed values, checked on read. */
import { z } from 'zod'

/** The client's scrypt parameters (docs/wire.md §1), stored so a login challenge can repeat them. */
export const KdfParamsSchema = z.object({
  name: z.literal('scrypt'),
  salt: z.string(),
  N: z.number().int().positive(),
  r: z.number().int().positive(),
  p: z.number().int().positive(),
})
export type KdfParams = z.infer<typeof KdfParamsSchema>

/** Decorative user metadata (spec §15.1 `meta`); routing and crypto never read it. */
export const UserMetaSchema = z.record(z.string(), z.unknown())
export type UserMeta = z.infer<typeof UserMetaSchema>

/**
 * Parses a JSON column. A row that fails its schema means the file was edited or corrupted
 * outside this code, so it throws rather than guessing.
 */
export function readJson<T>(schema: z.ZodType<T>, text: string, column: string): T {
  const parsed = schema.safeParse(JSON.parse(text))
  if (!parsed.success) throw new Error(`stored ${column} does not match its schema`)
  return parsed.data
}
