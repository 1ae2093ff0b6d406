import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { registerSecretValue, Secret, scrub } from '../../src/secret.js';
import { RotadError } from '../../src/errors.js';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({
    destination: {
      write: (line: string) => {
        lines.push(line);
      },
    },
  });
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

  it('with a fleet of known values (10,000), removes each of them, raw and escaped, next to each other', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `fleet-secret-${i}-${'x'.repeat(i % 7)}"q`);
    for (const value of values) registerSecretValue(value);
    const line = JSON.stringify({ a: values[0], b: values[9_999], text: `${values[5_000]}${values[5_001]} and ${values[42]}` });
    const scrubbed = scrub(line);
    for (const value of [values[0]!, values[9_999]!, values[5_000]!, values[5_001]!, values[42]!]) {
      expect(scrubbed).not.toContain(value);
      expect(scrubbed).not.toContain(JSON.stringify(value).slice(1, -1));
    }
    expect(scrubbed).toBe(JSON.stringify({ a: '[REDACTED]', b: '[REDACTED]', text: '[REDACTED][REDACTED] and [REDACTED]' }));
    // A value pushed out of the bounded set is no longer looked for; the newest ones still are.
    for (let i = 0; i < 10_000; i += 1) registerSecretValue(`later-secret-${i}`);
    expect(scrub(`x ${values[0]!} y`)).toContain('fleet-secret-0-');
    expect(scrub('x later-secret-9999 y')).toBe('x [REDACTED] y');
  });

  it('scrub() leaves text without secrets alone', () => {
    expect(scrub('rotation 2026 completed')).toBe('rotation 2026 completed');
  });
});
