import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../helpers/ports.js';
import { serverCertificate, serviceUser, stopServer } from './test-ca.js';

/** A real MariaDB server (Debian's mariadb-server, installed by test/servers/install.sh) on 127.0.0.1, with TLS and the general query log on. */
export interface MariadbServer {
  host: string;
  port: number;
  /** An account with every privilege, and its password. */
  adminUser: string;
  adminPassword: string;
  caFile: string;
  /** The general query log: every statement the server received. */
  log(): Promise<string>;
}

/** mariadb-install-db into a temporary directory, then mariadbd on a free port; resolves once it accepts connections. */
export async function startMariadb(): Promise<{ server: MariadbServer; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rotad-mariadb-'));
  await chmod(dir, 0o755);
  const owner = serviceUser('mysql');
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o700 });
  if (owner) await chown(data, owner.uid, owner.gid);
  const { caFile, certFile, keyFile } = await serverCertificate(dir);
  if (owner) for (const file of [certFile, keyFile]) await chown(file, owner.uid, owner.gid);
  const user = owner ? ['--user=mysql'] : [];
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], {
    stdio: 'ignore',
  });
  const port = await freePort();
  const run = join(dir, 'run');
  await mkdir(run, { mode: 0o700 });
  if (owner) await chown(run, owner.uid, owner.gid);
  const socket = join(run, 'mysqld.sock');
  const generalLog = join(data, 'general.log');
  const output: string[] = [];
  const child: ChildProcess = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(run, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      `--ssl-cert=${certFile}`,
      `--ssl-key=${keyFile}`,
      `--ssl-ca=${caFile}`,
      '--general-log=1',
      `--general-log-file=${generalLog}`,
      ...user,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const stop = (): Promise<void> => stopServer(child, 'SIGTERM', dir);
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      // root@localhost, over the socket, with no password (install-db's "normal" authentication): it makes the admin account.
      const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
      await root.query(`CREATE USER 'admin'@'%' IDENTIFIED BY '${adminPassword}'`);
      await root.query(`GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION`);
      await root.end();
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`mariadbd did not start (${(error as Error).message}):\n${output.join('').slice(-3000)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    server: { host: '127.0.0.1', port, adminUser: 'admin', adminPassword, caFile, log: () => readFile(generalLog, 'utf8') },
    stop,
  };
}
