import { randomUUID } from 'node:crypto';
import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { registerSecretValue } from '../../secret.js';
import { postJson, secretFrom } from '../http-post.js';
import type { Notifier, RotationEvent } from '../types.js';
import { WebhookNotifierOptions } from './schema.js';
import { sign } from './signature.js';

/** The documented JSON body (schema version 1); see readme.md. */
function webhookBody(event: RotationEvent, id: string): Record<string, unknown> {
  return {
    version: 1,
    id,
    type: event.type,
    policy: event.policy,
    rotationId: event.rotationId,
    phase: event.phase,
    code: event.code,
    message: event.message,
    at: new Date(event.at).toISOString(),
    expiresAt: event.expiresAt === undefined ? undefined : new Date(event.expiresAt).toISOString(),
    threshold: event.threshold,
    handoverUrl: event.handoverUrl,
    incident: event.incident,
  };
}

function createWebhookNotifier(options: WebhookNotifierOptions, deps: AdapterDeps): Notifier {
  const timeoutMs = durationMs(options.timeout);
  return {
    notify: async (event) => {
      const secret = secretFrom(options.secretEnv, () => undefined, 'the webhook signing secret');
      registerSecretValue(secret);
      const id = randomUUID();
      const body = JSON.stringify(webhookBody(event, id));
      const timestamp = Math.floor(deps.clock.now() / 1000);
      await postJson(
        options.url,
        body,
        {
          'x-rotad-event-id': id,
          'x-rotad-timestamp': String(timestamp),
          'x-rotad-signature': sign(secret, timestamp, body),
        },
        timeoutMs,
      );
    },
  };
}

export const webhookNotifier = {
  type: 'webhook',
  schema: WebhookNotifierOptions,
  create: createWebhookNotifier,
  requiredEnv: (options) => [{ key: ['secretEnv'], name: options.secretEnv, what: 'the HMAC signing secret of the webhook notifier' }],
} satisfies AdapterDefinition<typeof WebhookNotifierOptions, Notifier>;
