import { createDecipheriv, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Secret } from '../../src/secret.js';
import { fileStore } from '../../src/stores/file/index.js';
import { tempDir } from '../helpers/workspace.js';

/** AES-256-GCM as src/stores/file/readme.md ("File formats") describes it: base64 fields, optional additional data. */
function decrypt(key: Buffer, fields: { iv: string; tag: string; data: string }, aad?: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(fields.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(fields.tag, 'base64'));
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([decipher.update(Buffer.from(fields.data, 'base64')), decipher.final()]).toString('utf8');
}

/** A reader written from the readme alone (no rotad code): the store file, then the journal's records in order. */
function readAsDocumented(key: Buffer, file: string, journal: string): Record<string, { current?: { value: string } }> {
  const envelope = JSON.parse(file) as { keyId: string; iv: string; tag: string; data: string };
  expect(envelope.keyId).toBe(createHmac('sha256', key).update('rotad-file-store-key-id').digest('hex').slice(0, 16));
  const { policies } = JSON.parse(decrypt(key, envelope)) as { policies: Record<string, { current?: { value: string } }> };
  const [headerLine, ...lines] = journal.split('\n').filter(Boolean);
  const header = JSON.parse(headerLine!) as { format: string; base: string; id: string };
  expect(header.format).toBe('rotad-file-journal');
  if (header.base !== envelope.iv) return policies;
  lines.forEach((line, n) => {
    const record = JSON.parse(line) as { n: number; iv: string; tag: string; data: string };
    expect(record.n).toBe(n);
    const change = JSON.parse(decrypt(key, record, `${header.id}:${header.base}:${n}`)) as { policy: string; entry: { current?: { value: string } } };
    policies[change.policy] = change.entry;
  });
  return policies;
}

describe('file store formats, as documented', () => {
  it('a reader built from the readme alone finds every current value, store file and journal together', async () => {
    const dir = await tempDir();
    const store = fileStore.create(
      { type: 'file', path: 'secrets.enc', key: { file: 'store.key', generate: true } },
      { logger: silentLogger(), clock: systemClock, configDir: dir },
    );
    for (let i = 0; i < 3; i += 1) {
      await store.stagePending({ name: `p${i}` }, { value: new Secret(`format-secret-${i}`), rotationId: `r${i}`, createdAt: 1 });
      await store.promote({ name: `p${i}` }, `r${i}`);
    }
    const keyText = (await readFile(join(dir, 'store.key'), 'utf8')).trim();
    const key = Buffer.from(keyText, /^[0-9a-f]{64}$/i.test(keyText) ? 'hex' : 'base64');
    const [file, journal] = await Promise.all([readFile(join(dir, 'secrets.enc'), 'utf8'), readFile(join(dir, 'secrets.enc.journal'), 'utf8')]);
    const policies = readAsDocumented(key, file, journal);
    expect([0, 1, 2].map((i) => policies[`p${i}`]?.current?.value)).toEqual(['format-secret-0', 'format-secret-1', 'format-secret-2']);
    await store.close();
  });
});
