import type { Client } from 'pg';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { databaseTls, isTlsRefusal, managerPassword } from '../database-passwords.js';
import type { PostgresProviderOptions } from './schema.js';

/** Server answers that mean "this login is refused": a wrong password, or a role that may not log in. */
const LOGIN_REFUSED = new Set(['28P01', '28000']);

/** A session of a role, as pg_stat_activity shows it (never its query). */
interface RoleSession {
  application: string;
  address: string;
}

/** Quotes a role name for SQL (the schema allows only [a-z0-9_], quoted anyway). */
export const quoteRole = (role: string): string => `"${role.replaceAll('"', '""')}"`;

/** What a failed connection or statement means for rotad; the server's messages name roles, never passwords. */
function pgError(action: string, error: unknown): RotadError {
  if (error instanceof RotadError) return error;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code !== undefined && LOGIN_REFUSED.has(code)) return new RotadError('PROVIDER_REJECTED', `PostgreSQL refused ${action}: ${message ?? code}`);
  if (code === '42501')
    return new RotadError(
      'PROVIDER_REJECTED',
      `PostgreSQL refused ${action} (${message ?? 'insufficient privilege'}): the manager role needs CREATEROLE (or superuser)`,
    );
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code))
    return new RotadError('PROVIDER_BAD_RESPONSE', `PostgreSQL refused ${action}: ${message ?? code} (${code})`);
  if (isTlsRefusal(message))
    return new RotadError('PROVIDER_REJECTED', `PostgreSQL's TLS certificate was not accepted for ${action}: ${message}; check tls.caFile and host`);
  return new RotadError('PROVIDER_UNAVAILABLE', `PostgreSQL did not answer ${action}: ${message ?? String(error)}; trying again`, {
    retryable: true,
    cause: error,
  });
}

/** Connections to one PostgreSQL server, as the manager or as a role whose password rotad holds. */
export class PostgresSessions {
  readonly #options: PostgresProviderOptions;
  readonly #configDir: string;

  constructor(options: PostgresProviderOptions, configDir: string) {
    this.#options = options;
    this.#configDir = configDir;
  }

  /** Runs `work` on a new connection as `user`, closed afterwards. */
  async #as<T>(user: string, password: string, action: string, signal: AbortSignal, work: (client: Client) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const pg = (await import('pg')).default;
    const { host, port, database, timeout } = this.#options;
    const ms = durationMs(timeout);
    const client = new pg.Client({
      host,
      port,
      database,
      user,
      password,
      ssl: databaseTls(this.#options.tls, host, this.#configDir),
      connectionTimeoutMillis: ms,
      statement_timeout: ms,
      application_name: 'rotad',
    });
    client.on('error', () => undefined);
    const onAbort = (): void => void client.end().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      return await work(client);
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw pgError(action, error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    }
  }

  /** As the manager role. */
  asManager<T>(action: string, signal: AbortSignal, work: (client: Client) => Promise<T>): Promise<T> {
    return this.#as(this.#options.manager.user, managerPassword(this.#options.manager, this.#configDir), action, signal, work);
  }

  /** Logs in as `role` with `password`: the role the server says it is, or `undefined` when the login is refused. */
  async login(role: string, password: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await this.#as(role, password, `a login as ${role}`, signal, async (client) => {
        const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
        return rows[0]?.user ?? '';
      });
    } catch (error) {
      if (error instanceof RotadError && error.code === 'PROVIDER_REJECTED' && !/TLS/.test(error.message)) return undefined;
      throw error;
    }
  }

  /** The sessions of `role` other than rotad's own, newest first (application name and client address; never their queries). */
  sessionsOf(role: string, signal: AbortSignal): Promise<RoleSession[]> {
    return this.asManager(`reading pg_stat_activity for ${role}`, signal, async (client) => {
      const { rows } = await client.query<{ application: string | null; address: string | null }>(
        `SELECT application_name AS application, host(client_addr) AS address FROM pg_stat_activity
         WHERE usename = $1 AND pid <> pg_backend_pid() ORDER BY backend_start DESC`,
        [role],
      );
      return rows.map((r) => ({ application: r.application || 'unnamed', address: r.address ?? 'local socket' }));
    });
  }
}
