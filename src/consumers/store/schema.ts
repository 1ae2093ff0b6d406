import { z } from 'zod';

/** Options of the `store` consumer: copies each new credential into a second store. */
export const StoreConsumerOptions = z.strictObject({
  type: z.literal('store'),
  /** A store defined under `stores:` (not the policy's own). */
  store: z.string().min(1),
  /** Vault: KV path; AWS: secret name. Default: that store's `{policy}` template. */
  path: z.string().min(1).optional(),
  /** JSON field; other fields are kept. Default: that store's. */
  field: z.string().min(1).optional(),
});
export type StoreConsumerOptions = z.infer<typeof StoreConsumerOptions>;
