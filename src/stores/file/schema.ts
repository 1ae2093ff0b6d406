import { z } from 'zod';
import { EnvName } from '../../env-name.js';

/** Where the file store's 256-bit key comes from: exactly one of `file` and `env`. */
const FileStoreKey = z
  .strictObject({
    /** Path of a file holding the key, base64 (44 chars) or hex (64 chars). Relative to the config file. */
    file: z.string().min(1).optional(),
    /** Name of an environment variable holding the key, base64 or hex. */
    env: EnvName.optional(),
    /**
     * With `file`: create a new random key (mode 0600) when neither the key file nor the store
     * exists yet. Never replaces a key. Default: false.
     */
    generate: z.boolean().default(false),
  })
  .refine((key) => (key.file === undefined) !== (key.env === undefined), { error: 'set exactly one of key.file and key.env' })
  .refine((key) => !(key.generate && key.env !== undefined), { error: 'key.generate works only with key.file' });

/** Options of the embedded `file` store: one AES-256-GCM encrypted JSON file. */
export const FileStoreOptions = z.strictObject({
  type: z.literal('file'),
  /** Path of the encrypted store file. Relative to the config file. */
  path: z.string().min(1),
  key: FileStoreKey,
});
export type FileStoreOptions = z.infer<typeof FileStoreOptions>;
