import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { openStore } from '../helpers/store-kinds.js';
import { startMariadb } from '../servers/mariadb.js';
import { startPostgres } from '../servers/postgres.js';
import { Fleet, killRunConfig, pause, randomBetween, RECORDER, settle } from './harness.js';

/** A database server for the kill runs: its accounts, logins and whether an account may log in. */
interface KillTarget {
  port: number;
  caFile: string;
  adminUser: string;
  adminPassword: string;
  /** The account `user` logs in as with `password`, or undefined when refused. */
  loginAs(user: string, password: string): Promise<string | undefined>;
  /** Whether each of `users` may log in (LOGIN, not locked). */
  canLogIn(users: string[]): Promise<boolean[]>;
  createAccount(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

async function postgresTarget(): Promise<KillTarget> {
  const { server, stop } = await startPostgres();
  const ca = await readFile(server.caFile, 'utf8');
  const connect = async (user: string, password: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: server.host, port: server.port, database: 'postgres', user, password, ssl: { ca } });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const admin = async <T>(run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = await connect(server.adminUser, server.adminPassword);
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };
  return {
    ...server,
    loginAs: async (user, password) => {
      try {
        const c = await connect(user, password);
        const { rows } = await c.query<{ u: string }>('SELECT current_user AS u');
        await c.end();
        return rows[0]!.u;
      } catch {
        return undefined;
      }
    },
    canLogIn: (users) =>
      admin(async (c) => {
        const { rows } = await c.query<{ rolname: string; rolcanlogin: boolean }>('SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1)', [users]);
        return users.map((u) => rows.find((r) => r.rolname === u)?.rolcanlogin ?? false);
      }),
    createAccount: (user, password) => admin(async (c) => void (await c.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`))),
    stop,
  };
}

async function mariadbTarget(): Promise<KillTarget> {
  const { server, stop } = await startMariadb();
  const ca = await readFile(server.caFile, 'utf8');
  const connect = (user: string, password: string): Promise<mysql.Connection> =>
    mysql.createConnection({ host: server.host, port: server.port, user, password, ssl: { ca } });
  const admin = async <T>(run: (c: mysql.Connection) => Promise<T>): Promise<T> => {
    const c = await connect(server.adminUser, server.adminPassword);
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };
  return {
    ...server,
    loginAs: async (user, password) => {
      try {
        const c = await connect(user, password);
        const [rows] = await c.query('SELECT CURRENT_USER() AS account');
        await c.end();
        return String((rows as Array<{ account: string }>)[0]!.account).split('@')[0];
      } catch {
        return undefined;
      }
    },
    canLogIn: (users) =>
      admin(async (c) => {
        const [rows] = await c.query("SELECT User AS user, JSON_VALUE(Priv, '$.account_locked') AS locked FROM mysql.global_priv WHERE User IN (?)", [users]);
        const found = rows as Array<{ user: string; locked: string | null }>;
        return users.map((u) => found.some((r) => r.user === u && r.locked !== 'true'));
      }),
    createAccount: (user, password) =>
      admin(async (c) => {
        await c.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      }),
    stop,
  };
}

const TARGETS = { postgres: postgresTarget, mysql: mariadbTarget } as const;

/** The kill run of one database provider: a single-user policy and a pair of accounts in turn. */
export function databaseKills(kind: keyof typeof TARGETS, kills: number): void {
  const POLICIES = {
    [`${kind}-single`]: 'user: chaos_single',
    [`${kind}-pair`]: `strategy: alternating-users, user: chaos_pair${kind === 'postgres' ? ', createSecondUser: true' : ''}`,
  };
  const NAMES = Object.keys(POLICIES);
  const KILLS = kills;
  let server: KillTarget;
  describe(`chaos: SIGKILL at random instants during ${kind} rotations (single user and two users in turn)`, () => {
    beforeAll(async () => {
      server = await TARGETS[kind]();
      await server.createAccount('chaos_single', 'chaos-single-initial');
      await server.createAccount('chaos_pair', 'chaos-pair-initial');
      // mysql creates no second account: it exists with the first one's rights, as its page asks.
      if (kind === 'mysql') await server.createAccount('chaos_pair_alt', 'chaos-pair-alt-initial');
    }, 120_000);
    afterAll(() => server?.stop());

    it(
      `${KILLS} kills: nothing lost or duplicated, nothing wedged, the two roles never disabled together`,
      async () => {
        const { dir, config, store } = await killRunConfig(
          (dir) =>
            `${Object.entries(POLICIES)
              .map(
                ([name, provider]) => `  - name: ${name}
    provider: { type: ${kind}, host: 127.0.0.1, port: ${server.port}, manager: { user: ${server.adminUser}, passwordEnv: DB_MANAGER_PASSWORD }, tls: { mode: verify-full, caFile: ${server.caFile} }, timeout: 3s, ${provider} }
    secret: { fields: { username: credentialId, password: value } }
    schedule: { every: 30d }
    grace: 0s
    rotateOnSignal: true
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/consumer-${name}.log"], timeout: 3s }`,
              )
              .join('\n')}`,
        );
        // A watcher of the pair: both roles without LOGIN at any instant would lock the application out.
        let bothDisabled = 0;
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            if ((await server.canLogIn(['chaos_pair', 'chaos_pair_alt'])).every((can) => !can)) bothDisabled += 1;
            await pause(50);
          }
        })();

        const fleet = new Fleet({ DB_MANAGER_PASSWORD: server.adminPassword });
        for (let kill = 0; kill < KILLS; kill += 1) {
          const daemon = fleet.start(config);
          await fleet.request(config);
          await pause(randomBetween(0, 1_500));
          await fleet.kill(daemon);
        }
        const last = fleet.start(config);
        await fleet.request(config);
        await settle(store, 120_000, NAMES);
        expect((await last.stop()).code).toBe(0);
        watching = false;
        await watcher;

        const problems: string[] = [];
        const secrets = [server.adminPassword];
        const completions = new Map<string, number>();
        for (const e of fleet.entries('Rotation completed')) completions.set(String(e.rotation), (completions.get(String(e.rotation)) ?? 0) + 1);
        const duplicated = [...completions.values()].filter((n) => n > 1).length;
        let lost = 0;
        let wedged = 0;
        const handle = openStore(store);
        for (const name of NAMES) {
          const snapshot = await handle.read({ name });
          secrets.push(...[snapshot.current, snapshot.previous, snapshot.pending].flatMap((c) => (c ? [c.value.reveal()] : [])));
          if (snapshot.state.phase !== 'idle' || snapshot.state.attention || snapshot.pending) {
            wedged += 1;
            problems.push(`${name} is wedged: ${snapshot.state.phase} ${snapshot.state.attention?.message ?? ''}`);
          }
          const current = snapshot.current!;
          if ((await server.loginAs(current.id!, current.value.reveal())) !== current.id) {
            lost += 1;
            problems.push(`${name}: the current credential (${current.id}) does not log in`);
          }
          const handed = (await readFile(join(dir, `consumer-${name}.log`), 'utf8')).trim().split('\n');
          const values = new Map<string, Set<string>>();
          for (const line of handed) {
            const [id = '', value = ''] = line.split(' ');
            values.set(id, (values.get(id) ?? new Set()).add(value));
            secrets.push(value);
          }
          for (const [id, set] of values) if (set.size > 1) problems.push(`${name}: rotation ${id} handed ${set.size} values`);
          if (handed.at(-1)?.split(' ')[1] !== current.value.reveal()) {
            lost += 1;
            problems.push(`${name}: the consumer's last value is not the current credential`);
          }
        }
        await handle.close();
        const report = {
          kills: KILLS,
          rotationsStarted: new Set(fleet.entries('Rotation started').map((e) => String(e.rotation))).size,
          rotationsCompleted: completions.size,
          duplicated,
          lost,
          wedged,
          bothRolesDisabled: bothDisabled,
        };
        console.log(`${kind} chaos ${JSON.stringify(report)}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
        expect(problems).toEqual([]);
        expect(report).toMatchObject({ duplicated: 0, lost: 0, wedged: 0, bothRolesDisabled: 0 });
        expect(report.rotationsCompleted).toBeGreaterThan(0);
        expectNoSecretsInOutput(secrets);
      },
      30 * 60_000,
    );
  });
}
