import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterDeps } from '../../src/adapters/definition.js';
import { systemClock } from '../../src/clock.js';
import { consumerRegistry } from '../../src/consumers/registry.js';
import type { Consumer, ConsumerContext } from '../../src/consumers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { providerRegistry } from '../../src/providers/registry.js';
import type { Provider, ProviderContext } from '../../src/providers/types.js';
import { runRotation } from '../../src/rotation/engine.js';
import { withCallSignal } from '../../src/call-signal.js';
import { storeRegistry } from '../../src/stores/registry.js';
import { Secret } from '../../src/secret.js';
import type { StoredCredential } from '../../src/stores/types.js';
import { MemoryStore, policyRuntime, FakeClock, type Call } from '../helpers/engine-doubles.js';
import { closeServer, listenLocal } from '../helpers/ports.js';

/** A server that takes every request and never answers: each call lasts until it is stopped. */
let hung: Server;
let base: string;
const deps: AdapterDeps = { logger: silentLogger(), clock: systemClock, configDir: '/' };
const credential: StoredCredential = { value: new Secret('abort-test-token-0123456789'), rotationId: 'r-0', createdAt: 0 };

beforeAll(async () => {
  hung = createServer(() => undefined);
  base = await listenLocal(hung);
});
afterAll(() => closeServer(hung));

/** How long `call` took to reject once `controller` aborted 100 ms in, and with what. */
async function stoppedAfterAbort(call: (signal: AbortSignal) => Promise<unknown>): Promise<{ ms: number; message: string }> {
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(new Error('lease lost')), 100);
  const error = await call(controller.signal).then(
    () => new Error('the call resolved'),
    (e: unknown) => e as Error,
  );
  return { ms: performance.now() - started, message: error.message };
}

const providerContext = (signal: AbortSignal): ProviderContext => ({ policy: 'p', rotationId: 'r-1', logger: silentLogger(), clock: systemClock, signal });

describe('a call in flight stops when its step loses the lease (the signal aborts), not at its own timeout', () => {
  it('a provider request (http provider, 10s timeout)', async () => {
    const definition = providerRegistry.http;
    const provider = definition.create(
      definition.schema.parse({ type: 'http', baseUrl: base, create: { url: '/t', response: { token: 't' } }, verify: { url: '/me' } }),
      deps,
    );
    const { ms, message } = await stoppedAfterAbort((signal) => provider.verify(providerContext(signal), credential));
    expect(message).toMatch(/no longer holds the policy/);
    expect(ms).toBeLessThan(2_000);
  });

  it('a consumer request (http consumer, 10s timeout)', async () => {
    const definition = consumerRegistry.http;
    const consumer = definition.create(definition.schema.parse({ type: 'http', url: `${base}/reload`, method: 'POST' }));
    const ctx = { ...providerContext(new AbortController().signal), peers: undefined, facts: undefined } as ConsumerContext;
    const { ms, message } = await stoppedAfterAbort((signal) => consumer.update({ ...ctx, signal }, credential));
    expect(message).toMatch(/no longer holds the policy/);
    expect(ms).toBeLessThan(2_000);
  });

  it('a consumer command (exec consumer, 30s timeout): killed', async () => {
    const definition = consumerRegistry.exec;
    const consumer = definition.create(
      definition.schema.parse({ type: 'exec', command: [process.execPath, '-e', 'setTimeout(() => {}, 30000)'] }),
      deps,
    ) as Consumer;
    const ctx = { ...providerContext(new AbortController().signal), peers: undefined, facts: undefined } as ConsumerContext;
    const { ms, message } = await stoppedAfterAbort((signal) => consumer.update({ ...ctx, signal }, credential));
    expect(message).toMatch(/was stopped: this rotad no longer holds the policy/);
    expect(ms).toBeLessThan(5_000);
  });

  it.each([
    ['vault', { type: 'vault', address: 'BASE', auth: { method: 'token', tokenEnv: 'ROTAD_TEST_ABORT_VAULT_TOKEN' }, timeout: '10s' }],
    ['aws-secrets-manager', { type: 'aws-secrets-manager', endpoint: 'BASE', region: 'us-east-1', maxAttempts: 1, timeout: '10s' }],
  ] as const)('a store request (%s, 10s timeout), given the step signal by the engine guard', async (type, raw) => {
    process.env.ROTAD_TEST_ABORT_VAULT_TOKEN = 'abort-test-vault-token';
    process.env.AWS_ACCESS_KEY_ID = 'abort-test';
    process.env.AWS_SECRET_ACCESS_KEY = 'abort-test-secret';
    const definition = storeRegistry[type];
    const store = definition.create(definition.schema.parse({ ...raw, [type === 'vault' ? 'address' : 'endpoint']: base }) as never, deps);
    const pending = { ...credential, rotationId: 'r-1' };
    const { ms, message } = await stoppedAfterAbort((signal) => withCallSignal(signal, () => store.stagePending({ name: 'p' }, pending)));
    expect(message).toMatch(/no longer holds the policy|abort/i);
    expect(ms).toBeLessThan(2_000);
    await store.close();
  });

  it('the engine: a provider call that outlives the lease is stopped when the lease runs out, and the run leaves the policy', async () => {
    const calls: Call[] = [];
    const store = new MemoryStore(calls);
    let verifySignal: AbortSignal | undefined;
    // A provider whose verify hangs until its signal aborts, as a request to a hung server does.
    const provider: Provider = {
      steps: { obtain: 'make', verify: 'hang', revoke: 'none' },
      obtain: async () => ({ value: new Secret('abort-test-new-credential-0123') }),
      verify: (ctx) =>
        new Promise((_resolve, reject) => {
          verifySignal = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
        }),
    };
    const runtime = {
      ...policyRuntime({ store, provider, clock: new FakeClock() }),
      clock: systemClock,
      leaseMs: 300,
      retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    };
    const started = performance.now();
    const outcome = await runRotation(runtime, 'cli', new AbortController().signal);
    expect(verifySignal?.aborted, 'the call was stopped').toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(outcome.status).not.toBe('completed');
    expect(store.current, 'nothing was promoted').toBeUndefined();
  });
});
