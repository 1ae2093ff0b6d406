import type { Labels } from '../labels.js';
import type { AssistTiming } from './ask-window.js';
import type { PolicyTiming } from './next-run.js';

/**
 * What the scheduler, the engine and the alerts read of a policy: its name, when it runs, how it
 * waits, whom it tells. No adapter's options: those stay with the config (ResolvedPolicy), which
 * extends this, and only the wiring reads them.
 */
export interface PolicySettings {
  name: string;
  timing: PolicyTiming;
  graceMs: number;
  /** The grace of an incident rotation (`incidentGrace`, default 0). */
  incidentGraceMs: number;
  /** `labels` merged over `defaults.labels`, for selectors. */
  labels: Labels;
  /** Pacing of requests to a person (assisted rotations). */
  assist: AssistTiming;
  rotateOnSignal: boolean;
  /** `suspend: true`: no rotation starts or goes on; alerts still run. */
  suspended: boolean;
  notify: string[];
  /** Notifiers that also get overdue and expired alerts. */
  escalate: string[];
  /** Expiry warning thresholds in ms, largest first, with their original text. */
  expiryWarnings: Array<{ ms: number; text: string }>;
  overdueAfterMs: number;
}
