import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { openStore } from '../helpers/store-kinds.js';
import { tempDir } from '../helpers/workspace.js';

/** A second OpenBao dev server, this one on TLS with a CA it generates itself. */
describe('vault store over TLS', () => {
  let address = '';
  let certDir = '';
  let stop = (): void => undefined;

  beforeAll(async () => {
    certDir = await tempDir();
    const port = await freePort();
    const bao = spawn(
      `${ROOT}.venv/bin/bao`,
      ['server', '-dev', '-dev-tls', `-dev-tls-cert-dir=${certDir}`, '-dev-root-token-id=rotad-tls-root', `-dev-listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    stop = () => bao.kill('SIGTERM');
    address = `https://127.0.0.1:${port}`;
    process.env.ROTAD_TEST_TLS_TOKEN = 'rotad-tls-root';
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await Promise.resolve()
        .then(() =>
          openStore({ type: 'vault', address, caFile: join(certDir, 'vault-ca.pem'), auth: { method: 'token', tokenEnv: 'ROTAD_TEST_TLS_TOKEN' } }).ping(),
        )
        .then(
          () => true,
          () => false,
        );
      if (up) break;
      if (Date.now() > deadline) throw new Error('TLS OpenBao did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(() => stop());

  it('trusts the server through caFile, and rotates over TLS', async () => {
    const store = openStore({ type: 'vault', address, caFile: join(certDir, 'vault-ca.pem'), auth: { method: 'token', tokenEnv: 'ROTAD_TEST_TLS_TOKEN' } });
    await store.stagePending(
      { name: 'tls' },
      { value: new (await import('../../src/secret.js')).Secret('over-tls-value-1'), rotationId: 'r-tls', createdAt: 1 },
    );
    await store.promote({ name: 'tls' }, 'r-tls');
    expect((await store.read({ name: 'tls' })).current?.value.reveal()).toBe('over-tls-value-1');
  });

  it('without the CA, refuses the certificate with a clear STORE_UNREACHABLE', async () => {
    const store = openStore({ type: 'vault', address, auth: { method: 'token', tokenEnv: 'ROTAD_TEST_TLS_TOKEN' } });
    await expect(store.ping()).rejects.toMatchObject({
      code: 'STORE_UNREACHABLE',
      message: expect.stringMatching(/unreachable \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT)\)/),
    });
  });

  it('a missing CA file is named in the error', () => {
    expect(() => openStore({ type: 'vault', address, caFile: '/nonexistent/ca.pem' })).toThrow(/cannot read Vault CA bundle \/nonexistent\/ca\.pem \(ENOENT\)/);
  });
});
