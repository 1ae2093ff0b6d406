import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { z } from 'zod';
import { badShape, call, callFor } from '../../http/api-call.js';
import { RotadError } from '../../errors.js';
import { GladlyAccount, GladlyApi } from '../../vendors/gladly.js';
import type { Consumer, ConsumerContext } from '../types.js';
import { GladlyWebhookConsumerOptions } from './schema.js';

/** The part of `GET /api/v1/webhooks/{id}` rotad reads: Gladly never returns the secrets, only these flags. */
const Webhook = z.object({ hasCredentials: z.boolean().optional(), headerKeys: z.array(z.string()).optional() });

/** The Gladly API user to call as: the auth policy's email and current token. */
async function gladlyAuth(ctx: ConsumerContext, policy: string) {
  if (!ctx.peers) throw new RotadError('CONSUMER_FAILED', 'gladly-webhook needs the other policies of the config');
  const { credential, provider: options } = await ctx.peers.policy(policy);
  const parsed = GladlyAccount.extend({ type: z.literal('gladly') }).safeParse(options);
  if (!parsed.success) throw new RotadError('CONSUMER_FAILED', `auth.policy ${policy} is not a gladly policy`);
  const provider = parsed.data;
  if (!credential)
    throw new RotadError('CONSUMER_FAILED', `policy ${policy} has no current Gladly token yet; rotate it first (rotad rotate ${policy})`, { retryable: true });
  return { provider, credential };
}

function createGladlyWebhookConsumer(options: GladlyWebhookConsumerOptions, deps: AdapterDeps): Consumer {
  const path = `/webhooks/${encodeURIComponent(options.webhookId)}`;
  return {
    label: `gladly-webhook ${options.webhookId} (${options.set === 'password' ? 'basic-auth password' : `header ${options.header}`})`,
    async check(ctx) {
      const { provider, credential: auth } = await gladlyAuth(ctx, options.auth.policy);
      const api = new GladlyApi({ ...provider, baseUrl: options.baseUrl ?? provider.baseUrl }, deps.clock);
      await call(api.target('GET', 'consumer'), api.request('GET', path, provider.email, auth.value));
      return `webhook ${options.webhookId} readable as ${provider.email} (policy ${options.auth.policy})`;
    },
    async update(ctx, credential) {
      const { provider, credential: auth } = await gladlyAuth(ctx, options.auth.policy);
      const api = new GladlyApi({ ...provider, baseUrl: options.baseUrl ?? provider.baseUrl }, deps.clock);
      const patch =
        options.set === 'password'
          ? { credentials: { username: options.username!, password: credential.value.reveal() } }
          : { headers: { [options.header!]: credential.value.reveal() } };
      // Write-only fields: Gladly never returns them, so the write is confirmed by its 204 and the flags it reports.
      const patchRequest = api.request('PATCH', path, provider.email, auth.value, patch);
      const patched = await call(api.target('PATCH', 'consumer'), patchRequest, ctx.signal);
      if (patched.status !== 204 && patched.status !== 200)
        throw new RotadError('CONSUMER_FAILED', `Gladly PATCH ${path} answered ${patched.status}, expected 204`, { retryable: true });
      const readRequest = api.request('GET', path, provider.email, auth.value);
      const expected = options.set === 'password' ? 'hasCredentials: true' : `headerKeys containing ${options.header}`;
      const { body: hook } = await callFor(api.target('GET', 'consumer'), readRequest, Webhook, expected, ctx.signal);
      const confirmed =
        options.set === 'password' ? hook.hasCredentials === true : hook.headerKeys?.some((k) => k.toLowerCase() === options.header!.toLowerCase());
      if (!confirmed) throw badShape(api.target('GET', 'consumer'), readRequest, expected);
      ctx.logger.info({ webhook: options.webhookId }, 'Gladly webhook updated');
    },
  };
}

export const gladlyWebhookConsumer = {
  type: 'gladly-webhook',
  schema: GladlyWebhookConsumerOptions,
  create: createGladlyWebhookConsumer,
  rules: (options, config) => {
    const key = ['auth', 'policy'];
    const auth = config.policies.find((p) => p.name === options.auth.policy);
    if (!auth) return [{ key, message: `no policy named '${options.auth.policy}'` }];
    if (auth.providerType !== 'gladly')
      return [{ key, message: `policy '${auth.name}' has provider ${auth.providerType}; it must be a gladly policy (its token calls Gladly)` }];
    if (auth.name === config.policy.name) return [{ key, message: 'a policy cannot authenticate its own consumer' }];
    return [];
  },
} satisfies AdapterDefinition<typeof GladlyWebhookConsumerOptions, Consumer>;
