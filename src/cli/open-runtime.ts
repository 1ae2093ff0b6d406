import { newLeaseOwner } from '../rotation/lease.js';
import { systemClock } from '../clock.js';
import type { ResolvedConfig } from '../config/normalize.js';
import type { AuditTrail } from '../observability/audit.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { buildRuntime, type Runtime } from '../wiring/runtime.js';

/**
 * Builds the adapters for a one-shot command; the caller closes the runtime. With `audit` (the
 * daemon's trail, for its fingerprint key), what the command hands consumers is named as the
 * daemon names it.
 */
export function openRuntime(config: ResolvedConfig, logger: Logger = silentLogger(), audit?: AuditTrail): Runtime {
  return buildRuntime(config, { logger, clock: systemClock, owner: newLeaseOwner('cli'), audit });
}
