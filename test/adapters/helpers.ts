import { systemClock } from '../../src/clock.js';
import { consumerRegistry } from '../../src/consumers/registry.js';
import type { Consumer, Peers } from '../../src/consumers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { providerRegistry } from '../../src/providers/registry.js';
import type { Provider } from '../../src/providers/types.js';
import { Secret } from '../../src/secret.js';
import type { StoredCredential } from '../../src/stores/types.js';

/** What the kits' calls share: adapter dependencies and a provider/consumer context. */
const deps = { logger: silentLogger(), clock: systemClock, configDir: '/' };
export const callContext = { policy: 'p', rotationId: 'r1', logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
/** The fault matrix's timeout: a held answer (1.2 s) outlasts it. */
export const MATRIX_TIMEOUT = '500ms';

export const credential = (value: string, id?: string): StoredCredential => ({ value: new Secret(value), rotationId: 'r1', createdAt: 0, id });

/** A provider built from its registered definition, options parsed as the config loader does. */
export function provider(options: Record<string, unknown>): Provider {
  const definition = providerRegistry[options.type as keyof typeof providerRegistry];
  return definition.create(definition.schema.parse(options) as never, deps);
}

export function consumer(options: Record<string, unknown>): Consumer {
  const definition = consumerRegistry[options.type as keyof typeof consumerRegistry];
  return definition.create(definition.schema.parse(options) as never, deps);
}

/** Peers for a consumer that reads another policy (gladly-webhook authenticates with the Gladly policy's token). */
export function peersWith(policy: Awaited<ReturnType<Peers['policy']>>): Peers {
  return {
    policy: async () => policy,
    store: () => {
      throw new Error('unused');
    },
  };
}
