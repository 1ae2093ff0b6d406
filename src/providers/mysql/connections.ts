import type { Connection } from 'mysql2/promise';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { databaseTls, isTlsRefusal, managerPassword } from '../database-passwords.js';
import type { MysqlProviderOptions } from './schema.js';

/** Server answers that mean "this login is refused": a wrong password, or a locked account. */
const LOGIN_REFUSED = new Set([1045, 4151, 3118]);
/** A missing privilege of the manager. */
const PRIVILEGE = new Set([1227, 1044, 1142]);

/** A session of an account, as information_schema.PROCESSLIST shows it (never its statement). */
interface AccountSession {
  address: string;
  database: string;
}

/** Quotes an account name or host for SQL ('app'@'%'); the schema allows only plain characters, quoted anyway. */
export const quoteAccount = (user: string, host: string): string => `'${user.replaceAll("'", "''")}'@'${host.replaceAll("'", "''")}'`;

function mysqlError(action: string, error: unknown): RotadError {
  if (error instanceof RotadError) return error;
  const { errno, code, message } = (error ?? {}) as { errno?: number; code?: string; message?: string };
  if (errno !== undefined && LOGIN_REFUSED.has(errno)) return new RotadError('PROVIDER_REJECTED', `MySQL refused ${action}: ${message ?? code}`);
  if (errno !== undefined && PRIVILEGE.has(errno))
    return new RotadError(
      'PROVIDER_REJECTED',
      `MySQL refused ${action} (${message ?? code}): the manager account needs CREATE USER (and PROCESS to see sessions)`,
    );
  if (isTlsRefusal(message))
    return new RotadError('PROVIDER_REJECTED', `MySQL's TLS certificate was not accepted for ${action}: ${message}; check tls.caFile and host`);
  if (errno !== undefined && errno >= 1000 && errno < 5000)
    return new RotadError('PROVIDER_BAD_RESPONSE', `MySQL refused ${action}: ${message ?? code} (${errno})`);
  return new RotadError('PROVIDER_UNAVAILABLE', `MySQL did not answer ${action}: ${message ?? code ?? String(error)}; trying again`, {
    retryable: true,
    cause: error,
  });
}

/** Connections to one MySQL or MariaDB server, as the manager or as an account whose password rotad holds. */
export class MysqlConnections {
  constructor(
    private readonly options: MysqlProviderOptions,
    private readonly configDir: string,
  ) {}

  async #as<T>(user: string, password: string, action: string, signal: AbortSignal, work: (connection: Connection) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const mysql = (await import('mysql2/promise')).default;
    const { host, port, timeout, tls } = this.options;
    const ms = durationMs(timeout);
    let connection: Connection | undefined;
    const onAbort = (): void => void connection?.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const ssl = databaseTls(tls, host, this.configDir);
      // The TLS options are node's, which mysql2 passes to tls.connect.
      connection = await mysql.createConnection({ host, port, user, password, connectTimeout: ms, ...(ssl ? { ssl: ssl as Record<string, unknown> } : {}) });
      connection.on('error', () => undefined);
      return await work(connection);
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw mysqlError(action, error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await connection?.end().catch(() => undefined);
    }
  }

  asManager<T>(action: string, signal: AbortSignal, work: (connection: Connection) => Promise<T>): Promise<T> {
    return this.#as(this.options.manager.user, managerPassword(this.options.manager, this.configDir), action, signal, work);
  }

  /** Logs in as `user` with `password`: the account the server says it is (CURRENT_USER()), or `undefined` when refused. */
  async login(user: string, password: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await this.#as(user, password, `a login as ${user}`, signal, async (connection) => {
        const [rows] = await connection.query('SELECT CURRENT_USER() AS account');
        return String((rows as Array<{ account: string }>)[0]?.account ?? '').split('@')[0];
      });
    } catch (error) {
      if (error instanceof RotadError && error.code === 'PROVIDER_REJECTED' && !/TLS/.test(error.message)) return undefined;
      throw error;
    }
  }

  /** Open sessions of `user` (client address and database; never their statements). */
  sessionsOf(user: string, signal: AbortSignal): Promise<AccountSession[]> {
    return this.asManager(`reading information_schema.PROCESSLIST for ${user}`, signal, async (connection) => {
      const [rows] = await connection.query('SELECT HOST AS host, DB AS db FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [
        user,
      ]);
      return (rows as Array<{ host: string | null; db: string | null }>).map((r) => ({
        address: (r.host ?? 'local').replace(/:\d+$/, ''),
        database: r.db ?? 'none',
      }));
    });
  }
}
