import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { FakeClock } from '../helpers/engine-doubles.js';
import { ROOT } from '../helpers/paths.js';
import type { SaasServer } from '../servers/saas/base.js';
import { callContext as ctx, credential, provider } from './helpers.js';
import { loadKits, type FaultCase } from './kit.js';
import { GladlyServer } from './providers/gladly/stand-in.js';

/** Each adapter's authenticated call against its own stand-in, from the kits (test/adapters/<kind>/<type>/kit.ts). */
const kits = [...(await loadKits()).values()];
let cases: FaultCase[] = [];

beforeAll(async () => {
  cases = await Promise.all(kits.flatMap((kit) => (kit.faultCase ? [kit.faultCase()] : [])));
});
afterAll(async () => {
  await Promise.all(cases.map((c) => c.stop()));
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
  it('every adapter that calls a SaaS is in the matrix; the others say why not', () => {
    // Six today: Gladly, Gorgias, Cutover and the http provider; the StackOne and Gladly webhook consumers.
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const kit of kits) expect(kit.faultCase !== undefined || (kit.noFaultCase ?? '').length > 20, `${kit.kind}/${kit.type}`).toBe(true);
  });

  it('the table lists every answer the test servers can give, and nothing else', async () => {
    expect((await classificationTable()).map((row) => row.answer).sort()).toEqual(Object.keys(FAULT_FOR_ANSWER).sort());
  });

  it('each row, against each adapter', async () => {
    for (const row of await classificationTable()) {
      const injected = FAULT_FOR_ANSWER[row.answer]!;
      for (const c of cases) {
        const role = c.role;
        inject(c.server, injected);
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
        await c.server.drained(); // a held answer finishes before the next call
        c.server.faults.length = 0;
        await expect(c.call(), `${c.name} after the fault`).resolves.toBeUndefined();
      }
    }
  });

  it('a 2xx read-back that does not confirm the write is retried, like a malformed answer', async () => {
    const readBacks = cases.filter((c) => c.readBack !== undefined);
    expect(readBacks.length).toBeGreaterThanOrEqual(2);
    for (const c of readBacks) {
      inject(c.server, c.readBack!);
      await expect(c.call(), c.name).rejects.toMatchObject({
        code: 'CONSUMER_FAILED',
        retryable: true,
        message: expect.stringMatching(/expected .* in the answer/),
      });
      await expect(c.call(), `${c.name} after the fault`).resolves.toBeUndefined();
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
