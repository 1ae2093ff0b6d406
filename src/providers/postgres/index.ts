import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.js';
import { newPassword } from '../database-passwords.js';
import { PostgresProviderOptions } from './schema.js';
import { scramVerifier } from './scram.js';
import { PostgresSessions, quoteRole } from './sessions.js';

/** How long a revoke waits before it looks again at the sessions of the role it would disable. */
const SESSIONS_RETRY_MS = 5_000;

function createPostgresProvider(options: PostgresProviderOptions, deps: AdapterDeps): Provider {
  const sessions = new PostgresSessions(options, deps.configDir);
  const alternating = options.strategy === 'alternating-users';
  const second = options.secondUser ?? `${options.user}_alt`;
  const where = `${options.host}:${options.port}/${options.database}`;

  /** The role a new password goes to: single-user, the one role; alternating, the one not in use (the second, at the first rotation). */
  const targetOf = (current: StoredCredential | undefined): string => (!alternating ? options.user : current?.id === second ? options.user : second);

  /** Sets `password` on `role` (as its SCRAM verifier: the clear text never reaches the server), with LOGIN; creates the second role when asked. */
  async function setPassword(ctx: ProviderContext, role: string, password: string): Promise<void> {
    await sessions.asManager(`setting the password of ${role}`, ctx.signal, async (client) => {
      if (alternating && options.createSecondUser && role === second) {
        const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
        if (rowCount === 0) {
          await client.query(`CREATE ROLE ${quoteRole(role)} LOGIN IN ROLE ${quoteRole(options.user)}`);
          ctx.logger.info({ role, memberOf: options.user }, 'PostgreSQL role created (a member of the first: it has its rights)');
        }
      }
      await client.query(`ALTER ROLE ${quoteRole(role)} WITH LOGIN PASSWORD '${scramVerifier(password)}'`);
    });
  }

  return {
    steps: {
      obtain: `generate a ${options.passwordLength}-character password for ${alternating ? `the role not in use (${options.user} or ${second})` : `role ${options.user}`}`,
      verify: `log in with it to ${where} (TLS ${options.tls.mode}); when refused, set it first as a SCRAM-SHA-256 verifier (ALTER ROLE … PASSWORD, the clear text never sent)`,
      revoke: alternating
        ? `once no session of the old role is left (pg_stat_activity), disable it (${options.disableWith === 'nologin' ? 'ALTER ROLE … NOLOGIN' : 'a random password nobody holds'}); confirmed when its login is refused`
        : `nothing left to do: the old password stopped working when the new one was set; confirmed when its login is refused`,
    },
    obtain: async (_ctx, current) => ({ value: new Secret(newPassword(options.passwordLength)), id: targetOf(current) }),
    // The password is set here, after it is stored (stage): a crash before verify leaves nothing unknown at the server.
    // A password that logs in already is not set again, so `rotad check` (which verifies the current one) changes nothing.
    verify: async (ctx, credential) => {
      const role = credential.id ?? options.user;
      let user = await sessions.login(role, credential.value.reveal(), ctx.signal);
      if (user === undefined) {
        await ctx.keepLease?.();
        await setPassword(ctx, role, credential.value.reveal());
        user = await sessions.login(role, credential.value.reveal(), ctx.signal);
      }
      if (user === undefined) throw new RotadError('VERIFY_FAILED', `PostgreSQL refused the login as ${role} with the new password (${where})`);
      if (user !== role) throw new RotadError('VERIFY_FAILED', `the new password logs in as ${user}, not as ${role}`);
    },
    revoke: async (ctx, old, current) => {
      const role = old.id ?? options.user;
      if (!alternating || role === current?.id) {
        // One role: only the current password may work. Setting it again is a no-op after a rotation, and undoes an abandoned one.
        if (current !== undefined) {
          await ctx.keepLease?.();
          await setPassword(ctx, current.id ?? options.user, current.value.reveal());
        }
        return undefined;
      }
      // A password that does not log in (never set: created and not stored; or replaced since) leaves nothing to disable.
      if ((await sessions.login(role, old.value.reveal(), ctx.signal)) === undefined) return undefined;
      const open = await sessions.sessionsOf(role, ctx.signal);
      if (open.length > 0) {
        const who = [...new Set(open.map((s) => `${s.application} from ${s.address}`))].slice(0, 5).join(', ');
        throw new RotadError(
          'CREDENTIAL_IN_USE',
          `${open.length} session${open.length === 1 ? '' : 's'} of the old role ${role} still open (${who}): rotad disables it once they have ended; restart or reconfigure what still holds it`,
          { retryable: true, retryAfterMs: SESSIONS_RETRY_MS },
        );
      }
      // Still this process's policy after the looks above (a stalled process must not act on what it saw).
      await ctx.keepLease?.();
      await sessions.asManager(`disabling ${role}`, ctx.signal, async (client) => {
        await client.query(
          options.disableWith === 'nologin'
            ? `ALTER ROLE ${quoteRole(role)} WITH NOLOGIN`
            : `ALTER ROLE ${quoteRole(role)} WITH PASSWORD '${scramVerifier(newPassword(options.passwordLength))}'`,
        );
      });
      ctx.logger.info({ role }, 'Old PostgreSQL role disabled');
      return undefined;
    },
    isRejected: async (ctx, credential) => (await sessions.login(credential.id ?? options.user, credential.value.reveal(), ctx.signal)) === undefined,
    check: (ctx) =>
      sessions.asManager('checking the manager role', ctx.signal, async (client) => {
        const { rows } = await client.query<{ createrole: boolean; superuser: boolean; stats: boolean }>(
          `SELECT rolcreaterole AS createrole, rolsuper AS superuser, pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS stats FROM pg_roles WHERE rolname = current_user`,
        );
        const me = rows[0] ?? { createrole: false, superuser: false, stats: false };
        const missing: string[] = [];
        if (!me.superuser && !me.createrole) missing.push('CREATEROLE');
        if (alternating && !me.superuser && !me.stats) missing.push("pg_read_all_stats (to see the old role's sessions)");
        const wanted = alternating && !options.createSecondUser ? [options.user, second] : [options.user];
        const { rows: found } = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [wanted]);
        for (const role of wanted) if (!found.some((r) => r.rolname === role)) missing.push(`a role ${role} to manage (it does not exist)`);
        if (missing.length > 0) throw new RotadError('PROVIDER_REJECTED', `the manager role ${options.manager.user} lacks ${missing.join(', ')} on ${where}`);
        return `manager ${options.manager.user} logs in (TLS ${options.tls.mode}) and may set passwords (${me.superuser ? 'superuser' : 'CREATEROLE'}); ${wanted.join(', ')} exist`;
      }),
  };
}

export const postgresProvider = {
  type: 'postgres',
  /** Passwords are set by SQL. */
  assisted: false,
  schema: PostgresProviderOptions,
  create: createPostgresProvider,
} satisfies ProviderDefinition<typeof PostgresProviderOptions>;
