import type { CredentialIndex } from '../credential-index.js';
import type { FleetSnapshots } from '../control/fleet-snapshots.js';
import type { ResolvedConfig } from '../config/normalize.js';
import type { AuditTrail } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Runtime } from '../wiring/runtime.js';

/** What the API needs from the running daemon: its current config and adapters (they change on reload), and a way to wake it. */
export interface ControlPort {
  config(): ResolvedConfig;
  runtime(): Runtime;
  /** The daemon looks at every policy now, `first` before the others: requests, handed-over tokens and rollback notices are served. */
  wake(first?: readonly string[]): void;
  audit: AuditTrail;
  /** Where each credential is by fingerprint, as the daemon last read the policies (leak reports look here first). */
  credentials?: CredentialIndex | undefined;
  /** The latest read of each policy (the dashboard's fleet page sorts and counts from it). */
  fleet?: FleetSnapshots | undefined;
  logger: Logger;
}
