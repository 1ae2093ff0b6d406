import { readFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, expectNoSecretsInOutput, runCli } from '../../../helpers/daemon.js';
import { writeSaasConfig } from '../../../helpers/saas.js';
import { readPolicy, secretsOf } from '../../../helpers/store.js';
import { tempDir } from '../../../helpers/workspace.js';
import { startMariadb, type MariadbServer } from '../../../servers/mariadb.js';

let server: MariadbServer;
let stopServer: () => Promise<void>;
const secrets: string[] = [];

async function connect(user: string, password: string): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ host: server.host, port: server.port, user, password, ssl: { ca: await readFile(server.caFile, 'utf8') } });
  connection.on('error', () => undefined);
  return connection;
}

/** The account `user` logs in as with `password`, or the server's refusal errno. */
async function login(user: string, password: string): Promise<string> {
  try {
    const connection = await connect(user, password);
    const [rows] = await connection.query('SELECT CURRENT_USER() AS account');
    await connection.end();
    return String((rows as Array<{ account: string }>)[0]!.account).split('@')[0]!;
  } catch (error) {
    return String((error as { errno?: number }).errno);
  }
}

const policy = (name: string, provider: string): string => `  - name: ${name}
    provider: { type: mysql, host: 127.0.0.1, port: ${server.port}, manager: { user: admin, passwordEnv: MYSQL_MANAGER_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} }, ${provider} }
    secret: { fields: { username: credentialId, password: value } }
    schedule: { every: 30d }
    grace: 0s`;
const env = (): Record<string, string> => ({ MYSQL_MANAGER_PASSWORD: server.adminPassword });

