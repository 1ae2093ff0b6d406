import { createHash } from 'node:crypto';
import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { accountRotation, type AccountDatabase } from '../database-accounts.js';
import { newPassword } from '../database-passwords.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { MysqlConnections, quoteAccount } from './connections.js';
import { MysqlProviderOptions } from './schema.js';

/** The mysql_native_password hash of a password ('*' + SHA1(SHA1(password)) in hex): what ALTER USER is given instead of the password. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/** MariaDB (or MySQL) as the rotation sees it: accounts, native password hashes, PROCESSLIST. */
/**
 * The first account's grants as statements for the second: `SHOW GRANTS` of the first, with the
 * grantee replaced and its password clause left out (the second gets its own password).
 */
export function grantsFor(grants: string[], from: string, to: string): string[] {
  return grants
    .filter((grant) => !/^GRANT USAGE ON \*\.\* TO /.test(grant))
    .map((grant) =>
      grant
        .split(` TO ${from}`)
        .join(` TO ${to}`)
        .replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''),
    );
}

function mysqlAccounts(options: MysqlProviderOptions, db: MysqlConnections, second: string): AccountDatabase {
  const alternating = options.strategy === 'alternating-users';
  const account = (user: string): string => quoteAccount(user, options.accountHost);
  const identified = (password: string): string => `IDENTIFIED WITH mysql_native_password AS '${nativePasswordHash(password)}'`;
  return {
    noun: 'account',
    login: (user, password, signal) => db.login(user, password, signal),
    // The hash, never the password: the clear text reaches neither the server nor its general log.
    setPassword: (ctx, user, password) =>
      db.asManager(`setting the password of ${user}`, ctx.signal, async (connection) => {
        if (alternating && options.createSecondUser && user === second) {
          const [found] = await connection.query('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [user, options.accountHost]);
          if ((found as unknown[]).length === 0) {
            const [rows] = await connection.query(`SHOW GRANTS FOR ${account(options.user)}`);
            const grants = (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0] ?? '');
            await connection.query(`CREATE USER ${account(user)} ${identified(password)}`);
            for (const grant of grantsFor(grants, account(options.user).replaceAll("'", '`'), account(user).replaceAll("'", '`')))
              await connection.query(grant);
            ctx.logger.info({ account: user, grantsOf: options.user }, "MySQL account created with the first one's grants");
          }
        }
        await connection.query(`ALTER USER ${account(user)} ${identified(password)} ACCOUNT UNLOCK`);
      }),
    disable: (ctx, user) =>
      db.asManager(`disabling ${user}`, ctx.signal, async (connection) => {
        await connection.query(
          options.disableWith === 'lock'
            ? `ALTER USER ${account(user)} ACCOUNT LOCK`
            : `ALTER USER ${account(user)} ${identified(newPassword(options.passwordLength))}`,
        );
      }),
    sessionsOf: async (user, signal) => (await db.sessionsOf(user, signal)).map((s) => `from ${s.address} on ${s.database}`),
    check: (ctx) =>
      db.asManager('checking the manager account', ctx.signal, async (connection) => {
        const [rows] = await connection.query('SHOW GRANTS');
        const grants = (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0] ?? '');
        const all = grants.some((g) => /GRANT ALL PRIVILEGES ON \*\.\*/.test(g));
        const missing: string[] = [];
        if (!all && !grants.some((g) => /ON \*\.\*/.test(g) && /CREATE USER/.test(g))) missing.push('CREATE USER');
        if (alternating && !all && !grants.some((g) => /ON \*\.\*/.test(g) && /PROCESS/.test(g))) missing.push("PROCESS (to see the old account's sessions)");
        if (missing.length > 0)
          throw new RotadError(
            'PROVIDER_REJECTED',
            `the manager account ${options.manager.user} lacks ${missing.join(', ')} on ${options.host}:${options.port}`,
          );
        return `manager ${options.manager.user} logs in (TLS ${options.tls.mode}) and may set passwords${alternating ? ' and see sessions' : ''}`;
      }),
  };
}

function createMysqlProvider(options: MysqlProviderOptions, deps: AdapterDeps): Provider {
  const second = options.secondUser ?? `${options.user}_alt`;
  const alternating = options.strategy === 'alternating-users';
  return accountRotation(mysqlAccounts(options, new MysqlConnections(options, deps.configDir), second), {
    strategy: options.strategy,
    user: options.user,
    second,
    passwordLength: options.passwordLength,
    steps: {
      obtain: `generate a ${options.passwordLength}-character password for ${alternating ? `the account not in use (${options.user} or ${second})` : `account ${options.user}`}`,
      verify: `log in with it to ${options.host}:${options.port} (TLS ${options.tls.mode}); when refused, set it first as its hash (ALTER USER … IDENTIFIED WITH mysql_native_password AS, the clear text never sent)`,
      revoke: alternating
        ? `once no session of the old account is left (information_schema.PROCESSLIST), ${options.disableWith === 'lock' ? 'ACCOUNT LOCK' : 'a random password nobody holds'}; confirmed when its login is refused`
        : 'nothing left to do: the old password stopped working when the new one was set; confirmed when its login is refused',
    },
  });
}

export const mysqlProvider = {
  type: 'mysql',
  /** Passwords are set by SQL. */
  assisted: false,
  schema: MysqlProviderOptions,
  create: createMysqlProvider,
} satisfies ProviderDefinition<typeof MysqlProviderOptions>;
