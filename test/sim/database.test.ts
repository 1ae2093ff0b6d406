import { describe, expect, it } from 'vitest';
import { runSeed, type SeedReport } from './run-seed.js';

/**
 * The simulation of run-seed.ts with a database of two roles in turn as the provider (the postgres
 * and mysql providers' alternating-users strategy, test/sim/alternating-db.ts): applications hold
 * sessions and let go of the old role late, or not until the run heals. SIM_DB_SEEDS sets how many
 * seeds run; SIM_DB_SEED replays one and prints its trace.
 */
const replay = process.env.SIM_DB_SEED === undefined ? undefined : Number(process.env.SIM_DB_SEED);
const seeds = Number(process.env.SIM_DB_SEEDS ?? 1000);

describe('simulation: a database with two roles in turn, applications that let go late', () => {
  it(
    replay === undefined ? `${seeds} seeds: a role is disabled only with no session left, never both, never the current one` : `seed ${replay}`,
    async () => {
      const started = performance.now();
      const reports: SeedReport[] = [];
      for (const seed of replay === undefined ? Array.from({ length: seeds }, (_, i) => 100_001 + i) : [replay]) {
        const report = await runSeed(seed, { database: true });
        reports.push(report);
        if (report.failure) throw new Error(`seed ${seed} failed: ${report.failure}\nreplay: SIM_DB_SEED=${seed} npx vitest run test/sim/database.test.ts`);
      }
      const sum = (key: keyof SeedReport): number => reports.reduce((n, r) => n + Number(r[key]), 0);
      const summary = {
        seeds: reports.length,
        seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
        events: sum('events'),
        crashes: sum('crashes'),
        rollbacks: sum('rollbacks'),
        incidents: sum('incidents'),
        rotationsStarted: sum('started'),
        rotationsCompleted: sum('completed'),
        sessionWaits: sum('sessionWaits'),
        rolesDisabled: sum('rolesDisabled'),
      };
      console.log(`database simulation ${JSON.stringify(summary)}`);
      expect(summary.rotationsCompleted).toBeGreaterThan(reports.length);
      expect(summary.sessionWaits, 'applications held revoke back').toBeGreaterThan(0);
      expect(summary.rolesDisabled).toBeGreaterThan(0);
    },
    600_000,
  );
});
