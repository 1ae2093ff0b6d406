import { describe, expect, it } from 'vitest';
import { runHumanSeed, type HumanSeedReport } from './run-human-seed.js';

/**
 * The deterministic simulation of assisted rotations with a person in the loop (see
 * run-human-seed.ts). HUMAN_SEEDS sets how many seeds run (CI default below), HUMAN_FIRST_SEED
 * where they start; HUMAN_SEED replays one seed and prints its trace (SIM_DEBUG=1 adds every
 * state write).
 */
const replay = process.env.HUMAN_SEED === undefined ? undefined : Number(process.env.HUMAN_SEED);
const seeds = Number(process.env.HUMAN_SEEDS ?? 2000);
const first = Number(process.env.HUMAN_FIRST_SEED ?? 1);

describe('simulation: people, hand-over links and rollbacks in assisted rotations', () => {
  it('a seed replays event for event', async () => {
    for (const seed of [3, 1201]) {
      const [one, two] = [await runHumanSeed(seed), await runHumanSeed(seed)];
      expect(two.digest).toBe(one.digest);
      expect(two.events).toBe(one.events);
    }
  });

  it(
    replay === undefined ? `${seeds} seeds hold every invariant` : `seed ${replay}`,
    async () => {
      const started = performance.now();
      const reports: HumanSeedReport[] = [];
      for (const seed of replay === undefined ? Array.from({ length: seeds }, (_, i) => first + i) : [replay]) {
        const report = await runHumanSeed(seed);
        reports.push(report);
        if (report.failure) throw new Error(`seed ${seed} failed: ${report.failure}\nreplay: HUMAN_SEED=${seed} npx vitest run test/sim/human-loop.test.ts`);
      }
      const seconds = (performance.now() - started) / 1000;
      const sum = (key: keyof HumanSeedReport): number => reports.reduce((n, r) => n + Number(r[key]), 0);
      const keys = [
        'events',
        'crashes',
        'outages',
        'rollbacks',
        'completed',
        'created',
        'handOvers',
        'taken',
        'refused',
        'notTaken',
        'deletions',
        'wrongDeletions',
        'ignored',
        'replayedLinks',
        'tamperedLinks',
        'raced',
        'withdrawnInTime',
        'overtaken',
        'snoozes',
        'deletedClicks',
        'leftWithPerson',
      ] as const;
      const summary: Record<string, number> = {
        seeds: reports.length,
        seconds: Number(seconds.toFixed(1)),
        ...Object.fromEntries(keys.map((k) => [k, sum(k)])),
      };
      console.log(`human-loop simulation ${JSON.stringify(summary)}`);
      expect(summary.completed!).toBeGreaterThan(reports.length);
      expect(summary.taken!).toBeGreaterThan(reports.length);
    },
    900_000,
  );
});
