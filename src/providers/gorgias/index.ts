import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { z } from 'zod';
import { basicAuth, callFor, isRefused, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { sharedLimiter } from '../../http/rate-limit.js';
import type { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import { endpoint } from '../../http/dns-label.js';
import { checkTokenShape, refusedUnless } from '../submission.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { GorgiasProviderOptions } from './schema.js';

/** Gorgias's leaky bucket for API keys: 40 requests per 20 seconds (rotad keeps a margin for network jitter). */
const BUCKET = { limit: 40, windowMs: 21_000 };
const KEYS_PAGE = 'Settings → REST API';
/** The part of `GET /api/account` rotad reads. */
const Account = z.object({ domain: z.string() });

function createGorgiasProvider(options: GorgiasProviderOptions, deps: AdapterDeps): Provider {
  const base = options.baseUrl ?? `https://${options.domain.toLowerCase()}.gorgias.com`;
  const host = `https://${options.domain.toLowerCase()}.gorgias.com`;
  const users = options.strategy === 'single-user' ? [options.email!] : options.users!;
  const target: ApiTarget = {
    name: 'Gorgias',
    role: 'provider',
    timeoutMs: durationMs(options.timeout),
    clock: deps.clock,
    limiter: sharedLimiter(`gorgias:${base}`, BUCKET.limit, BUCKET.windowMs, deps.clock),
  };
  const accountRequest = (email: string, key: Secret): ApiRequest => ({
    method: 'GET',
    url: endpoint(base, '/api/account'),
    headers: { authorization: basicAuth(email, key.reveal()) },
  });

  /** The user whose key this rotation resets: the one not in use (alternating), else the only one. */
  const nextUser = (current: StoredCredential | undefined): string => {
    if (users.length === 1 || current?.id === undefined) return users[0]!;
    return users.find((u) => u.toLowerCase() !== current.id!.toLowerCase()) ?? users[0]!;
  };
  const userOf = (credential: StoredCredential): string => credential.id ?? users[0]!;

  const verify = async (email: string, key: Secret, signal: AbortSignal): Promise<void> => {
    const request = accountRequest(email, key);
    const {
      body: { domain },
    } = await callFor(target, request, Account, 'domain', signal);
    if (domain.toLowerCase() !== options.domain.toLowerCase()) {
      throw new RotadError('VERIFY_FAILED', `the key belongs to Gorgias account ${domain}, not ${options.domain}`);
    }
  };

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
    assisted: {
      createRequest: (ctx, current) => {
        const user = nextUser(current);
        return {
          summary: `Reset the Gorgias REST API key of ${user} for policy ${ctx.policy} (${options.domain}).`,
          account: user,
          url: host,
          steps: [`Sign in to ${host} as ${user}.`, `Open ${KEYS_PAGE}.`, 'Reset the API key and copy the new key.'],
          warning: single
            ? `Resetting invalidates the key in use at once: every consumer of ${ctx.policy} fails until the new key is handed over. Run rotad submit ${ctx.policy} right after the reset; rotad pushes the key to every consumer the moment it arrives.`
            : undefined,
        };
      },
      accept: async (ctx, value, current) => {
        checkTokenShape(value, current);
        const user = nextUser(current);
        await refusedUnless(() => verify(user, value, ctx.signal), `check that it is the key of ${user} in ${host}`);
        ctx.logger.info({ user }, 'Handed-over Gorgias key verified');
        return { value, id: user };
      },
      deleteRequest: (_ctx, old) => ({
        summary: `Invalidate the old Gorgias API key of ${userOf(old)} (${options.domain}); every consumer uses ${single ? 'the new key' : 'the other user'} now.`,
        account: userOf(old),
        url: host,
        steps: [
          `Sign in to ${host} as ${userOf(old)}.`,
          `Open ${KEYS_PAGE}.`,
          'Reset the API key and discard the new key (do not hand it over): resetting is how Gorgias invalidates the old one.',
        ],
      }),
    },
    verify: (ctx, credential) => verify(userOf(credential), credential.value, ctx.signal),
    isRejected: (ctx, credential) => isRefused(target, accountRequest(userOf(credential), credential.value), [401], ctx.signal),
  };
}

export const gorgiasProvider = {
  type: 'gorgias',
  /** A person creates its tokens (the engine asks for them early enough before an expiry). */
  assisted: true,
  schema: GorgiasProviderOptions,
  create: createGorgiasProvider,
} satisfies ProviderDefinition<typeof GorgiasProviderOptions>;
