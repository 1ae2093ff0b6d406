import { durationMs } from '../../duration-text.js';
import { formatDuration } from '../../duration.js';
import { RotadError } from '../../errors.js';
import type { StoredCredential } from '../../stores/types.js';
import type { ProviderContext } from '../types.js';
import type { IamAccessKeys } from './api.js';

/** How far a key's CreateDate may be from the interrupted attempt and still be its: AWS's clock against rotad's, plus the call's own time. */
const UNSEEN_WINDOW_MS = 2 * 60_000;

/** Whether a key was created by the interrupted attempt that began at `since`. */
const isUnseen = (createdAt: number, since: number | undefined): boolean =>
  since !== undefined && createdAt >= since - UNSEEN_WINDOW_MS && createdAt <= since + UNSEEN_WINDOW_MS;

/**
 * Room for the new key (AWS allows two per user). A key created by an interrupted attempt of this
 * rotation is deleted: AWS showed its secret only in the answer rotad never saw, so nobody holds
 * it. Any other second key stops the rotation, named, before anything is created.
 */
export async function freeSlot(ctx: ProviderContext, keys: IamAccessKeys, current: StoredCredential | undefined): Promise<void> {
  const user = keys.userName;
  let existing = await keys.list(ctx.signal);
  // A key created by an interrupted attempt of this rotation: AWS showed its secret only in the answer rotad never saw, so nobody holds it.
  const unseen = existing.filter((key) => key.id !== current?.id && isUnseen(key.createdAt, ctx.unseenSince));
  for (const key of unseen) {
    await ctx.keepLease?.();
    await keys.delete(key.id, ctx.signal);
    ctx.logger.warn({ credentialId: key.id }, 'Deleted an access key an interrupted attempt created (its secret was never seen)');
  }
  if (unseen.length > 0) existing = existing.filter((key) => !unseen.includes(key));
  if (existing.length >= 2) {
    const others = existing.filter((key) => key.id !== current?.id);
    throw new RotadError(
      'PROVIDER_LIMIT_REACHED',
      `IAM user ${user} has two access keys already (${existing.map((k) => `${k.id} ${k.status}${k.id === current?.id ? ', current' : ''}`).join('; ')}): AWS allows two. Delete ${others.length === 1 ? others[0]!.id : 'the one not in use'} if nothing uses it (aws iam delete-access-key --user-name ${user} --access-key-id …), then rotad rotate ${ctx.policy}`,
    );
  }
}

/** Evidence before revoke: the old key unused for `quietFor`; a recent use means something still holds it. */
export async function assertQuiet(ctx: ProviderContext, keys: IamAccessKeys, id: string, quietFor: string): Promise<void> {
  const quietMs = durationMs(quietFor);
  if (quietMs === 0) return;
  const use = await keys.lastUse(id, ctx.signal);
  const since = use.at === undefined ? Infinity : ctx.clock.now() - use.at;
  if (since >= quietMs) return;
  const where = [use.service, use.region].filter(Boolean).join(' in ');
  throw new RotadError(
    'CREDENTIAL_IN_USE',
    `access key ${id} of IAM user ${keys.userName} was used ${formatDuration(Math.max(0, since))} ago${where ? ` (${where})` : ''}: something still signs with the old key. rotad deactivates it once it has not been used for ${quietFor}; find what uses it (CloudTrail, by access key id) and give it the new key`,
    { retryable: true, retryAfterMs: quietMs - Math.max(0, since) },
  );
}
