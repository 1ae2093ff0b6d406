import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { RotadError } from '../errors.js';

/** What the database providers (postgres, mysql) share: passwords they generate, the manager's login, TLS. */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A password of letters and digits (no quoting, no SASLprep surprises), from the CSPRNG. */
export const newPassword = (length: number): string => Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

/** The manager's password, from its environment variable or file (relative to the config file); never from the config itself. */
export function managerPassword(manager: { passwordEnv?: string | undefined; passwordFile?: string | undefined }, configDir: string): string {
  const { passwordEnv, passwordFile } = manager;
  const password = passwordEnv !== undefined ? process.env[passwordEnv] : readFileSync(resolve(configDir, passwordFile!), 'utf8').trim();
  if (!password) throw new RotadError('CONFIG_INVALID', `the database manager's password is not set (${passwordEnv ?? passwordFile})`);
  return password;
}

/** TLS options for a database connection: verify-full checks the chain (caFile, else the system's) and the host name; require only encrypts. */
export function databaseTls(
  tls: { mode: 'verify-full' | 'require' | 'disable'; caFile?: string | undefined },
  host: string,
  configDir: string,
): ConnectionOptions | false {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, servername: host, ...(tls.caFile ? { ca: readFileSync(resolve(configDir, tls.caFile), 'utf8') } : {}) };
}

/** A certificate that did not verify: a configuration problem (the CA, the host name), not an outage. */
export const isTlsRefusal = (message: string | undefined): boolean => /certificate|self[- ]signed|altnames|hostname/i.test(message ?? '');

/** The options every database provider has: the manager login (its password from a variable or a file), TLS, password length. */
export const DatabaseOptions = {
  /** The account rotad manages passwords with; its password from an environment variable or a file, never the config. */
  manager: z
    .strictObject({
      user: z.string().min(1),
      passwordEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name' })
        .optional(),
      passwordFile: z.string().min(1).optional(),
    })
    .refine((m) => (m.passwordEnv === undefined) !== (m.passwordFile === undefined), { error: 'give the manager either passwordEnv or passwordFile' }),
  /** TLS: `verify-full` (default: the server's certificate must chain to `caFile` and name `host`), `require` (encrypted, unverified) or `disable`. */
  tls: z
    .strictObject({
      mode: z.enum(['verify-full', 'require', 'disable']).default('verify-full'),
      /** CA bundle for verify-full. Default: the system's. */
      caFile: z.string().min(1).optional(),
    })
    .default({ mode: 'verify-full' }),
  /** Length of the generated passwords (letters and digits). Default: 32. */
  passwordLength: z.int().min(16).max(128).default(32),
};
