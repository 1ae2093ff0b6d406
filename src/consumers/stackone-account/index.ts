import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { z } from 'zod';
import { basicAuth, call, callFor, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import { endpoint } from '../../http/dns-label.js';
import { sharedLimiter } from '../../http/rate-limit.js';
import { registerSecretValue } from '../../secret.js';
import type { Consumer } from '../types.js';
import { StackOneAccountConsumerOptions } from './schema.js';

const REQUESTS_PER_MINUTE = 1000;

/** The part of `GET /accounts/{id}` rotad reads. */
const Account = z.object({ status: z.string() });

function createStackOneAccountConsumer(options: StackOneAccountConsumerOptions, deps: AdapterDeps): Consumer {
  // StackOne allows 1,000 requests a minute per API key (PROVIDERS.md): one limit for every policy using the same key.
  const limiter = sharedLimiter(`stackone:${options.baseUrl}:${options.apiKeyEnv}`, REQUESTS_PER_MINUTE, 60_000, deps.clock);
  const target: ApiTarget = { name: 'StackOne', role: 'consumer', timeoutMs: durationMs(options.timeout), clock: deps.clock, limiter };
  const path = `/accounts/${encodeURIComponent(options.accountId)}`;
  /** StackOne: Basic auth with the API key as username and an empty password. */
  const authHeaders = (): Record<string, string> => {
    const apiKey = process.env[options.apiKeyEnv];
    if (!apiKey) throw new RotadError('CONSUMER_FAILED', `environment variable ${options.apiKeyEnv} (the StackOne API key) is not set`);
    registerSecretValue(apiKey);
    return { authorization: basicAuth(apiKey, '') };
  };
  return {
    label: `stackone-account ${options.accountId}`,
    async check() {
      const read: ApiRequest = { method: 'GET', url: endpoint(options.baseUrl, path), headers: authHeaders() };
      const {
        body: { status },
      } = await callFor(target, read, Account, 'status');
      return `account ${options.accountId} readable with the API key, status ${status}`;
    },
    async update(ctx, credential) {
      const headers = authHeaders();
      const patch: ApiRequest = {
        method: 'PATCH',
        url: endpoint(options.baseUrl, path),
        headers,
        body: { credentials: { ...options.credentials, [options.secretField]: credential.value.reveal() } },
      };
      await call(target, patch, ctx.signal);
      const read: ApiRequest = { method: 'GET', url: endpoint(options.baseUrl, path), headers };
      const {
        body: { status },
      } = await callFor(target, read, Account, 'status', ctx.signal);
      if (status !== 'active') {
        throw new RotadError(
          'CONSUMER_FAILED',
          `StackOne account ${options.accountId} is ${status} after the update, not active: StackOne could not use the new credential`,
          { retryable: true },
        );
      }
      ctx.logger.info({ account: options.accountId }, 'StackOne account updated and active');
    },
  };
}

export const stackOneAccountConsumer = {
  type: 'stackone-account',
  schema: StackOneAccountConsumerOptions,
  create: createStackOneAccountConsumer,
  requiredEnv: (options) => [{ key: ['apiKeyEnv'], name: options.apiKeyEnv, what: 'the StackOne API key' }],
} satisfies AdapterDefinition<typeof StackOneAccountConsumerOptions, Consumer>;
