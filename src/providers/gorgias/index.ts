import type { AdapterDeps } from '../../adapters/definition.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { GorgiasApi } from './api.js';
import { gorgiasPersonSteps, gorgiasUsers, KEYS_PAGE, userOf } from './person.js';
import { GorgiasProviderOptions } from './schema.js';

function createGorgiasProvider(options: GorgiasProviderOptions, deps: AdapterDeps): Provider {
  const api = new GorgiasApi(options, deps.clock);
  const users = gorgiasUsers(options);
  const single = options.strategy === 'single-user';
  return {
    steps: {
      obtain: single
        ? `ask a person to reset the API key of ${users[0]} (${KEYS_PAGE}); consumers fail until it is handed over, then it is pushed at once`
        : `ask a person to reset the API key of whichever of ${users.join(' / ')} is not in use (${KEYS_PAGE})`,
      verify: `GET /api/account as the key's user; domain must be ${options.domain}`,
      revoke: single
        ? 'the reset already invalidated the old key: confirm Gorgias rejects it'
        : "ask a person to reset the old user's key again and discard it, then confirm Gorgias rejects the old key",
    },
    assisted: gorgiasPersonSteps(options, api),
    verify: (ctx, credential) => api.verify(userOf(users, credential), credential.value, ctx.signal),
    isRejected: (ctx, credential) => api.isRejected(userOf(users, credential), credential.value, ctx.signal),
  };
}

export const gorgiasProvider = {
  type: 'gorgias',
  /** A person creates its tokens (the engine asks for them early enough before an expiry). */
  assisted: true,
  schema: GorgiasProviderOptions,
  create: createGorgiasProvider,
} satisfies ProviderDefinition<typeof GorgiasProviderOptions>;
