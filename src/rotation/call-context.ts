import type { ConsumerContext } from '../consumers/types.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderContext } from '../providers/types.js';
import type { PolicyRuntime } from './context.js';

type PolicyParts = Pick<PolicyRuntime, 'name' | 'clock' | 'logger'> & Partial<Pick<PolicyRuntime, 'holdLease'>>;

/** What every provider call gets, built only here: the policy, the rotation it serves, how to log, wait and stop. */
export function providerContext(policy: PolicyParts, rotationId: string, signal: AbortSignal, logger: Logger = policy.logger): ProviderContext {
  return { policy: policy.name, rotationId, logger, clock: policy.clock, signal, keepLease: policy.holdLease };
}

/** What every consumer call gets, built only here: a provider's context plus the policy's peers and the facts it stores beside its secret. */
export function consumerContext(
  policy: PolicyParts & Pick<PolicyRuntime, 'peers' | 'ref' | 'audit'>,
  rotationId: string,
  signal: AbortSignal,
  logger: Logger = policy.logger,
): ConsumerContext {
  const { audit } = policy;
  return {
    ...providerContext(policy, rotationId, signal, logger),
    peers: policy.peers,
    facts: policy.ref.facts,
    fingerprint: audit && ((value) => audit.fingerprint(value)),
  };
}
