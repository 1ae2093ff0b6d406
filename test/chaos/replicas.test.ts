import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonProcess } from '../helpers/daemon.js';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';
import { chaosConfig, Fleet, inspect, pause, POLICIES, randomBetween, settle, workspace } from './harness.js';

/** `rotad rotate --all` requests per store: a few in `npm test`, many with `npm run chaos` (CHAOS_REQUESTS). */
const REQUESTS = Number(process.env.CHAOS_REQUESTS ?? 10);
const REPLICAS = 3;

// The file store serves one daemon (a second is refused at start: test/e2e/startup.test.ts).
// OpenBao also with the replicas sharding the fleet (daemon.sharding): kills leave dead entries in the roster.
describe.each([
  { type: 'vault', sharded: false },
  { type: 'aws-secrets-manager', sharded: false },
  { type: 'vault', sharded: true },
])('chaos: $type store, three replicas, sharded: $sharded', ({ type, sharded }) => {
  const api = new TokensApiServer();
  beforeAll(async () => {
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
  });

  it(
    `${REQUESTS} requests (rotate --all plus SIGUSR2 to every replica), random kills and restarts`,
    async () => {
      const dir = await workspace();
      const store = await STORE_KINDS.find((k) => k.type === type)!.options();
      const bootstrap = api.create('bootstrap');
      const fleet = new Fleet({ ACME_BOOTSTRAP_TOKEN: bootstrap.value });
      const configs = await Promise.all(
        Array.from({ length: REPLICAS }, (_, i) => chaosConfig(dir, i, store, api, 2_000, undefined, sharded ? '  sharding: { heartbeat: 1s }\n' : '')),
      );
      const live: DaemonProcess[] = configs.map((config) => fleet.start(config));
      for (const daemon of live) await daemon.waitForMessage('rotad started');
      let kills = 0;
      const handle = openStore(store);
      const held: Array<{ rotationId: string; killedAt: number; victim: number }> = [];
      const replicaOf = new Map<DaemonProcess, number>(live.map((d, i) => [d, i]));
      for (let request = 0; request < REQUESTS; request += 1) {
        const target = randomBetween(0, REPLICAS - 1);
        await fleet.request(configs[target]!);
        for (const daemon of live) daemon.signal('SIGUSR2');
        if (Math.random() < 0.3) {
          const victim = randomBetween(0, REPLICAS - 1);
          await pause(randomBetween(0, 400));
          const owner = String((await live[victim]!.waitForMessage('rotad started')).owner);
          await fleet.kill(live[victim]!);
          kills += 1;
          // Rotations the killed replica held: another replica must take them over once the lease ends.
          for (const name of POLICIES) {
            const { state } = await handle.read({ name });
            if (state.lease?.owner === owner && state.lease.until > Date.now() && state.rotationId)
              held.push({ rotationId: state.rotationId, killedAt: Date.now(), victim });
          }
          live[victim] = fleet.start(configs[victim]!);
          replicaOf.set(live[victim]!, victim);
          // Signalled before node has run any JavaScript (~100 ms), any process dies of SIGUSR2.
          await live[victim]!.waitForMessage('rotad started');
        }
        await pause(randomBetween(100, 900));
      }
      await settle(store);
      for (const daemon of live) expect((await daemon.stop()).code).toBe(0);
      const { report, problems, secrets } = await inspect(
        { store: type, scenario: `${REPLICAS} replicas${sharded ? ', sharded' : ''}`, kills, requests: REQUESTS },
        fleet,
        store,
        api,
        dir,
      );
      // Takeover: from the kill to the first step another replica logged for the killed one's rotation.
      const takeovers = held
        .flatMap(({ rotationId, killedAt, victim }) => {
          const times = [...replicaOf]
            .filter(([, index]) => index !== victim)
            .flatMap(([daemon]) =>
              daemon.entries.filter((e) => e.rotation === rotationId || e.rotationId === rotationId).map((e) => Date.parse(String(e.time))),
            )
            .filter((t) => t >= killedAt);
          return times.length > 0 ? [Math.min(...times) - killedAt] : [];
        })
        .sort((a, b) => a - b);
      const takeover = {
        heldAtKill: held.length,
        takenOverBySurvivor: takeovers.length,
        takeoverMsMedian: takeovers[Math.floor(takeovers.length / 2)] ?? null,
        takeoverMsMax: takeovers.at(-1) ?? null,
        leaseMs: 2_000,
      };
      console.log(`chaos ${JSON.stringify({ ...report, ...takeover })}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
      expect(problems).toEqual([]);
      // Each request (rotate --all and a signal to every replica, at once) starts at most one rotation of each policy, plus the first.
      expect(report.rotationsStarted).toBeLessThanOrEqual((REQUESTS + 1) * 2);
      expectNoSecretsInOutput([bootstrap.value, ...secrets]);
    },
    30 * 60_000,
  );
});
