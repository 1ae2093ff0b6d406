import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}dist/cli/main.js`;
export const RECORDER = `${ROOT}test/fixtures/record-secret.mjs`;
