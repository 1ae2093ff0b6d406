// Lint: typed rules that catch what the compiler does not (promises nobody awaits or handles,
// promises where a callback is expected), import cycles, and the direction of dependencies
// between layers (docs/design.md): adapters and the engine never reach up into the daemon,
// the CLI or the API.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const upper = ['./src/cli', './src/daemon', './src/api'];
const layers = [
  { target: ['./src/providers', './src/stores', './src/consumers', './src/notifiers'], from: [...upper, './src/control', './src/scheduler', './src/rotation', './src/config'], message: 'adapters depend on their contracts and the shared vocabulary in src/*.ts only' },
  { target: './src/rotation', from: [...upper, './src/control', './src/scheduler'], message: 'the engine does not reach up into the scheduler, the services or the front ends' },
  { target: './src/scheduler', from: [...upper, './src/control'], message: 'the scheduler does not reach up into the services or the front ends' },
  { target: './src/control', from: upper, message: 'the services are shared by the CLI and the API, and depend on neither' },
  { target: './src/api', from: ['./src/cli', './src/daemon'], message: 'the API does not depend on the CLI or the daemon process' },
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
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layers }],
    },
  },
);
