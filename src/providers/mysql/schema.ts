import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { DatabaseOptions } from '../database-passwords.js';

/** A MySQL/MariaDB account name rotad writes into SQL (quoted): plain letters, digits and _. */
const AccountName = z
  .string()
  .max(80)
  .regex(/^[A-Za-z0-9_]+$/, { error: 'expected an account name of letters, digits and _' });

/** Options of the `mysql` provider: rotates the password of an application's account on MariaDB (or MySQL). */
export const MysqlProviderOptions = z.strictObject({
  type: z.literal('mysql'),
  host: z.string().min(1),
  port: z.int().min(1).max(65535).default(3306),
  /**
   * `single-user`: one account, its password replaced. `alternating-users`: two accounts with the
   * same grants (`createSecondUser`, or create it yourself); each rotation sets a new password on
   * the one not in use, then locks the other.
   */
  strategy: z.enum(['single-user', 'alternating-users']).default('single-user'),
  user: AccountName,
  /** alternating-users: the second account. Default: `<user>_alt`. */
  secondUser: AccountName.optional(),
  /** alternating-users: create the second account when missing, with the first one's grants (SHOW GRANTS, replayed). Default: false. */
  createSecondUser: z.boolean().default(false),
  /** The host part of both accounts ('app'@'%'). Default: %. */
  accountHost: z
    .string()
    .regex(/^[A-Za-z0-9_.%:-]+$/, { error: 'expected a host pattern such as % or 10.0.%' })
    .default('%'),
  /** alternating-users: how the account not in use is disabled: `lock` (ACCOUNT LOCK, default) or a `random-password` nobody holds. Never dropped. */
  disableWith: z.enum(['lock', 'random-password']).default('lock'),
  /** The manager account needs CREATE USER, and PROCESS to see others' sessions. */
  ...DatabaseOptions,
  /** Per connection and statement. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type MysqlProviderOptions = z.infer<typeof MysqlProviderOptions>;
