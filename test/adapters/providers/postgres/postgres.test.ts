import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { openExampleStore, readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { startPostgres, type PostgresServer } from '../../../servers/postgres.js';

let server: PostgresServer;
let stopServer: () => Promise<void>;
const secrets: string[] = [];

async function connect(user: string, password: string, application = 'test'): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user,
    password,
    application_name: application,
    ssl: { ca: await caText() },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
const caText = async (): Promise<string> => (await import('node:fs/promises')).readFile(server.caFile, 'utf8');

/** Whether `user` can log in with `password`: its current_user, or the server's refusal code. */
async function login(user: string, password: string): Promise<string> {
  try {
    const client = await connect(user, password);
    const { rows } = await client.query<{ u: string }>('SELECT current_user AS u');
    await client.end();
    return rows[0]!.u;
  } catch (error) {
    return String((error as { code?: string }).code);
  }
}

const admin = (): Promise<pg.Client> => connect(server.adminUser, server.adminPassword);

const policy = (name: string, provider: string): string => `  - name: ${name}
    provider: { type: postgres, host: 127.0.0.1, port: ${server.port}, manager: { user: postgres, passwordEnv: PG_MANAGER_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} }, ${provider} }
    secret: { fields: { username: credentialId, password: value } }
    schedule: { every: 30d }
    grace: 0s`;

describe('postgres on a real PostgreSQL server (TLS verify-full, log_statement = all)', () => {
  beforeAll(async () => {
    ({ server, stop: stopServer } = await startPostgres());
    secrets.push(server.adminPassword);
    const client = await admin();
    await client.query(`CREATE ROLE app LOGIN PASSWORD 'app-initial-password'`);
    await client.query(`CREATE ROLE shop LOGIN PASSWORD 'shop-initial-password'`);
    await client.query('CREATE TABLE orders (id int)');
    await client.query('GRANT SELECT ON orders TO shop');
    await client.end();
    secrets.push('app-initial-password', 'shop-initial-password');
  }, 120_000);
  afterAll(() => stopServer?.());

  it('single-user: sets the new password as a SCRAM verifier, logs in with it; the old one is refused; no password reaches the server log', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(dir, policy('app-db', 'user: app'));
    const env = { PG_MANAGER_PASSWORD: server.adminPassword };
    const daemon = DaemonProcess.start(config, env);
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'app-db');
      secrets.push(...secretsOf(first));
      expect(first.current?.id).toBe('app');
      expect(await login('app', first.current!.value.reveal())).toBe('app');
      expect(await login('app', 'app-initial-password')).toBe('28P01');

      expect((await runCli(['rotate', 'app-db', '--config', config], env)).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', () => true, 30_000, 1);
      const second = await readPolicy(dir, 'app-db');
      secrets.push(...secretsOf(second));
      expect(await login('app', second.current!.value.reveal())).toBe('app');
      expect(await login('app', first.current!.value.reveal())).toBe('28P01');
      expect(second.previous).toMatchObject({ revokedAt: expect.any(Number) });
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    // rotad check verifies the current password by logging in with it: no ALTER ROLE.
    const alters = async (): Promise<number> => (await server.log()).split('ALTER ROLE "app"').length;
    const before = await alters();
    const checked = await runCli(['check', '--config', config], { PG_MANAGER_PASSWORD: server.adminPassword });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('manager postgres logs in (TLS verify-full) and may set passwords (superuser); app exist');
    expect(await alters()).toBe(before);
    const log = await server.log();
    expect(log).toMatch(/ALTER ROLE "app" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    // The test's own CREATE ROLE statements are logged with their passwords; none of rotad's is.
    for (const secret of secretsOf(await readPolicy(dir, 'app-db'))) expect(log.includes(secret), 'a password rotad set in the server log').toBe(false);
    expect(log).toContain('app-initial-password');
    expectNoSecretsInOutput(secrets);
  }, 90_000);

  it('config/examples/postgres.yaml runs as written', async () => {
    const state = await tempDir();
    const daemon = DaemonProcess.start('config/examples/postgres.yaml', {
      PG_HOST: '127.0.0.1',
      PG_PORT: String(server.port),
      PG_CA_FILE: server.caFile,
      PG_MANAGER_PASSWORD: server.adminPassword,
      ROTAD_STATE_DIR: state,
      ROTAD_HEALTH_PORT: '0',
    });
    try {
      await daemon.waitForMessage('Rotation completed', (e) => e.policy === 'shop-db', 30_000);
      const policy = await readPolicy(state, 'shop-db', openExampleStore(state));
      secrets.push(...secretsOf(policy));
      expect(await login('shop_alt', policy.current!.value.reveal())).toBe('shop_alt');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  }, 60_000);

  it("alternating-users: creates the second role with the first one's rights, disables the old role only once its sessions have ended; never both disabled", async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(dir, policy('shop-db', 'strategy: alternating-users, user: shop, createSecondUser: true'));
    const env = { PG_MANAGER_PASSWORD: server.adminPassword };
    const daemon = DaemonProcess.start(config, env);
    let held: pg.Client | undefined;
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(first));
      expect(first.current?.id).toBe('shop_alt');
      // The second role has the first one's rights (a member of it).
      const asAlt = await connect('shop_alt', first.current!.value.reveal());
      expect((await asAlt.query('SELECT count(*) FROM orders')).rows).toEqual([{ count: '0' }]);
      await asAlt.end();
      expect(await login('shop', 'shop-initial-password')).toBe('shop');

      // An application still holds a session as shop_alt when the next rotation wants to disable it.
      held = await connect('shop_alt', first.current!.value.reveal(), 'billing-app');
      expect((await runCli(['rotate', 'shop-db', '--config', config], env)).code).toBe(0);
      const waiting = await daemon.waitForMessage('Step failed, retrying', (e) => e.phase === 'revoke', 30_000);
      expect(JSON.stringify(waiting.error)).toMatch(/CREDENTIAL_IN_USE.*1 session of the old role shop_alt still open \(billing-app from 127\.0\.0\.1\)/);
      const during = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(during));
      expect(during.current?.id).toBe('shop');
      expect(await login('shop', during.current!.value.reveal())).toBe('shop');
      expect(await login('shop_alt', first.current!.value.reveal())).toBe('shop_alt');
      await held.end();
      held = undefined;
      await daemon.waitForMessage('Rotation completed', () => true, 30_000, 1);
      expect(await login('shop_alt', first.current!.value.reveal())).toBe('28000');
      expect(await login('shop', during.current!.value.reveal())).toBe('shop');

      // The third rotation gives shop_alt back a login, with a new password.
      expect((await runCli(['rotate', 'shop-db', '--config', config], env)).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', () => true, 30_000, 2);
      const third = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(third));
      expect(third.current?.id).toBe('shop_alt');
      expect(await login('shop_alt', third.current!.value.reveal())).toBe('shop_alt');
      expect(await login('shop', during.current!.value.reveal())).toBe('28000');
    } finally {
      await held?.end();
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 120_000);

  it('a session that never ends: stops before revoke, the old login still works; a manager without CREATEROLE and a server down are named', async () => {
    const dir = await tempDir();
    const client = await admin();
    await client.query(`CREATE ROLE stuck LOGIN PASSWORD 'stuck-initial-password'`);
    await client.query(`CREATE ROLE stuck_alt LOGIN PASSWORD 'stuck-alt-initial-password'`);
    await client.query(`CREATE ROLE weak LOGIN PASSWORD 'weak-manager-password'`);
    await client.end();
    secrets.push('stuck-initial-password', 'stuck-alt-initial-password', 'weak-manager-password');
    const config = await writeSaasConfig(dir, policy('stuck-db', 'strategy: alternating-users, user: stuck'));
    const env = { PG_MANAGER_PASSWORD: server.adminPassword };
    const daemon = DaemonProcess.start(config, env);
    let held: pg.Client | undefined;
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'stuck-db');
      secrets.push(...secretsOf(first));
      held = await connect('stuck_alt', first.current!.value.reveal(), 'cron-job');
      expect((await runCli(['rotate', 'stuck-db', '--config', config], env)).code).toBe(0);
      const stopped = await daemon.waitForMessage('Rotation needs attention', () => true, 60_000);
      expect(stopped).toMatchObject({ phase: 'revoke', code: 'CREDENTIAL_IN_USE' });
      expect(String(stopped.reason)).toContain('cron-job from 127.0.0.1');
      secrets.push(...secretsOf(await readPolicy(dir, 'stuck-db')));
      expect(await login('stuck_alt', first.current!.value.reveal())).toBe('stuck_alt');
    } finally {
      await held?.end();
      expect((await daemon.stop()).code).toBe(0);
    }

    const weakDir = await tempDir();
    const weak = await writeSaasConfig(weakDir, policy('weak-db', 'user: app').replace('manager: { user: postgres', 'manager: { user: weak'));
    const weakCheck = await runCli(['check', '--config', weak], { PG_MANAGER_PASSWORD: 'weak-manager-password' });
    expect(weakCheck.code).toBe(1);
    expect(weakCheck.stdout).toContain('the manager role weak lacks CREATEROLE');
    const refused = DaemonProcess.start(weak, { PG_MANAGER_PASSWORD: 'weak-manager-password' });
    try {
      const stopped = await refused.waitForMessage('Rotation needs attention', () => true, 30_000);
      expect(stopped).toMatchObject({ phase: 'verify', code: 'PROVIDER_REJECTED' });
      expect(String(stopped.reason)).toMatch(/the manager role needs CREATEROLE/);
    } finally {
      expect((await refused.stop()).code).toBe(0);
    }
    const downDir = await tempDir();
    const down = await writeSaasConfig(downDir, policy('down-db', 'user: app').replace(`port: ${server.port}`, 'port: 1'));
    const unreachable = DaemonProcess.start(down, env);
    try {
      const retried = await unreachable.waitForMessage('Step failed, retrying', () => true, 30_000);
      expect(JSON.stringify(retried.error)).toMatch(/PROVIDER_UNAVAILABLE.*PostgreSQL did not answer/);
    } finally {
      expect((await unreachable.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 150_000);
});