describe('mysql on a real MariaDB 10.11 (TLS verify-full, general query log on)', () => {
  beforeAll(async () => {
    ({ server, stop: stopServer } = await startMariadb());
    secrets.push(server.adminPassword);
    const admin = await connect(server.adminUser, server.adminPassword);
    await admin.query('CREATE DATABASE shopdb');
    await admin.query('CREATE TABLE shopdb.orders (id int)');
    for (const [user, password] of [
      ['app', 'app-initial-password'],
      ['shop', 'shop-initial-password'],
      ['shop_alt', 'shop-alt-initial-password'],
    ] as const) {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      secrets.push(password);
    }
    await admin.query(`GRANT SELECT ON shopdb.* TO 'shop'@'%'`);
    await admin.query(`GRANT SELECT ON shopdb.* TO 'shop_alt'@'%'`);
    await admin.end();
  }, 120_000);
  afterAll(() => stopServer?.());

  it('single-user: sets the new password as its hash, logs in with it, the old one is refused; no password rotad set reaches the general log', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(dir, policy('app-db', 'user: app'));
    const daemon = DaemonProcess.start(config, env());
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'app-db');
      expect(await login('app', first.current!.value.reveal())).toBe('app');
      expect(await login('app', 'app-initial-password')).toBe('1045');
      expect((await runCli(['rotate', 'app-db', '--config', config], env())).code).toBe(0);
      await daemon.waitForMessage('Rotation completed', () => true, 30_000, 1);
      const second = await readPolicy(dir, 'app-db');
      secrets.push(...secretsOf(first, second));
      expect(await login('app', second.current!.value.reveal())).toBe('app');
      expect(await login('app', first.current!.value.reveal())).toBe('1045');
      const log = await server.log();
      expect(log).toMatch(/ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '\*[0-9A-F]{40}'/);
      expect(log).toContain('app-initial-password'); // the test's own CREATE USER: the log records statements
      const checked = await runCli(['check', '--config', config], env());
      expect(checked.code, checked.stdout).toBe(0);
      expect(checked.stdout).toContain('manager admin logs in (TLS verify-full) and may set passwords');
      for (const secret of secretsOf(first, second)) expect(log.includes(secret), 'a password rotad set in the general log').toBe(false);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 90_000);

  it('alternating-users: locks the old account only once its sessions have ended; a session that never ends stops the rotation before revoke', async () => {
    const dir = await tempDir();
    const config = await writeSaasConfig(dir, policy('shop-db', 'strategy: alternating-users, user: shop'));
    const daemon = DaemonProcess.start(config, env());
    let held: mysql.Connection | undefined;
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(first));
      expect(first.current?.id).toBe('shop_alt');
      const asAlt = await connect('shop_alt', first.current!.value.reveal());
      expect((await asAlt.query('SELECT count(*) AS n FROM shopdb.orders'))[0]).toEqual([{ n: 0 }]);
      await asAlt.end();

      held = await connect('shop_alt', first.current!.value.reveal());
      await held.query('USE shopdb');
      expect((await runCli(['rotate', 'shop-db', '--config', config], env())).code).toBe(0);
      const waiting = await daemon.waitForMessage('Step failed, retrying', (e) => e.phase === 'revoke', 30_000);
      expect(JSON.stringify(waiting.error)).toMatch(/CREDENTIAL_IN_USE.*1 session of the old account shop_alt still open \(from 127\.0\.0\.1 on shopdb\)/);
      const second = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(second));
      expect(await login('shop', second.current!.value.reveal())).toBe('shop');
      await held.end();
      held = undefined;
      await daemon.waitForMessage('Rotation completed', () => true, 30_000, 1);
      expect(await login('shop_alt', first.current!.value.reveal())).toBe('4151'); // locked
      expect(await login('shop', second.current!.value.reveal())).toBe('shop');

      // A session of shop that never ends: after the retries, needs attention before revoke; shop still logs in.
      held = await connect('shop', second.current!.value.reveal());
      expect((await runCli(['rotate', 'shop-db', '--config', config], env())).code).toBe(0);
      const stopped = await daemon.waitForMessage('Rotation needs attention', () => true, 60_000);
      expect(stopped).toMatchObject({ phase: 'revoke', code: 'CREDENTIAL_IN_USE' });
      const third = await readPolicy(dir, 'shop-db');
      secrets.push(...secretsOf(third));
      expect(third.current?.id).toBe('shop_alt');
      expect(await login('shop_alt', third.current!.value.reveal())).toBe('shop_alt'); // unlocked with its new password
      expect(await login('shop', second.current!.value.reveal())).toBe('shop');
    } finally {
      await held?.end();
      expect((await daemon.stop()).code).toBe(0);
    }
    expectNoSecretsInOutput(secrets);
  }, 150_000);

  it("createSecondUser: creates the second account with the first one's grants, and rotates to it", async () => {
    const admin = await connect(server.adminUser, server.adminPassword);
    await admin.query(`CREATE USER 'orders'@'%' IDENTIFIED BY 'orders-initial-password'`);
    await admin.query(`GRANT SELECT, INSERT ON shopdb.* TO 'orders'@'%'`);
    await admin.end();
    secrets.push('orders-initial-password');
    const dir = await tempDir();
    const config = await writeSaasConfig(dir, policy('orders-db', 'strategy: alternating-users, user: orders, createSecondUser: true'));
    const daemon = DaemonProcess.start(config, env());
    try {
      await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      const first = await readPolicy(dir, 'orders-db');
      secrets.push(...secretsOf(first));
      expect(first.current?.id).toBe('orders_alt');
      const asAlt = await connect('orders_alt', first.current!.value.reveal());
      await asAlt.query('INSERT INTO shopdb.orders VALUES (1)');
      expect((await asAlt.query('SELECT count(*) AS n FROM shopdb.orders'))[0]).toEqual([{ n: 1 }]);
      await asAlt.end();
      expect(await login('orders', 'orders-initial-password')).toBe('orders');
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    const log = await server.log();
    for (const secret of secretsOf(await readPolicy(dir, 'orders-db'))) expect(log.includes(secret)).toBe(false);
    expectNoSecretsInOutput(secrets);
  }, 60_000);
});
