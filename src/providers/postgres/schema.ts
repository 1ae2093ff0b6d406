import { z } from 'zod';
import { DurationText } from '../../duration-text.js';
import { DatabaseOptions } from '../database-passwords.js';

/** A PostgreSQL role name rotad writes into SQL (quoted): plain letters, digits and _. */
const RoleName = z
  .string()
  .max(63)
  .regex(/^[a-z_][a-z0-9_]*$/, { error: 'expected a role name of lower-case letters, digits and _ (at most 63)' });

/** Options of the `postgres` provider: rotates the password of an application's login role. */
export const PostgresProviderOptions = z
  .strictObject({
    type: z.literal('postgres'),
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(5432),
    /** The database rotad and the verification log in to. Default: postgres. */
    database: z.string().min(1).default('postgres'),
    /**
     * `single-user`: one role, its password replaced (applications holding the old password fail
     * until the consumers have the new one). `alternating-users`: two roles with the same rights;
     * each rotation sets a new password on the one not in use and hands it over, then disables the other.
     */
    strategy: z.enum(['single-user', 'alternating-users']).default('single-user'),
    /** The application's role (alternating-users: the first of the two). */
    user: RoleName,
    /** alternating-users: the second role. Default: `<user>_alt`. */
    secondUser: RoleName.optional(),
    /** alternating-users: create the second role when missing, as a member of the first (it inherits its rights). Default: false. */
    createSecondUser: z.boolean().default(false),
    /** alternating-users: how the role not in use is disabled. `nologin` (default) or a `random-password` nobody knows. Never dropped. */
    disableWith: z.enum(['nologin', 'random-password']).default('nologin'),
    /** The manager role needs CREATEROLE (or superuser). */
    ...DatabaseOptions,
    /** Per connection and statement. Default: 10s. */
    timeout: DurationText.default('10s'),
  })
  .refine((o) => o.strategy === 'single-user' || (o.secondUser ?? `${o.user}_alt`) !== o.user, { error: 'secondUser must differ from user' });
export type PostgresProviderOptions = z.infer<typeof PostgresProviderOptions>;
