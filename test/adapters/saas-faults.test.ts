import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { consumerRegistry } from '../../src/consumers/registry.js';
import type { Consumer, Peers } from '../../src/consumers/types.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { silentLogger } from '../../src/observability/logger.js';
import { providerRegistry } from '../../src/providers/registry.js';
import type { Provider } from '../../src/providers/types.js';
import { Secret } from '../../src/secret.js';
import type { StoredCredential } from '../../src/stores/types.js';
import { FakeClock } from '../helpers/engine-doubles.js';
import { ROOT } from '../helpers/paths.js';
import type { SaasServer } from '../servers/saas/base.js';
import { CutoverServer } from '../servers/saas/cutover.js';
import { GladlyServer } from '../servers/saas/gladly.js';
import { GorgiasServer } from '../servers/saas/gorgias.js';
import { StackOneServer } from '../servers/saas/stackone.js';

const deps = { logger: silentLogger(), clock: systemClock, configDir: '/' };
const ctx = { policy: 'p', rotationId: 'r1', logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
const credential = (value: string, id?: string): StoredCredential => ({ value: new Secret(value), rotationId: 'r1', createdAt: 0, id });

function provider(options: Record<string, unknown>): Provider {
  const definition = providerRegistry[options.type as keyof typeof providerRegistry];
  return definition.create(definition.schema.parse(options) as never, deps);
}
function consumer(options: Record<string, unknown>): Consumer {
  const definition = consumerRegistry[options.type as keyof typeof consumerRegistry];
  return definition.create(definition.schema.parse(options) as never, deps);
}

const gladly = new GladlyServer('acme');
const gorgias = new GorgiasServer('acme');
const cutover = new CutoverServer();
const stackone = new StackOneServer('stackone-matrix-key-33aa');

/** Each adapter's authenticated call against its server, with a credential that works. */
interface Case {
  name: string;
  server: () => SaasServer;
  call: () => Promise<unknown>;
}
let cases: Case[] = [];

beforeAll(async () => {
  await Promise.all([gladly.start(), gorgias.start(), cutover.start(), stackone.start()]);
  gladly.addUser('api@acme.test');
  const gladlyToken = gladly.createToken('api@acme.test').value;
  const gorgiasKey = gorgias.reset('ops@acme.test');
  const cutoverToken = cutover.createToken('9', 'matrix');
  stackone.accounts.set('acc-1', { id: 'acc-1', provider: 'gladly', credentials: {}, status: 'active' });
  gladly.webhooks.set('wh-1', { id: 'wh-1', url: 'https://x.test', enabled: true });
  process.env.MATRIX_STACKONE_KEY = 'stackone-matrix-key-33aa';
  const peers: Peers = {
    policy: async () => ({
      credential: credential(gladlyToken),
      provider: { type: 'gladly', organization: 'acme', environment: 'production', email: 'api@acme.test', baseUrl: gladly.url, timeout: '500ms' },
    }),
    store: () => {
      throw new Error('unused');
    },
  };
  const timeout = '500ms';
  cases = [
    {
      name: 'gladly verify',
      server: () => gladly,
      call: () => provider({ type: 'gladly', organization: 'acme', email: 'api@acme.test', baseUrl: gladly.url, timeout }).verify(ctx, credential(gladlyToken)),
    },
    {
      name: 'gorgias verify',
      server: () => gorgias,
      call: () =>
        provider({ type: 'gorgias', domain: 'acme', email: 'ops@acme.test', baseUrl: gorgias.url, timeout }).verify(
          ctx,
          credential(gorgiasKey, 'ops@acme.test'),
        ),
    },
    {
      name: 'cutover verify',
      server: () => cutover,
      call: () =>
        provider({ type: 'cutover', baseUrl: cutover.url, userId: 9, userName: 'bot', timeout }).verify(ctx, credential(cutoverToken.value, cutoverToken.id)),
    },
    {
      name: 'stackone-account update',
      server: () => stackone,
      call: () =>
        consumer({ type: 'stackone-account', accountId: 'acc-1', baseUrl: stackone.url, apiKeyEnv: 'MATRIX_STACKONE_KEY', timeout }).update(
          { ...ctx, peers },
          credential('gladly-token-for-stackone'),
        ),
    },
    {
      name: 'gladly-webhook update',
      server: () => gladly,
      call: () =>
        consumer({ type: 'gladly-webhook', webhookId: 'wh-1', auth: { policy: 'g' }, set: 'header', header: 'X-Secret', timeout }).update(
          { ...ctx, peers },
          credential('webhook-secret-value-1'),
        ),
    },
  ];
});
afterAll(async () => {
  await Promise.all([gladly.stop(), gorgias.stop(), cutover.stop(), stackone.stop()]);
});

const inject = (server: SaasServer, fault: Record<string, unknown>) => server.faults.push({ count: 1, ...fault } as never);

/** The classification table of docs/errors.md: answer → code from a provider, from a consumer, retried. */
async function classificationTable(): Promise<Array<{ answer: string; provider: string; consumer: string; retried: boolean }>> {
  const doc = await readFile(join(ROOT, 'docs/errors.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## How an answer is classified'));
  return [...section.matchAll(/^\| ([^|]+?) \| `([A-Z_]+)` \| `([A-Z_]+)` \| (yes|no) \|$/gm)].map((m) => ({
    answer: m[1]!,
    provider: m[2]!,
    consumer: m[3]!,
    retried: m[4] === 'yes',
  }));
}

/** How each row of the table is produced on a test server. */
const FAULT_FOR_ANSWER: Record<string, Record<string, unknown>> = {
  '5xx': { status: 500 },
  'no answer within `timeout`, or unreachable': { delayMs: 1200 },
  '429': { status: 429, headers: { 'retry-after': '7' } },
  '401': { status: 401 },
  '403': { status: 403 },
  'another 4xx': { status: 422 },
  '2xx that is not JSON': { garbage: true },
};

describe('every provider and consumer maps each answer as docs/errors.md classifies it', () => {
  it('the table lists every answer the test servers can give, and nothing else', async () => {
    expect((await classificationTable()).map((row) => row.answer).sort()).toEqual(Object.keys(FAULT_FOR_ANSWER).sort());
  });

  it('each row, against each adapter', async () => {
    for (const row of await classificationTable()) {
      const injected = FAULT_FOR_ANSWER[row.answer]!;
      for (const c of cases) {
        const role = c.name.includes('update') ? 'consumer' : 'provider';
        inject(c.server(), injected);
        const error = await c.call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${row.answer}: ${c.name}`).toMatchObject({ code: row[role], retryable: row.retried });
        expect((error as Error).message, `${row.answer}: ${c.name}`).toMatch(
          row.answer === '5xx' ? /answered 500/ : injected.delayMs ? /no answer within 500 ms/ : injected.garbage ? /expected/ : /./,
        );
        if (row.answer === '429') expect(error, c.name).toMatchObject({ retryAfterMs: 7000 });
        if (row.answer === '401') expect((error as Error).message).toContain('credential not accepted');
        await c.server().drained(); // a held answer finishes before the next call
        c.server().faults.length = 0;
        await expect(c.call(), `${c.name} after the fault`).resolves.toBeUndefined();
      }
    }
  });

  it('a 2xx read-back that does not confirm the write is retried, like a malformed answer', async () => {
    const readBacks: Array<[string, () => SaasServer, Record<string, unknown>]> = [
      ['gladly-webhook update', () => gladly, { match: 'GET /api/v1/webhooks/wh-1', body: { id: 'wh-1', hasCredentials: false, headerKeys: [] } }],
      ['stackone-account update', () => stackone, { match: 'GET /accounts/acc-1', body: { id: 'acc-1' } }],
    ];
    for (const [name, server, fault] of readBacks) {
      const c = cases.find((x) => x.name === name)!;
      inject(server(), fault);
      await expect(c.call(), name).rejects.toMatchObject({
        code: 'CONSUMER_FAILED',
        retryable: true,
        message: expect.stringMatching(/expected .* in the answer/),
      });
      await expect(c.call(), `${name} after the fault`).resolves.toBeUndefined();
    }
  });
});

describe('client-side rate limits', () => {
  it('a sliding window never lets more than `limit` calls start within `windowMs`', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(10, 1000, clock);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        await limiter.take();
        starts.push(clock.now());
      }),
    );
    for (const t of starts) expect(starts.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(10);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(2000);
  });

  it('Gladly: 25 verifications in a burst get no 429 from a server that allows 10 per second', async () => {
    const g = await new GladlyServer('burst').start();
    g.addUser('api@burst.test');
    const token = g.createToken('api@burst.test').value;
    const p = provider({ type: 'gladly', organization: 'burst', email: 'api@burst.test', baseUrl: g.url });
    try {
      await Promise.all(Array.from({ length: 25 }, () => p.verify(ctx, credential(token))));
      expect(g.calls.filter((c) => c.status === 429)).toHaveLength(0);
      expect(g.calls).toHaveLength(25);
    } finally {
      await g.stop();
    }
  });
});
