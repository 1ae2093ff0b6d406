import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { STORE_KINDS } from '../helpers/store-kinds.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';
import { chaosConfig, Fleet, inspect, pause, POLICIES, randomBetween, settle, workspace } from './harness.js';

/** Kills per store: a few in `npm test`, many with `npm run chaos` (CHAOS_KILLS). */
const KILLS = Number(process.env.CHAOS_KILLS ?? 8);

/** The scenario for one store type; one test file per store, so that stores run in parallel. */
export function randomKills(type: string): void {
  describe(`chaos: SIGKILL at random instants on the ${type} store`, () => {
    const api = new TokensApiServer();
    beforeAll(async () => {
      await api.start();
    });
    afterAll(async () => {
      await api.stop();
    });

    it(
      `${KILLS} kills during rotations: nothing lost, nothing duplicated, nothing wedged`,
      async () => {
        const dir = await workspace();
        const store = await STORE_KINDS.find((k) => k.type === type)!.options();
        const bootstrap = api.create('bootstrap');
        const fleet = new Fleet({ ACME_BOOTSTRAP_TOKEN: bootstrap.value });
        const config = await chaosConfig(dir, 0, store, api, 2_000);
        let requests = 0;
        for (let kill = 0; kill < KILLS; kill += 1) {
          const daemon = fleet.start(config);
          await fleet.request(config);
          requests += 1;
          // Anywhere: while it starts, waits out the dead one's lease, or rotates.
          await pause(randomBetween(0, 2_000));
          await fleet.kill(daemon);
        }
        const last = fleet.start(config);
        await fleet.request(config);
        requests += 1;
        await settle(store);
        expect((await last.stop()).code).toBe(0);
        const { report, problems, secrets } = await inspect({ store: type, scenario: 'random kills', kills: KILLS, requests }, fleet, store, api, dir);
        console.log(`chaos ${JSON.stringify(report)}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
        expect(problems).toEqual([]);
        // Each policy's first rotation starts by itself (no credential yet); it may finish before the
        // first request lands. After it, a request starts at most one rotation per policy.
        expect(report.rotationsStarted, 'at most one new rotation per request per policy, plus the first').toBeLessThanOrEqual(
          (requests + 1) * POLICIES.length,
        );
        expectNoSecretsInOutput([bootstrap.value, ...secrets]);
      },
      30 * 60_000,
    );
  });
}
