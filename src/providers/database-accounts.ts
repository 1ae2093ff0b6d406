import { RotadError } from '../errors.js';
import { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';
import { newPassword } from './database-passwords.js';
import type { Provider, ProviderContext } from './types.js';

/** How long a revoke waits before it looks again at the sessions of the account it would disable. */
const SESSIONS_RETRY_MS = 5_000;

/** What the rotation needs of one database server (postgres, mysql); every call opens its own connection. */
export interface AccountDatabase {
  /** "role" or "account", for messages. */
  readonly noun: string;
  /** The account `user` logs in as with `password`, or undefined when the server refuses the login. */
  login(user: string, password: string, signal: AbortSignal): Promise<string | undefined>;
  /** Sets the password (from its hash or verifier, never the clear text) and lets the account log in. */
  setPassword(ctx: ProviderContext, user: string, password: string): Promise<void>;
  /** Refuses the account's new logins (NOLOGIN, ACCOUNT LOCK, or a password nobody holds). */
  disable(ctx: ProviderContext, user: string): Promise<void>;
  /** The open sessions of `user`, each in a few words (application, address; never a statement). */
  sessionsOf(user: string, signal: AbortSignal): Promise<string[]>;
  /** `rotad check`: what the manager may do, or what it lacks. */
  check(ctx: ProviderContext): Promise<string>;
}

interface AccountRotation {
  strategy: 'single-user' | 'alternating-users';
  user: string;
  second: string;
  passwordLength: number;
  /** How each step is done, in words, for `rotad plan`. */
  steps: Provider['steps'];
}

/**
 * A password rotation on a database, single user or two users in turn (the strategies AWS's
 * rotation templates made the standard). The password is generated at obtain and set at verify,
 * after it is stored: a crash in between leaves nothing at the server that rotad does not know.
 * Verify logs in first and sets the password only when that is refused, so `rotad check` changes
 * nothing. Alternating users: revoke disables the old account only once none of its sessions is
 * left, never the current one, and a password that no longer logs in leaves nothing to disable.
 */
export function accountRotation(db: AccountDatabase, rotation: AccountRotation): Provider {
  const { user, second } = rotation;
  const alternating = rotation.strategy === 'alternating-users';
  /** Single user: the one account. Alternating: the one not in use (the second at the first rotation). */
  const targetOf = (current: StoredCredential | undefined): string => (!alternating ? user : current?.id === second ? user : second);

  return {
    steps: rotation.steps,
    obtain: async (_ctx, current) => ({ value: new Secret(newPassword(rotation.passwordLength)), id: targetOf(current) }),
    verify: async (ctx, credential) => {
      const account = credential.id ?? user;
      let answered = await db.login(account, credential.value.reveal(), ctx.signal);
      if (answered === undefined) {
        await ctx.keepLease?.();
        await db.setPassword(ctx, account, credential.value.reveal());
        answered = await db.login(account, credential.value.reveal(), ctx.signal);
      }
      if (answered === undefined) throw new RotadError('VERIFY_FAILED', `the server refused the login as ${account} with the new password`);
      if (answered !== account) throw new RotadError('VERIFY_FAILED', `the new password logs in as ${answered}, not as ${account}`);
    },
    revoke: async (ctx, old, current) => {
      const account = old.id ?? user;
      if (!alternating || account === current?.id) {
        // One account: only the current password may work. Setting it again is a no-op after a rotation, and undoes an abandoned one.
        if (current !== undefined) {
          await ctx.keepLease?.();
          await db.setPassword(ctx, current.id ?? user, current.value.reveal());
        }
        return undefined;
      }
      // A password that does not log in (never set: created and not stored; or replaced since) leaves nothing to disable.
      if ((await db.login(account, old.value.reveal(), ctx.signal)) === undefined) return undefined;
      const open = await db.sessionsOf(account, ctx.signal);
      if (open.length > 0) {
        throw new RotadError(
          'CREDENTIAL_IN_USE',
          `${open.length} session${open.length === 1 ? '' : 's'} of the old ${db.noun} ${account} still open (${[...new Set(open)].slice(0, 5).join(', ')}): rotad disables it once they have ended; restart or reconfigure what still holds it`,
          { retryable: true, retryAfterMs: SESSIONS_RETRY_MS },
        );
      }
      // Still this process's policy after the looks above (a stalled process must not act on what it saw).
      await ctx.keepLease?.();
      await db.disable(ctx, account);
      ctx.logger.info({ [db.noun]: account }, `Old ${db.noun} disabled`);
      return undefined;
    },
    isRejected: async (ctx, credential) => (await db.login(credential.id ?? user, credential.value.reveal(), ctx.signal)) === undefined,
    check: (ctx) => db.check(ctx),
  };
}
