import { z } from 'zod';
import { GladlyAccount } from '../../vendors/gladly.js';

/** Options of the `gladly` provider: the API token of one Gladly API user, rotated with a person's help. */
export const GladlyProviderOptions = z.strictObject({
  type: z.literal('gladly'),
  ...GladlyAccount.shape,
});
export type GladlyProviderOptions = z.infer<typeof GladlyProviderOptions>;
