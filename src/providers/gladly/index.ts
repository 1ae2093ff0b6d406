import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { GladlyApi, gladlyHost, sameOrigin } from '../../vendors/gladly.js';
import { gladlyPersonSteps, TOKENS_PAGE } from './person.js';
import { GladlyProviderOptions } from './schema.js';

function createGladlyProvider(options: GladlyProviderOptions, deps: AdapterDeps): Provider {
  const api = new GladlyApi(options, deps.clock);
  const host = gladlyHost(options);

  /** Authenticated read, and the organization answering must be the configured one. */
  const verify = async (credential: Pick<StoredCredential, 'value'>, signal: AbortSignal): Promise<void> => {
    const answered = await api.organizationUrl(options.email, credential.value, signal);
    if (!sameOrigin(answered, host)) {
      throw new RotadError(
        'VERIFY_FAILED',
        `the token belongs to ${answered}, not ${host}: a token from another organization or environment (sandbox/production)`,
      );
    }
  };

  return {
    steps: {
      obtain: `ask a person to create an API token for ${options.email} in Gladly ${options.organization} (${options.environment}) (${TOKENS_PAGE}), then take it from rotad submit`,
      verify: `GET /api/v1/organization as ${options.email}; gladlyUrl must be ${host}`,
      revoke: `ask a person to delete the old token in ${TOKENS_PAGE}, then poll until Gladly rejects it (401/403)`,
    },
    assisted: gladlyPersonSteps(options, host, verify),
    verify: (ctx, credential) => verify(credential, ctx.signal),
    isRejected: (ctx, credential) => api.isRejected(options.email, credential.value, ctx.signal),
  };
}

export const gladlyProvider = {
  type: 'gladly',
  /** A person creates its tokens (the engine asks for them early enough before an expiry). */
  assisted: true,
  schema: GladlyProviderOptions,
  create: createGladlyProvider,
} satisfies ProviderDefinition<typeof GladlyProviderOptions>;
