import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';

/** What every adapter factory receives besides its own options. */
export interface AdapterDeps {
  logger: Logger;
  clock: Clock;
  /** Directory of the config file; relative paths in adapter options are resolved against it. */
  configDir: string;
}

/**
 * The anatomy shared by every adapter kind: `type` (= folder name = YAML `type:`), the zod schema
 * of its options (a strict object with a `type` literal), and a factory.
 */
export interface AdapterDefinition<Schema extends z.ZodType, Instance> {
  type: string;
  schema: Schema;
  create(options: z.infer<Schema>, deps: AdapterDeps): Instance;
  /** The environment variables these options need set (secrets named by `*Env` keys), checked at load. */
  requiredEnv?(options: z.infer<Schema>): RequiredEnv[];
  /**
   * Rules that need more of the config than these options (another policy, the stores), checked at
   * load with the config's own rules. Each problem names the key of these options it is about.
   */
  rules?(options: z.infer<Schema>, config: ConfigView): OptionProblem[];
}

/**
 * What an adapter's rules may see of the whole config: names and types, never the config's own
 * types (adapters do not depend on the config layer).
 */
export interface ConfigView {
  /** The policy these options belong to; its store as chosen (own, default, or the only one). */
  policy: { name: string; store: string | undefined; secretPath: string | undefined };
  policies: ReadonlyArray<{ name: string; providerType: string }>;
  stores: readonly string[];
}

/** A problem with one key of an adapter's options: `key` is its path inside them, e.g. ['auth', 'policy']. */
interface OptionProblem {
  key: (string | number)[];
  message: string;
}

/** "stores defined: a, b" or "no stores is defined": what a message about a missing name offers instead. */
export function namesDefined(kind: string, names: readonly string[]): string {
  return names.length > 0 ? `${kind} defined: ${names.join(', ')}` : `no ${kind} is defined`;
}

/** An environment variable an adapter's options name and need, with the key that names it. */
export interface RequiredEnv {
  /** The option's path inside the adapter's options, e.g. ['auth', 'tokenEnv']. */
  key: string[];
  name: string;
  /** What the variable holds, for the message: "the Vault token". */
  what: string;
}
