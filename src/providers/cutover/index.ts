import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { CutoverApi } from './api.js';
import { cutoverPersonSteps } from './person.js';
import { CutoverProviderOptions } from './schema.js';

function createCutoverProvider(options: CutoverProviderOptions, deps: AdapterDeps): Provider {
  const api = new CutoverApi(options, deps.clock);
  const { tokensPath } = api;
  return {
    steps: {
      obtain: `ask a person to create a user app token for ${options.userName} (Access Management → Users → User App Tokens), then take it from rotad submit`,
      verify: `GET ${tokensPath} with the new token; its id and expires_at come from that list`,
      revoke: `DELETE ${tokensPath}/{old id} with the new token, then confirm the old token gets 401`,
    },
    assisted: cutoverPersonSteps(options, api),
    verify: async (ctx, credential) => {
      const tokens = await api.listTokens(credential.value, ctx.signal);
      if (credential.id !== undefined && !tokens.some((t) => t.id === credential.id)) {
        throw new RotadError('VERIFY_FAILED', `token ${credential.id} is not among the user app tokens of user ${options.userId}`);
      }
    },
    revoke: async (ctx, old, current) => {
      if (old.id === undefined || current === undefined) return 'ask-person';
      await api.deleteToken(old.id, current.value, ctx.signal);
      ctx.logger.info({ credentialId: old.id }, 'Old Cutover token deleted');
      return undefined;
    },
    isRejected: (ctx, credential) => api.isRejected(credential.value, ctx.signal),
  };
}

export const cutoverProvider = {
  type: 'cutover',
  /** A person creates its tokens (the engine asks for them early enough before an expiry). */
  assisted: true,
  schema: CutoverProviderOptions,
  create: createCutoverProvider,
} satisfies ProviderDefinition<typeof CutoverProviderOptions>;
