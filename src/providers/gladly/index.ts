import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import type { StoredCredential } from '../../stores/types.js';
import { checkTokenShape, isoDay, refusedUnless } from '../submission.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { GladlyApi, gladlyHost, sameOrigin } from '../../vendors/gladly.js';
import { GladlyProviderOptions } from './schema.js';

const TOKENS_PAGE = 'Settings → App Developer Tools → API Tokens';

function createGladlyProvider(options: GladlyProviderOptions, deps: AdapterDeps): Provider {
  const api = new GladlyApi(options, deps.clock);
  const host = gladlyHost(options);
  const where = `${options.organization} (${options.environment})`;

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
      obtain: `ask a person to create an API token for ${options.email} in Gladly ${where} (${TOKENS_PAGE}), then take it from rotad submit`,
      verify: `GET /api/v1/organization as ${options.email}; gladlyUrl must be ${host}`,
      revoke: `ask a person to delete the old token in ${TOKENS_PAGE}, then poll until Gladly rejects it (401/403)`,
    },
    assisted: {
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
        await refusedUnless(() => verify({ value }, ctx.signal), `check that it was created while signed in as ${options.email} in ${host}`);
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
    },
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
