import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';
import { chaosConfig, Fleet, inspect, pause, randomBetween, settle, workspace } from './harness.js';
import { RaftOpenBao } from './raft-openbao.js';

/** Outages of the store: a few in `npm test`, more with `npm run chaos` (CHAOS_OUTAGES). */
const OUTAGES = Number(process.env.CHAOS_OUTAGES ?? 2);

describe('chaos: the store goes down mid-rotation (OpenBao on raft storage, killed and restarted)', () => {
  const api = new TokensApiServer();
  const bao = new RaftOpenBao();
  beforeAll(async () => {
    await api.start();
    await bao.create(await workspace());
  }, 120_000);
  afterAll(async () => {
    await api.stop();
    await bao.stop();
  });

  it(
    `${OUTAGES} outages of 2–8 s during rotations: the daemon stays up, retries, and converges`,
    async () => {
      const dir = await workspace();
      process.env.ROTAD_CHAOS_BAO_TOKEN = bao.rootToken;
      const store = {
        type: 'vault',
        address: bao.address,
        auth: { method: 'token', tokenEnv: 'ROTAD_CHAOS_BAO_TOKEN' },
        path: 'chaos/{policy}',
        statePath: 'rotad-state/{policy}',
        timeout: '2s',
      };
      const bootstrap = api.create('bootstrap');
      const fleet = new Fleet({ ACME_BOOTSTRAP_TOKEN: bootstrap.value, ROTAD_CHAOS_BAO_TOKEN: bao.rootToken });
      const config = await chaosConfig(dir, 0, store, api, 5_000);
      const daemon = fleet.start(config);
      await settle(store);
      let requests = 0;
      for (let outage = 0; outage < OUTAGES; outage += 1) {
        await fleet.request(config);
        requests += 1;
        await pause(randomBetween(0, 150));
        await bao.stop();
        // A signal during the outage makes the daemon look at the store while it is down, even when the
        // requested rotations finished before it went (grace 0s: they can take under 150 ms).
        daemon.child.kill('SIGUSR2');
        await pause(randomBetween(2_000, 8_000));
        expect(daemon.child.exitCode, 'the daemon stays up through the outage').toBeNull();
        await bao.start();
        await settle(store, 180_000);
      }
      expect(
        daemon.entries.some((e) => e.msg === 'Policy could not be processed' || e.msg === 'Step failed, retrying'),
        'the outage was seen',
      ).toBe(true);
      expect((await daemon.stop()).code).toBe(0);
      const { report, problems, secrets } = await inspect({ store: 'vault (raft)', scenario: 'store outages', kills: 0, requests }, fleet, store, api, dir);
      console.log(`chaos ${JSON.stringify({ ...report, outages: OUTAGES })}`);
      expect(problems).toEqual([]);
      expectNoSecretsInOutput([bootstrap.value, bao.rootToken, ...secrets]);
    },
    30 * 60_000,
  );
});
