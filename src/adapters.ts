import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Logger } from './observability/logger.js';

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
}

/** An environment variable an adapter's options name and need, with the key that names it. */
export interface RequiredEnv {
  /** The option's path inside the adapter's options, e.g. ['auth', 'tokenEnv']. */
  key: string[];
  name: string;
  /** What the variable holds, for the message: "the Vault token". */
  what: string;
}
