import type { StoredCredential } from '../../stores/types.js';
import { checkTokenShape, isoDay, refusedUnless } from '../submission.js';
import type { AssistedSteps } from '../types.js';
import type { GladlyProviderOptions } from './schema.js';

export const TOKENS_PAGE = 'Settings → App Developer Tools → API Tokens';

/** What the Gladly API user is asked to do, and how the token they hand over is checked (`verify`: the organization must be the configured one). */
export function gladlyPersonSteps(
  options: GladlyProviderOptions,
  host: string,
  verify: (credential: Pick<StoredCredential, 'value'>, signal: AbortSignal) => Promise<void>,
): AssistedSteps {
  const where = `${options.organization} (${options.environment})`;
  return {
    createRequest: (ctx) => ({
      summary: `Create a new Gladly API token for policy ${ctx.policy} (${where}).`,
      account: options.email,
      url: host,
      steps: [
        `Sign in to ${host} as ${options.email} (the API user; it needs the API User permission).`,
        `Open ${TOKENS_PAGE}.`,
        'Click Create Token. Do not delete the token in use: rotad asks for that once every consumer has the new one.',
        'Copy the new token (Gladly shows it only once).',
      ],
    }),
    accept: async (ctx, value, current) => {
      checkTokenShape(value, current);
      await refusedUnless(() => verify({ value }, ctx.signal), {
        provider: 'Gladly',
        question: `was it created while signed in as ${options.email} (in ${host})?`,
      });
      ctx.logger.info('Handed-over Gladly token verified');
      return { value };
    },
    deleteRequest: (_ctx, old, current) => ({
      summary: `Delete the Gladly API token of ${options.email} (${where}) that rotad no longer uses; every consumer has the one in use.`,
      account: options.email,
      url: host,
      steps: [
        `Sign in to ${host} as ${options.email}.`,
        `Open ${TOKENS_PAGE}.`,
        // Named by creation time, never "older"/"newer": after a rollback the token to delete is the newer one.
        `Delete the token created around ${isoDay(old.createdAt)}. Keep the token${current ? ` created around ${isoDay(current.createdAt)}` : ' in use'}: it is the one in use now; deleting it breaks every consumer.`,
      ],
    }),
  };
}
