import { defineConfig } from 'vitest/config';

/** The real OpenBao and moto servers, started once for every project that names them (test/servers/global-setup.ts). */
const servers = { globalSetup: ['test/servers/global-setup.ts'] };

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: end-to-end files start several daemons each.
    maxWorkers: 2,
    projects: [
      // No servers, no daemons: the engine, the simulation, parsers. Runs first, alone: `npx vitest run --project unit`.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/sim/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      // The store adapters against real OpenBao and moto servers, and the file store.
      { extends: true, test: { name: 'stores', include: ['test/stores/**/*.test.ts'], ...servers, sequence: { groupOrder: 1 } } },
      // Daemons and CLI commands end to end, the provider stand-ins, crash and chaos rounds, the chart.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/adapters/**/*.test.ts', 'test/chaos/**/*.test.ts', 'test/chart/**/*.test.ts'],
          ...servers,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
