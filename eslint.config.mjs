// Lint: typed rules that catch what the compiler does not (promises nobody awaits or handles,
// promises where a callback is expected), and the direction of dependencies between layers
// (docs/design.md, "The floors"): a room of src imports only from the floors below its own.
// Import cycles: rotad/no-import-cycle (eslint-rules/), tested by test/unit/import-graph.test.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { FLOORS } from './eslint-rules/floors.mjs';
import { noImportCycle } from './eslint-rules/no-import-cycle.mjs';

/** Imports whose path names one of `dirs` (relative specifiers: `../../cli/x.js`, `./control/y.js`). */
const into = (dirs) => dirs.flatMap((dir) => [`**/${dir}/*`, `./${dir}/*`]);
/** Each room of src and the rooms it may not import: every room on its floor or above (eslint-rules/floors.mjs). */
const layers = FLOORS.flatMap((floor, level) =>
  floor.rooms.map((room) => ({
    files: room === '.' ? ['src/*.ts'] : [`src/${room}/**`],
    forbidden: FLOORS.slice(level)
      .flatMap((f) => f.rooms)
      .filter((other) => other !== room && other !== '.'),
    message: `src/${room === '.' ? '' : `${room}/`} is on floor ${level} (${floor.holds}): it imports only from the floors below it (docs/design.md, "The floors")`,
  })),
).filter((layer) => layer.forbidden.length > 0);

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
  {
    // One writer of state outside the engine's lease (docs/design.md, "The floors").
    files: ['src/**/*.ts'],
    ignores: ['src/stores/**', 'src/rotation/lease.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='writeState']",
          message: 'write state through src/stores/state-writes.ts (writeOnSnapshot, updateState): the one writer outside the engine’s lease',
        },
      ],
    },
  },
  ...layers.map(({ files, forbidden, message }) => ({
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: into(forbidden), message }] }] },
  })),
);
