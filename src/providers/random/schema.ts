import { z } from 'zod';

export const ALPHABETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  /** Letters, digits and symbols that need no quoting in shells, URLs or YAML. */
  'url-safe': 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
} as const;

/** Options of the `random` provider: a locally generated secret, rotated fully automatically. */
export const RandomProviderOptions = z.strictObject({
  type: z.literal('random'),
  /** Number of characters drawn from the alphabet (before encoding). Default: 32. */
  length: z.int().min(16).max(4096).default(32),
  /** Which characters to draw from. Default: alphanumeric. */
  alphabet: z.enum(Object.keys(ALPHABETS) as [keyof typeof ALPHABETS]).default('alphanumeric'),
  /** How the drawn string is stored: as is, or base64 of it. Default: raw. */
  encoding: z.enum(['raw', 'base64']).default('raw'),
});
export type RandomProviderOptions = z.infer<typeof RandomProviderOptions>;
