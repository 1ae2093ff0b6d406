import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { parseRetryAfter } from '../../http/retry-after.js';
import type { Consumer } from '../types.js';
import { factFields } from '../../stores/types.js';
import { HttpConsumerOptions } from './schema.js';

function createHttpConsumer(options: HttpConsumerOptions): Consumer {
  const timeoutMs = durationMs(options.timeout);
  const target = new URL(options.url);
  const shown = `${target.origin}${target.pathname}`; // never the query string: it may carry a token
  return {
    label: `http ${options.method} ${shown}`,
    async check() {
      // Reachable, and the configured headers are not refused: any answer but 401/403 (a HEAD
      // may well be 404 or 405 where only the configured method is served); nothing is sent.
      let response: Response;
      try {
        response = await fetch(options.url, { method: 'HEAD', headers: options.headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'connection failed';
        throw new RotadError('CONSUMER_FAILED', `HEAD ${shown}: ${reason}`, { retryable: true });
      }
      if (response.status === 401 || response.status === 403)
        throw new RotadError('CONSUMER_FAILED', `HEAD ${shown} answered ${response.status}: the configured headers are refused`);
      return `${shown} reachable (HEAD answered ${response.status})`;
    },
    async update(ctx, credential) {
      const body = {
        policy: ctx.policy,
        rotationId: ctx.rotationId,
        credentialId: credential.id,
        // The facts the policy stores beside the secret (`secret.fields`), under the same names.
        ...(ctx.facts === undefined ? {} : { fields: factFields({ name: ctx.policy, facts: ctx.facts }, credential) }),
        ...(options.includeSecret ? { secret: credential.value.reveal() } : {}),
      };
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: options.method,
          headers: { 'content-type': 'application/json', ...options.headers },
          ...(options.method === 'GET' ? {} : { body: JSON.stringify(body) }),
          // Its own timeout, or the step's signal: it aborts when the lease on the policy is lost.
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ctx.signal]),
        });
      } catch (error) {
        const reason = ctx.signal.aborted
          ? 'stopped: this rotad no longer holds the policy'
          : error instanceof Error && error.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : 'connection failed';
        throw new RotadError('CONSUMER_FAILED', `${options.method} ${shown}: ${reason}`, { retryable: true });
      }
      await response.body?.cancel();
      if (response.ok) return;
      const retryable = response.status === 429 || response.status >= 500;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), ctx.clock.now());
      throw new RotadError('CONSUMER_FAILED', `${options.method} ${shown} answered ${response.status}`, { retryable, retryAfterMs });
    },
  };
}

export const httpConsumer = {
  type: 'http',
  schema: HttpConsumerOptions,
  create: createHttpConsumer,
} satisfies AdapterDefinition<typeof HttpConsumerOptions, Consumer>;
