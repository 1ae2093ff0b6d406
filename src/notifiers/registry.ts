import { emailNotifier } from './email/index.js';
import { logNotifier } from './log/index.js';
import { pagerdutyNotifier } from './pagerduty/index.js';
import { slackNotifier } from './slack/index.js';
import { teamsNotifier } from './teams/index.js';
import { webhookNotifier } from './webhook/index.js';

/** Every notifier type, by the `type:` that selects it in YAML (= its folder under notifiers/). */
export const notifierRegistry = {
  email: emailNotifier,
  log: logNotifier,
  pagerduty: pagerdutyNotifier,
  slack: slackNotifier,
  teams: teamsNotifier,
  webhook: webhookNotifier,
} as const;
