import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { registerSecretValue } from '../../secret.js';
import { postJson, secretFrom } from '../http-post.js';
import type { Notifier } from '../types.js';
import { teamsMessage } from './card.js';
import { TeamsNotifierOptions } from './schema.js';

/** Posts each event to a Teams Workflows webhook as an Adaptive Card (the Office 365 connectors it replaces are retired). */
function createTeamsNotifier(options: TeamsNotifierOptions): Notifier {
  const timeoutMs = durationMs(options.timeout);
  return {
    notify: async (event) => {
      const url = secretFrom(options.webhookUrlEnv, () => undefined, 'the Teams Workflows webhook URL');
      registerSecretValue(url);
      await postJson(url, teamsMessage(event), {}, timeoutMs);
    },
  };
}

export const teamsNotifier = {
  type: 'teams',
  schema: TeamsNotifierOptions,
  create: createTeamsNotifier,
  requiredEnv: (options) => [{ key: ['webhookUrlEnv'], name: options.webhookUrlEnv, what: 'the Teams Workflows webhook URL' }],
} satisfies AdapterDefinition<typeof TeamsNotifierOptions, Notifier>;
