import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { registerSecretValue, Secret, scrub } from '../../src/secret.js';
import { RotadError } from '../../src/errors.js';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => { lines.push(line); } } });
  return { lines, logger };
}

describe('secrets never reach a log line', () => {
  const secret = new Secret('s3cr3t-Value-9x8y7z');
  const raw = secret.reveal();

  it('a Secret serialises, prints and inspects as [REDACTED]', () => {
    expect(JSON.stringify({ secret })).toBe('{"secret":"[REDACTED]"}');
    expect(String(secret)).toBe('[REDACTED]');
    expect(`${secret}`).toBe('[REDACTED]');
    expect(inspect({ deep: { secret } })).not.toContain(raw);
  });

  it('removes known values wherever they are: deep fields, arrays, message text, errors', () => {
    const { lines, logger } = capture();
    logger.info({ a: { b: { c: { d: raw } } } }, 'deep');
    logger.info({ list: ['x', raw, { inner: [raw] }] }, 'array');
    logger.info(`message that embeds ${raw}`);
    logger.error({ err: new Error(`upstream said: invalid token ${raw}`) }, 'error message');
    logger.error({ error: new RotadError('PROVIDER_REJECTED', `rejected ${raw}`, { cause: new Error(raw) }) }, 'rotad error');
    logger.info({ headers: { authorization: `Basic ${Buffer.from(`me:${raw}`).toString('base64')}` } }, 'by field');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).not.toContain(raw);
    expect(lines.join('')).toContain('[REDACTED]');
  });

  it('removes a secret that appears JSON-escaped', () => {
    registerSecretValue('quote"and\\backslash-secret');
    const { lines, logger } = capture();
    logger.info({ text: 'quote"and\\backslash-secret' }, 'escaped');
    expect(lines[0]).not.toContain('backslash-secret');
  });

  it('redacts by field name even for values it has never seen', () => {
    const { lines, logger } = capture();
    logger.info({ token: 'never-registered-token-1', nested: { password: 'never-registered-pw-2' } }, 'fields');
    expect(lines[0]).not.toMatch(/never-registered/);
  });

  it('scrub() leaves text without secrets alone', () => {
    expect(scrub('rotation 2026 completed')).toBe('rotation 2026 completed');
  });
});
