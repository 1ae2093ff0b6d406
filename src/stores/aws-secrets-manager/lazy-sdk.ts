import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { callSignal } from '../../call-signal.js';

type Sdk = typeof import('@aws-sdk/client-secrets-manager');

/** The client with every request taking the step's signal (call-signal.ts): a lost lease stops it. */
function withStepSignal(client: SecretsManagerClient): SecretsManagerClient {
  const send = client.send.bind(client) as (command: unknown, options?: object) => Promise<unknown>;
  (client as unknown as { send: typeof send }).send = (command, options) => send(command, { abortSignal: callSignal(), ...options });
  return client;
}

/**
 * The AWS SDK and one client, loaded at the first call: a daemon or command whose config uses no
 * Secrets Manager store never loads the SDK (some 16 MB of memory).
 */
export class LazySdk {
  readonly #config: SecretsManagerClientConfig;
  #loaded: Promise<{ sdk: Sdk; client: SecretsManagerClient }> | undefined;

  constructor(config: SecretsManagerClientConfig) {
    this.#config = config;
  }

  load(): Promise<{ sdk: Sdk; client: SecretsManagerClient }> {
    this.#loaded ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({ sdk, client: withStepSignal(new sdk.SecretsManagerClient(this.#config)) }));
    return this.#loaded;
  }

  async destroy(): Promise<void> {
    const loaded = this.#loaded;
    this.#loaded = undefined;
    if (loaded) (await loaded).client.destroy();
  }
}
