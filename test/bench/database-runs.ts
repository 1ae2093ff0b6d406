import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { nativePasswordHash } from '../../src/providers/mysql/index.js';
import { newPassword } from '../../src/providers/database-passwords.js';
import { scramVerifier } from '../../src/providers/postgres/scram.js';
import { startMariadb } from '../servers/mariadb.js';
import { startPostgres } from '../servers/postgres.js';
import { rotateFleet, type RotationRun } from './store-runs.js';

export type DatabaseKind = 'postgres' | 'mysql';

/** One database server for the bench: how to reach it as admin, and one rotation's SQL sent raw. */
interface BenchDatabase {
  provider: (i: number) => string;
  /** Creates the accounts bench_0 … bench_{n-1}. */
  createAccounts(n: number): Promise<void>;
  /** What one single-user rotation with a previous password sends, without rotad: 5 logins (new refused, admin, new, admin, old refused) and 2 password changes. */
  rawRotation(i: number, old: string): Promise<string>;
  stop(): Promise<void>;
}

async function postgresBench(): Promise<BenchDatabase> {
  const { server, stop } = await startPostgres();
  const ca = await readFile(server.caFile, 'utf8');
  process.env.BENCH_DB_PASSWORD = server.adminPassword;
  const connect = async (user: string, password: string): Promise<pg.Client | undefined> => {
    const client = new pg.Client({ host: server.host, port: server.port, database: 'postgres', user, password, ssl: { ca } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch {
      return undefined;
    }
  };
  const admin = (sql: string) => connect(server.adminUser, server.adminPassword).then(async (c) => (await c!.query(sql), await c!.end()));
  const login = async (user: string, password: string): Promise<void> => void (await (await connect(user, password))?.end());
  return {
    provider: (i) =>
      `{ type: postgres, host: 127.0.0.1, port: ${server.port}, user: bench_${i}, manager: { user: postgres, passwordEnv: BENCH_DB_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} } }`,
    createAccounts: async (n) => {
      for (let i = 0; i < n; i += 1) await admin(`CREATE ROLE bench_${i} LOGIN PASSWORD '${newPassword(32)}'`);
    },
    rawRotation: async (i, old) => {
      const next = newPassword(32);
      await login(`bench_${i}`, next);
      await admin(`ALTER ROLE bench_${i} WITH LOGIN PASSWORD '${scramVerifier(next)}'`);
      await login(`bench_${i}`, next);
      await admin(`ALTER ROLE bench_${i} WITH LOGIN PASSWORD '${scramVerifier(next)}'`);
      await login(`bench_${i}`, old);
      return next;
    },
    stop,
  };
}

async function mysqlBench(): Promise<BenchDatabase> {
  const { server, stop } = await startMariadb();
  const ca = await readFile(server.caFile, 'utf8');
  process.env.BENCH_DB_PASSWORD = server.adminPassword;
  const connect = (user: string, password: string): Promise<mysql.Connection | undefined> =>
    mysql.createConnection({ host: server.host, port: server.port, user, password, ssl: { ca } }).catch(() => undefined);
  const admin = async (sql: string): Promise<void> => {
    const c = (await connect(server.adminUser, server.adminPassword))!;
    await c.query(sql);
    await c.end();
  };
  const login = async (user: string, password: string): Promise<void> => void (await (await connect(user, password))?.end());
  return {
    provider: (i) =>
      `{ type: mysql, host: 127.0.0.1, port: ${server.port}, user: bench_${i}, manager: { user: admin, passwordEnv: BENCH_DB_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} } }`,
    createAccounts: async (n) => {
      for (let i = 0; i < n; i += 1) await admin(`CREATE USER 'bench_${i}'@'%' IDENTIFIED BY '${newPassword(32)}'`);
    },
    rawRotation: async (i, old) => {
      const next = newPassword(32);
      const set = `ALTER USER 'bench_${i}'@'%' IDENTIFIED WITH mysql_native_password AS '${nativePasswordHash(next)}' ACCOUNT UNLOCK`;
      await login(`bench_${i}`, next);
      await admin(set);
      await login(`bench_${i}`, next);
      await admin(set);
      await login(`bench_${i}`, old);
      return next;
    },
    stop,
  };
}

/**
 * `n` single-user policies on one database server, rotated by the real scheduler and engine at
 * `concurrency` (file store): round 1 their first rotations, round 2 one SIGUSR2 rotation each (a
 * rotation with a previous password to confirm refused). Then the same SQL and logins sent raw at
 * the same concurrency, for the raw rate.
 */
export async function databaseThroughput(kind: DatabaseKind, n: number, concurrency: number): Promise<{ rotad: RotationRun; rawPerS: number }> {
  const database = kind === 'postgres' ? await postgresBench() : await mysqlBench();
  const dir = await mkdtemp(join(tmpdir(), `rotad-bench-${kind}-`));
  try {
    await database.createAccounts(n);
    const runs = await rotateFleet('file', dir, undefined, { count: n, concurrency, prefix: `db${Date.now()}`, rounds: 2, provider: database.provider });
    const passwords = Array.from({ length: n }, () => newPassword(32));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < n; i = next++) passwords[i] = await database.rawRotation(i, passwords[i]!);
      }),
    );
    return { rotad: runs[1]!, rawPerS: n / ((performance.now() - started) / 1000) };
  } finally {
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
