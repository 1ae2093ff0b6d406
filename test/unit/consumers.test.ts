import { spawnSync } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { execConsumer } from '../../src/consumers/exec/index.js';
import { httpConsumer } from '../../src/consumers/http/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Secret } from '../../src/secret.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/workspace.js';

const INSPECT = join(ROOT, 'test/fixtures/inspect-self.mjs');
const WRITE_SECRET_FILE = join(ROOT, 'config/consumers/write-secret-file.mjs');
const deps = (configDir: string) => ({ logger: silentLogger(), clock: systemClock, configDir });
const ctx = { policy: 'p', rotationId: 'rot-1', logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
const SECRET = 'exec-consumer-secret-4f9a2c';
const credential = { value: new Secret(SECRET), rotationId: 'rot-1', createdAt: 0, id: 'cred-7' };

describe('exec consumer', () => {
  it('passes the secret on stdin, never in argv or environment; runs in the config directory', async () => {
    const dir = await tempDir();
    process.env.VAULT_TOKEN = 'daemon-own-token-must-not-leak';
    const consumer = execConsumer.create(
      { type: 'exec', command: ['node', INSPECT, join(dir, 'seen.json')], secretVia: 'stdin', timeout: '10s', env: { APP: 'demo' } },
      deps(dir),
    );
    await consumer.update(ctx, credential);
    delete process.env.VAULT_TOKEN;
    const seen = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8'));
    expect(seen.stdin).toBe(SECRET);
    expect(JSON.stringify(seen.argv)).not.toContain(SECRET);
    expect(JSON.stringify(seen.env)).not.toContain(SECRET);
    expect(seen.env).toMatchObject({
      APP: 'demo',
      ROTAD_POLICY: 'p',
      ROTAD_ROTATION_ID: 'rot-1',
      ROTAD_CREDENTIAL_ID: 'cred-7',
      ROTAD_SECRET_BYTES: String(SECRET.length),
    });
    expect(seen.env.VAULT_TOKEN, "the daemon's own environment is not passed on").toBeUndefined();
    expect(seen.cwd).toBe(dir);
  });

  it('hands on the facts the policy stores beside the secret (secret.fields), under the same names', async () => {
    const dir = await tempDir();
    const consumer = execConsumer.create(
      { type: 'exec', command: ['node', INSPECT, join(dir, 'seen.json')], secretVia: 'stdin', timeout: '10s', env: {} },
      deps(dir),
    );
    await consumer.update(
      { ...ctx, facts: { username: 'credentialId', expires_at: 'expiresAt' } },
      { ...credential, id: 'api-b@acme.example', expiresAt: Date.parse('2027-02-01T00:00:00Z') },
    );
    const seen = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8'));
    expect(JSON.parse(seen.env.ROTAD_SECRET_FIELDS)).toEqual({ username: 'api-b@acme.example', expires_at: '2027-02-01T00:00:00.000Z' });
    expect(seen.env.ROTAD_SECRET_FIELDS).not.toContain(SECRET);
  });

  it('the shipped write-secret-file consumer installs only a complete value: cut short or empty input is refused', async () => {
    const dir = await tempDir();
    const target = join(dir, 'app/secret');
    const run = (input: string, bytes?: string) =>
      spawnSync('node', [WRITE_SECRET_FILE, target], {
        input,
        env: { ...process.env, ...(bytes === undefined ? {} : { ROTAD_SECRET_BYTES: bytes }) },
        encoding: 'utf8',
      });
    expect(run(SECRET, String(SECRET.length)).status).toBe(0);
    expect(await readFile(target, 'utf8')).toBe(SECRET);
    // rotad killed after spawning the command, before (or while) writing stdin: EOF, or a prefix.
    const empty = run('', String(SECRET.length));
    const cut = run(SECRET.slice(0, 7), String(SECRET.length));
    const noLength = run('');
    for (const refused of [empty, cut, noLength]) {
      expect(refused.status).toBe(3);
      expect(refused.stderr).toContain('refusing an incomplete secret');
      expect(refused.stderr + refused.stdout).not.toContain(SECRET.slice(0, 7));
    }
    expect(await readFile(target, 'utf8'), 'the installed value is untouched').toBe(SECRET);
  });

  it('with secretVia: file, hands over a 0600 temp file and deletes it afterwards', async () => {
    const dir = await tempDir();
    const consumer = execConsumer.create(
      { type: 'exec', command: ['node', INSPECT, join(dir, 'seen.json')], secretVia: 'file', timeout: '10s', env: {} },
      deps(dir),
    );
    await consumer.update(ctx, credential);
    const seen = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8'));
    expect(seen.fileContent).toBe(SECRET);
    expect(seen.fileMode).toBe('600');
    expect(seen.stdin).toBe('');
    await expect(access(seen.secretFile)).rejects.toThrow();
  });

  it('a failing command is a retryable CONSUMER_FAILED with its stderr, secrets scrubbed', async () => {
    const dir = await tempDir();
    const consumer = execConsumer.create(
      { type: 'exec', command: ['node', INSPECT, join(dir, 'seen.json')], secretVia: 'stdin', timeout: '10s', env: { FAIL_WITH: `bad credential ${SECRET}` } },
      deps(dir),
    );
    const error = await consumer.update(ctx, credential).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONSUMER_FAILED', retryable: true });
    expect((error as Error).message).toMatch(/exited with code 3: bad credential \[REDACTED\]/);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('a command that hangs is killed after the timeout', async () => {
    const dir = await tempDir();
    const consumer = execConsumer.create({ type: 'exec', command: ['sleep', '30'], secretVia: 'stdin', timeout: '300ms', env: {} }, deps(dir));
    const started = Date.now();
    await expect(consumer.update(ctx, credential)).rejects.toMatchObject({ code: 'CONSUMER_FAILED', message: expect.stringMatching(/timed out after 300 ms/) });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a missing command is not retried', async () => {
    const dir = await tempDir();
    const consumer = execConsumer.create({ type: 'exec', command: ['/nonexistent/reload'], secretVia: 'stdin', timeout: '1s', env: {} }, deps(dir));
    await expect(consumer.update(ctx, credential)).rejects.toMatchObject({
      code: 'CONSUMER_FAILED',
      retryable: false,
      message: expect.stringMatching(/ENOENT/),
    });
  });
});

describe('http consumer (a real local server)', () => {
  const received: Array<{ method?: string | undefined; url?: string | undefined; headers: IncomingMessage['headers']; body: string }> = [];
  let answer = { status: 204, headers: {} as Record<string, string>, delayMs: 0 };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body });
      setTimeout(() => response.writeHead(answer.status, answer.headers).end(), answer.delayMs);
    });
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const consumer = (includeSecret = false, timeout = '2s') =>
    httpConsumer.create({ type: 'http', url: `${base}/reload?token=abc`, method: 'POST', headers: { 'x-app': 'demo' }, timeout, includeSecret });

  it('calls the endpoint with the policy and rotation id, and no secret unless asked', async () => {
    answer = { status: 204, headers: {}, delayMs: 0 };
    await consumer().update(ctx, credential);
    const last = received.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', url: '/reload?token=abc' });
    expect(last.headers['x-app']).toBe('demo');
    expect(JSON.parse(last.body)).toEqual({ policy: 'p', rotationId: 'rot-1', credentialId: 'cred-7' });
    await consumer(true).update(ctx, credential);
    expect(JSON.parse(received.at(-1)!.body).secret).toBe(SECRET);
    expect(consumer().label).toBe(`http POST ${base}/reload`);
  });

  it('500 and 429 are retryable (with Retry-After); 400 is not', async () => {
    answer = { status: 500, headers: {}, delayMs: 0 };
    await expect(consumer().update(ctx, credential)).rejects.toMatchObject({
      code: 'CONSUMER_FAILED',
      retryable: true,
      message: expect.stringMatching(/answered 500/),
    });
    answer = { status: 429, headers: { 'retry-after': '7' }, delayMs: 0 };
    await expect(consumer().update(ctx, credential)).rejects.toMatchObject({ retryable: true, retryAfterMs: 7000 });
    answer = { status: 400, headers: {}, delayMs: 0 };
    await expect(consumer().update(ctx, credential)).rejects.toMatchObject({ retryable: false });
  });

  it('gives up after the timeout with a retryable error', async () => {
    answer = { status: 204, headers: {}, delayMs: 1500 };
    await expect(consumer(false, '200ms').update(ctx, credential)).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/no answer within 200 ms/),
    });
  });

  it('an unreachable endpoint is a retryable error that names it', async () => {
    const closed = httpConsumer.create({ type: 'http', url: 'http://127.0.0.1:1/reload', method: 'POST', headers: {}, timeout: '1s', includeSecret: false });
    await expect(closed.update(ctx, credential)).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/127\.0\.0\.1:1\/reload: connection failed/),
    });
  });
});
