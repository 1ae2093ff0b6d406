import { fileURLToPath } from 'node:url';

/** The repository, from test/helpers or from the bench's build of it (build/bench/test/helpers). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/build\/bench\/$/, '');
export const CLI = `${ROOT}dist/cli/main.js`;
export const RECORDER = `${ROOT}test/fixtures/record-secret.mjs`;
