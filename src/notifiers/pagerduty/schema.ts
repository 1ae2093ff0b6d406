import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { EnvName } from '../../env-name.js';
import { NotifierCommon } from '../common.js';

const Severity = z.enum(['critical', 'error', 'warning', 'info']);

/** Options of the `pagerduty` notifier: PagerDuty Events API v2 alerts that open when a person must act and resolve by themselves. */
export const PagerDutyNotifierOptions = z.strictObject({
  type: z.literal('pagerduty'),
  /** Environment variable holding the integration's routing key (32 characters; a secret). Default: PAGERDUTY_ROUTING_KEY. */
  routingKeyEnv: EnvName.default('PAGERDUTY_ROUTING_KEY'),
  /** The Events API v2 endpoint. Default: PagerDuty's (an EU account, a proxy: set it). */
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default('https://events.pagerduty.com/v2/enqueue'),
  /** The severity of each alert rotad opens. */
  severity: z
    .strictObject({
      'needs-attention': Severity.default('error'),
      'action-overdue': Severity.default('warning'),
      'rotation-overdue': Severity.default('warning'),
      'credential-expired': Severity.default('critical'),
    })
    .default({ 'needs-attention': 'error', 'action-overdue': 'warning', 'rotation-overdue': 'warning', 'credential-expired': 'critical' }),
  /** `payload.source` of every alert (PagerDuty groups by it). Default: rotad. */
  source: z.string().min(1).max(255).default('rotad'),
  /** Links on every alert; `{policy}` and `{code}` are filled in. */
  links: z
    .strictObject({
      /** e.g. https://rotad.internal.example.com/ui/policies/{policy} */
      dashboard: z.string().min(1).optional(),
      /** e.g. https://wiki.example.com/rotad-runbook#{code} */
      runbook: z.string().min(1).optional(),
    })
    .default({}),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
  ...NotifierCommon,
});
export type PagerDutyNotifierOptions = z.infer<typeof PagerDutyNotifierOptions>;
