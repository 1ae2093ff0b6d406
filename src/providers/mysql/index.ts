import { createHash } from 'node:crypto';
import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import { newPassword } from '../database-passwords.js';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.js';
import { MysqlConnections, quoteAccount } from './connections.js';
import { MysqlProviderOptions } from './schema.js';

/** How long a revoke waits before it looks again at the sessions of the account it would lock. */
const SESSIONS_RETRY_MS = 5_000;

/** The mysql_native_password hash of a password ('*' + SHA1(SHA1(password)) in hex): what ALTER USER is given instead of the password. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

function createMysqlProvider(options: MysqlProviderOptions, deps: AdapterDeps): Provider {
  const db = new MysqlConnections(options, deps.configDir);
  const alternating = options.strategy === 'alternating-users';
  const second = options.secondUser ?? `${options.user}_alt`;
  const account = (user: string): string => quoteAccount(user, options.accountHost);
  const target = (current: StoredCredential | undefined): string => (!alternating ? options.user : current?.id === second ? options.user : second);

  /** Sets `password` as its hash (the clear text never reaches the server or its general log) and unlocks the account. */
  async function setPassword(ctx: ProviderContext, user: string, password: string): Promise<void> {
    await db.asManager(`setting the password of ${user}`, ctx.signal, async (connection) => {
      await connection.query(`ALTER USER ${account(user)} IDENTIFIED WITH mysql_native_password AS '${nativePasswordHash(password)}' ACCOUNT UNLOCK`);
    });
  }

  return {
    steps: {
      obtain: `generate a ${options.passwordLength}-character password for ${alternating ? `the account not in use (${options.user} or ${second})` : `account ${options.user}`}`,
      verify: `log in with it to ${options.host}:${options.port} (TLS ${options.tls.mode}); when refused, set it first as its hash (ALTER USER … IDENTIFIED WITH mysql_native_password AS, the clear text never sent)`,
      revoke: alternating
        ? `once no session of the old account is left (information_schema.PROCESSLIST), ${options.disableWith === 'lock' ? 'ACCOUNT LOCK' : 'a random password nobody holds'}; confirmed when its login is refused`
        : 'nothing left to do: the old password stopped working when the new one was set; confirmed when its login is refused',
    },
    obtain: async (_ctx, current) => ({ value: new Secret(newPassword(options.passwordLength)), id: target(current) }),
    // Set at verify, after the password is stored; a password that logs in already is not set again.
    verify: async (ctx, credential) => {
      const user = credential.id ?? options.user;
      let answered = await db.login(user, credential.value.reveal(), ctx.signal);
      if (answered === undefined) {
        await ctx.keepLease?.();
        await setPassword(ctx, user, credential.value.reveal());
        answered = await db.login(user, credential.value.reveal(), ctx.signal);
      }
      if (answered === undefined) throw new RotadError('VERIFY_FAILED', `MySQL refused the login as ${user} with the new password`);
      if (answered !== user) throw new RotadError('VERIFY_FAILED', `the new password logs in as ${answered}, not as ${user}`);
    },
    revoke: async (ctx, old, current) => {
      const user = old.id ?? options.user;
      if (!alternating || user === current?.id) {
        if (current !== undefined) {
          await ctx.keepLease?.();
          await setPassword(ctx, current.id ?? options.user, current.value.reveal());
        }
        return undefined;
      }
      if ((await db.login(user, old.value.reveal(), ctx.signal)) === undefined) return undefined;
      const open = await db.sessionsOf(user, ctx.signal);
      if (open.length > 0) {
        const where = [...new Set(open.map((s) => `from ${s.address} on ${s.database}`))].slice(0, 5).join(', ');
        throw new RotadError(
          'CREDENTIAL_IN_USE',
          `${open.length} session${open.length === 1 ? '' : 's'} of the old account ${user} still open (${where}): rotad locks it once they have ended; restart or reconfigure what still holds it`,
          { retryable: true, retryAfterMs: SESSIONS_RETRY_MS },
        );
      }
      await ctx.keepLease?.();
      await db.asManager(`disabling ${user}`, ctx.signal, async (connection) => {
        await connection.query(
          options.disableWith === 'lock'
            ? `ALTER USER ${account(user)} ACCOUNT LOCK`
            : `ALTER USER ${account(user)} IDENTIFIED WITH mysql_native_password AS '${nativePasswordHash(newPassword(options.passwordLength))}'`,
        );
      });
      ctx.logger.info({ account: user }, 'Old MySQL account disabled');
      return undefined;
    },
    isRejected: async (ctx, credential) => (await db.login(credential.id ?? options.user, credential.value.reveal(), ctx.signal)) === undefined,
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

export const mysqlProvider = {
  type: 'mysql',
  /** Passwords are set by SQL. */
  assisted: false,
  schema: MysqlProviderOptions,
  create: createMysqlProvider,
} satisfies ProviderDefinition<typeof MysqlProviderOptions>;
