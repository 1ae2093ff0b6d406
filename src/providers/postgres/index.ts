import type { AdapterDeps } from '../../adapters/definition.js';
import { RotadError } from '../../errors.js';
import { accountRotation, type AccountDatabase } from '../database-accounts.js';
import { newPassword } from '../database-passwords.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { PostgresProviderOptions } from './schema.js';
import { scramVerifier } from './scram.js';
import { PostgresSessions, quoteRole } from './sessions.js';

/** PostgreSQL as the rotation sees it: roles, SCRAM verifiers, pg_stat_activity. */
function postgresRoles(options: PostgresProviderOptions, sessions: PostgresSessions, second: string): AccountDatabase {
  const alternating = options.strategy === 'alternating-users';
  const where = `${options.host}:${options.port}/${options.database}`;
  return {
    noun: 'role',
    login: (role, password, signal) => sessions.login(role, password, signal),
    // The SCRAM verifier, never the password: the clear text reaches neither the server nor its statement log.
    setPassword: (ctx, role, password) =>
      sessions.asManager(`setting the password of ${role}`, ctx.signal, async (client) => {
        if (alternating && options.createSecondUser && role === second) {
          const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
          if (rowCount === 0) {
            await client.query(`CREATE ROLE ${quoteRole(role)} LOGIN IN ROLE ${quoteRole(options.user)}`);
            ctx.logger.info({ role, memberOf: options.user }, 'PostgreSQL role created (a member of the first: it has its rights)');
          }
        }
        await client.query(`ALTER ROLE ${quoteRole(role)} WITH LOGIN PASSWORD '${scramVerifier(password)}'`);
      }),
    disable: (ctx, role) =>
      sessions.asManager(`disabling ${role}`, ctx.signal, async (client) => {
        await client.query(
          options.disableWith === 'nologin'
            ? `ALTER ROLE ${quoteRole(role)} WITH NOLOGIN`
            : `ALTER ROLE ${quoteRole(role)} WITH PASSWORD '${scramVerifier(newPassword(options.passwordLength))}'`,
        );
      }),
    sessionsOf: async (role, signal) => (await sessions.sessionsOf(role, signal)).map((s) => `${s.application} from ${s.address}`),
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

function createPostgresProvider(options: PostgresProviderOptions, deps: AdapterDeps): Provider {
  const second = options.secondUser ?? `${options.user}_alt`;
  const alternating = options.strategy === 'alternating-users';
  const where = `${options.host}:${options.port}/${options.database}`;
  return accountRotation(postgresRoles(options, new PostgresSessions(options, deps.configDir), second), {
    strategy: options.strategy,
    user: options.user,
    second,
    passwordLength: options.passwordLength,
    steps: {
      obtain: `generate a ${options.passwordLength}-character password for ${alternating ? `the role not in use (${options.user} or ${second})` : `role ${options.user}`}`,
      verify: `log in with it to ${where} (TLS ${options.tls.mode}); when refused, set it first as a SCRAM-SHA-256 verifier (ALTER ROLE … PASSWORD, the clear text never sent)`,
      revoke: alternating
        ? `once no session of the old role is left (pg_stat_activity), disable it (${options.disableWith === 'nologin' ? 'ALTER ROLE … NOLOGIN' : 'a random password nobody holds'}); confirmed when its login is refused`
        : `nothing left to do: the old password stopped working when the new one was set; confirmed when its login is refused`,
    },
  });
}

export const postgresProvider = {
  type: 'postgres',
  /** Passwords are set by SQL. */
  assisted: false,
  schema: PostgresProviderOptions,
  create: createPostgresProvider,
} satisfies ProviderDefinition<typeof PostgresProviderOptions>;
