import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seal } from '../../src/stores/file/cipher.js';
import type { StoreDocument } from '../../src/stores/file/document.js';
import { IDLE_STATE } from '../../src/policy-state.js';

/**
 * A config of `count` `random` policies on the file store, and a store in which each already has a
 * current credential rotated a minute ago: nothing is due for 30 days, as in an idle fleet. The
 * store is written in one go (the way rotad would take `count` rotations to write it).
 * `rescanEvery` sets daemon.rescanEvery (default 15m).
 */
export async function writeIdleFleet(dir: string, count: number, signalled = 'policy-00000', rescanEvery?: string): Promise<string> {
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(join(state, 'store.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
  const now = Date.now() - 60_000;
  const names = Array.from({ length: count }, (_, i) => `policy-${String(i).padStart(5, '0')}`);
  const document: StoreDocument = { policies: {} };
  for (const name of names) {
    document.policies[name] = {
      current: { value: randomBytes(24).toString('base64url'), rotationId: `seed-${name}`, createdAt: now },
      state: { ...IDLE_STATE, lastRotatedAt: now, lastRotationId: `seed-${name}` },
      revision: 1,
    };
  }
  await writeFile(join(state, 'secrets.enc'), JSON.stringify(seal(JSON.stringify(document), key)), { mode: 0o600 });
  const config = join(dir, 'rotad.yaml');
  await writeFile(
    config,
    `version: 1
daemon:
  stateDir: ${state}
  health: { port: 0 }
  watchConfig: 0s
${rescanEvery === undefined ? '' : `  rescanEvery: ${rescanEvery}\n`}stores:
  local: { type: file, path: ${state}/secrets.enc, key: { file: ${state}/store.key } }
notifiers:
  log: { type: log, events: [needs-attention] }
policies:
${names.map((name) => `  - { name: ${name}, provider: { type: random, length: 32 }, schedule: { every: 30d }${name === signalled ? ', rotateOnSignal: true' : ''} }`).join('\n')}
`,
  );
  return config;
}
