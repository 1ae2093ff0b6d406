import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonProcess } from '../helpers/daemon.js';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { STORE_KINDS } from '../helpers/store-kinds.js';
import { TokensApiServer } from '../servers/saas/tokens-api.js';
import { chaosConfig, Fleet, inspect, pause, randomBetween, settle, workspace } from './harness.js';

/** `rotad rotate --all` requests per store: a few in `npm test`, many with `npm run chaos` (CHAOS_REQUESTS). */
const REQUESTS = Number(process.env.CHAOS_REQUESTS ?? 10);
const REPLICAS = 3;

// The file store serves one daemon (a second is refused at start: test/e2e/startup.test.ts).
describe.each(['vault', 'aws-secrets-manager'])('chaos: %s store, three replicas', (type) => {
  const api = new TokensApiServer();
  beforeAll(async () => { await api.start(); });
  afterAll(async () => { await api.stop(); });

  it(`${REQUESTS} requests (rotate --all plus SIGUSR2 to every replica), random kills and restarts`, async () => {
    const dir = await workspace();
    const store = await STORE_KINDS.find((k) => k.type === type)!.options();
    const bootstrap = api.create('bootstrap');
    const fleet = new Fleet({ ACME_BOOTSTRAP_TOKEN: bootstrap.value });
    const configs = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => chaosConfig(dir, i, store, api, 2_000)));
    const live: DaemonProcess[] = configs.map((config) => fleet.start(config));
    for (const daemon of live) await daemon.waitForMessage('rotad started');
    let kills = 0;
    for (let request = 0; request < REQUESTS; request += 1) {
      const target = randomBetween(0, REPLICAS - 1);
      await fleet.request(configs[target]!);
      for (const daemon of live) daemon.signal('SIGUSR2');
      if (Math.random() < 0.3) {
        const victim = randomBetween(0, REPLICAS - 1);
        await pause(randomBetween(0, 400));
        await fleet.kill(live[victim]!);
        kills += 1;
        live[victim] = fleet.start(configs[victim]!);
        // Signalled before node has run any JavaScript (~100 ms), any process dies of SIGUSR2.
        await live[victim]!.waitForMessage('rotad started');
      }
      await pause(randomBetween(100, 900));
    }
    await settle(store);
    for (const daemon of live) expect((await daemon.stop()).code).toBe(0);
    const { report, problems, secrets } = await inspect({ store: type, scenario: `${REPLICAS} replicas`, kills, requests: REQUESTS }, fleet, store, api, dir);
    console.log(`chaos ${JSON.stringify(report)}${problems.length > 0 ? `\n${problems.join("\n")}` : ""}`);
    expect(problems).toEqual([]);
    // Each request (rotate --all and a signal to every replica, at once) starts at most one rotation of each policy, plus the first.
    expect(report.rotationsStarted).toBeLessThanOrEqual((REQUESTS + 1) * 2);
    expectNoSecretsInOutput([bootstrap.value, ...secrets]);
  }, 30 * 60_000);
});
