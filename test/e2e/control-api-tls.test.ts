import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeApiConfig, type ApiSetup } from '../helpers/api.js';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../helpers/daemon.js';
import { HttpSink } from '../helpers/sinks.js';
import { makeTestPki, type TestPki } from '../helpers/test-ca.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

const ENV = { INBOX_SECRET: 'inbox-signing-secret-51b0' };

/** GET /v1/policies over HTTPS with node's own client: the status, or the error code of a refused handshake. */
function httpsStatus(base: string, token: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${base}/v1/policies`, { headers: { authorization: `Bearer ${token}` }, ...tls }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

describe('control API over TLS with a test CA', () => {
  const gladly = new GladlyServer('acme');
  const inbox = new HttpSink();
  let pki: TestPki;
  const secrets: string[] = [];

  beforeAll(async () => {
    await gladly.start();
    await inbox.start();
    pki = await makeTestPki(await tempDir('rotad-pki-'));
  });
  afterAll(async () => {
    await gladly.stop();
    await inbox.stop();
    expectNoSecretsInOutput(secrets);
  });

  const start = async (tls: string): Promise<{ setup: ApiSetup; daemon: DaemonProcess }> => {
    const setup = await writeApiConfig(await tempDir(), {
      gladlyUrl: gladly.url,
      email: 'api-user@acme.test',
      webhookUrl: `${inbox.url}/events`,
      scheme: 'https',
      api: `tls: ${tls}`,
    });
    secrets.push(...setup.secrets);
    const daemon = DaemonProcess.start(setup.config, ENV);
    await daemon.waitForMessage('Control API listening', (e) => e.tls === true);
    return { setup, daemon };
  };

  it('serves HTTPS; the CLI trusts the daemon with --ca-file and refuses it without', async () => {
    const { setup, daemon } = await start(`{ cert: ${pki.serverCert}, key: ${pki.serverKey} }`);
    try {
      const env = { ...ENV, ROTAD_API_TOKEN: setup.tokens.reader };
      const trusted = await runCli(['status', '--server', setup.base, '--ca-file', pki.ca, '--json'], env);
      expect(trusted.code, trusted.stderr).toBe(0);
      expect((JSON.parse(trusted.stdout) as Array<{ policy: string }>).map((r) => r.policy)).toEqual(['gladly-prod', 'heartbeat']);
      const untrusted = await runCli(['status', '--server', setup.base], env);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(
        /SERVER_UNREACHABLE: cannot reach https:\/\/127\.0\.0\.1:\d+: \S+ \(pass the CA that signed its certificate with --ca-file\)/,
      );
      const wrongCa = await runCli(['status', '--server', setup.base, '--ca-file', pki.otherCa], env);
      expect(wrongCa.code).toBe(1);
      expect(wrongCa.stderr).toContain('SERVER_UNREACHABLE');
      // Plain HTTP to the TLS port gets nothing rotad would answer.
      const plain = await runCli(['status', '--server', setup.base.replace('https:', 'http:')], env);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toContain('SERVER_UNREACHABLE');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('with clientCa, accepts only clients whose certificate that CA signed', async () => {
    const { setup, daemon } = await start(`{ cert: ${pki.serverCert}, key: ${pki.serverKey}, clientCa: ${pki.ca} }`);
    try {
      const ca = await readFile(pki.ca);
      expect(await httpsStatus(setup.base, setup.tokens.reader, { ca, cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey) })).toBe(200);
      expect(await httpsStatus(setup.base, setup.tokens.reader, { ca })).not.toBe(200);
      const env = { ...ENV, ROTAD_API_TOKEN: setup.tokens.reader };
      const withCert = await runCli(['status', '--server', setup.base, '--ca-file', pki.ca, '--cert-file', pki.clientCert, '--key-file', pki.clientKey], env);
      expect(withCert.code, withCert.stderr).toBe(0);
      const without = await runCli(['status', '--server', setup.base, '--ca-file', pki.ca], env);
      expect(without.code).toBe(1);
      expect(without.stderr).toContain('SERVER_UNREACHABLE');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });
});
