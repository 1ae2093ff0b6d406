import type { StoredCredential } from '../../stores/types.js';
import { checkTokenShape, refusedUnless } from '../submission.js';
import type { AssistedSteps } from '../types.js';
import type { GorgiasApi } from './api.js';
import type { GorgiasProviderOptions } from './schema.js';

export const KEYS_PAGE = 'Settings → REST API';

/** The users whose keys rotad rotates: one (single-user), or two in turn (alternating-users). */
export function gorgiasUsers(options: GorgiasProviderOptions): string[] {
  return options.strategy === 'single-user' ? [options.email!] : options.users!;
}

/** The user whose key this rotation resets: the one not in use (alternating), else the only one. */
function nextUser(users: string[], current: StoredCredential | undefined): string {
  if (users.length === 1 || current?.id === undefined) return users[0]!;
  return users.find((u) => u.toLowerCase() !== current.id!.toLowerCase()) ?? users[0]!;
}

/** The user a stored key belongs to (its id), for keys stored before ids were recorded the first user. */
export function userOf(users: string[], credential: StoredCredential): string {
  return credential.id ?? users[0]!;
}

/** What a Gorgias user is asked to do (reset a key, or reset again to invalidate the old one), and how the key they hand over is checked. */
export function gorgiasPersonSteps(options: GorgiasProviderOptions, api: GorgiasApi): AssistedSteps {
  const host = `https://${options.domain.toLowerCase()}.gorgias.com`;
  const users = gorgiasUsers(options);
  const single = options.strategy === 'single-user';
  return {
    createRequest: (ctx, current) => {
      const user = nextUser(users, current);
      return {
        summary: `Reset the Gorgias REST API key of ${user} for policy ${ctx.policy} (${options.domain}).`,
        account: user,
        url: host,
        steps: [`Sign in to ${host} as ${user}.`, `Open ${KEYS_PAGE}.`, 'Reset the API key and copy the new key.'],
        warning: single
          ? `Resetting invalidates the key in use at once: every consumer of ${ctx.policy} fails until the new key is handed over. Run rotad submit ${ctx.policy} right after the reset; rotad pushes the key to every consumer the moment it arrives.`
          : undefined,
      };
    },
    accept: async (ctx, value, current) => {
      checkTokenShape(value, current);
      const user = nextUser(users, current);
      await refusedUnless(() => api.verify(user, value, ctx.signal), { provider: 'Gorgias', question: `is it the REST API key of ${user} (in ${host})?` });
      ctx.logger.info({ user }, 'Handed-over Gorgias key verified');
      return { value, id: user };
    },
    deleteRequest: (_ctx, old) => ({
      summary: `Invalidate the old Gorgias API key of ${userOf(users, old)} (${options.domain}); every consumer uses ${single ? 'the new key' : 'the other user'} now.`,
      account: userOf(users, old),
      url: host,
      steps: [
        `Sign in to ${host} as ${userOf(users, old)}.`,
        `Open ${KEYS_PAGE}.`,
        'Reset the API key and discard the new key (do not hand it over): resetting is how Gorgias invalidates the old one.',
      ],
    }),
  };
}
