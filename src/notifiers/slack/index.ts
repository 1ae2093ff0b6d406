import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { registerSecretValue } from '../../secret.js';
import { postJson, secretFrom } from '../http-post.js';
import type { Notifier } from '../types.js';
import { slackMessage } from './message.js';
import { SlackNotifierOptions } from './schema.js';

function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const timeoutMs = durationMs(options.timeout);
  return {
    notify: async (event) => {
      const url = secretFrom(options.webhookUrlEnv, () => undefined, 'the Slack webhook URL');
      registerSecretValue(url);
      await postJson(url, slackMessage(event), {}, timeoutMs);
    },
  };
}

export const slackNotifier = {
  type: 'slack',
  schema: SlackNotifierOptions,
  create: createSlackNotifier,
  requiredEnv: (options) => [{ key: ['webhookUrlEnv'], name: options.webhookUrlEnv, what: 'the Slack incoming-webhook URL' }],
} satisfies AdapterDefinition<typeof SlackNotifierOptions, Notifier>;
