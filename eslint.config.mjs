// Lint: typed rules that catch what the compiler does not (promises nobody awaits or handles,
// promises where a callback is expected), and the direction of dependencies between layers
// (docs/design.md): adapters and the engine never reach up into the daemon, the CLI or the API.
// Import cycles: rotad/no-import-cycle (eslint-rules/), tested by test/unit/import-graph.test.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { noImportCycle } from './eslint-rules/no-import-cycle.mjs';

/** Imports whose path names one of `dirs` (relative specifiers: `../../cli/x.js`, `./control/y.js`). */
const into = (dirs) => dirs.flatMap((dir) => [`**/${dir}/*`, `./${dir}/*`]);
const upper = ['cli', 'daemon', 'api'];
/** Each layer and what it may not import, with the reason a reader sees. */
const layers = [
  ...[
    ['providers', ['consumers', 'notifiers']],
    ['consumers', ['providers', 'notifiers']],
    ['notifiers', ['providers', 'consumers']],
    ['stores', ['providers', 'consumers', 'notifiers']],
  ].map(([kind, others]) => ({
    files: [`src/${kind}/**`],
    forbidden: [...upper, 'control', 'scheduler', 'rotation', 'config', ...others],
    message: 'adapters depend on their contracts, the shared vocabulary in src/*.ts, src/http and src/vendors only (not on another kind of adapter)',
  })),
  {
    files: ['src/vendors/**', 'src/http/**', 'src/observability/**'],
    forbidden: [...upper, 'control', 'scheduler', 'rotation', 'config', 'providers', 'stores', 'consumers', 'notifiers'],
    message: 'vendor clients, the HTTP helper and observability sit below the adapters: they know no adapter kind',
  },
  {
    files: ['src/rotation/**'],
    forbidden: [...upper, 'control', 'scheduler'],
    message: 'the engine does not reach up into the scheduler, the services or the front ends',
  },
  {
    files: ['src/handover/**'],
    forbidden: [...upper, 'control', 'scheduler'],
    message: 'the hand-over service is shared by the page, the CLI, the API and the engine: it depends on none of them',
  },
  { files: ['src/scheduler/**'], forbidden: [...upper, 'control'], message: 'the scheduler does not reach up into the services or the front ends' },
  { files: ['src/control/**'], forbidden: upper, message: 'the services are shared by the CLI and the API, and depend on neither' },
  { files: ['src/api/**'], forbidden: ['cli', 'daemon'], message: 'the API does not depend on the CLI or the daemon process' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '.venv/**', 'state/**', 'deploy/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Test fixtures and the example consumer script are plain Node programs.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { rotad: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'rotad/no-import-cycle': 'error' },
  },
  ...layers.map(({ files, forbidden, message }) => ({
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: into(forbidden), message }] }] },
  })),
);
