import { createHash, randomUUID } from 'node:crypto';
import { RotadError, StoreConflictError } from '../../errors.js';
import type { RecordIo } from '../state-record.js';
import type { z } from 'zod';
import type { Secrets } from './secrets.js';

/**
 * The version that follows `versionId` in a state secret: a token derived from it alone, so that
 * every writer that read `versionId` proposes the same successor, and AWS lets only one value be
 * put under it.
 */
export function successorToken(versionId: string): string {
  const hex = createHash('sha256').update(`rotad-state-successor:${versionId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A record of rotad's own (a policy's state, its history) in a secret of its own (the key is its
 * name), in `schema`'s format. A write is one
 * PutSecretValue under the successor token of the version it read, made AWSCURRENT: a second writer
 * that read the same version proposes the same token with another value, and AWS refuses it
 * (ResourceExistsException): AWS's own compare-and-swap, in one call. If the token is taken while
 * AWSCURRENT is still on the version read (someone moved the label back by hand), the chain cannot
 * go on from there, and the write falls back to two calls: a version under a private label, then
 * UpdateSecretVersionStage naming the version it replaces.
 */
export function secretRecordIo<S extends z.ZodType>(secrets: Secrets, schema: S, empty: z.infer<S>, what: string): RecordIo<z.infer<S>, string | undefined> {
  return {
    async read(name) {
      const found = await secrets.get(name, { label: 'AWSCURRENT' });
      if (!found) return { record: empty, kvVersion: undefined };
      let parsed;
      try {
        parsed = schema.safeParse(JSON.parse(found.value));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) throw new RotadError('STORE_CORRUPT', `rotad's ${what} secret ${name} is not in rotad's format; was it edited by hand?`);
      return { record: parsed.data, kvVersion: found.versionId };
    },
    async write(name, next, versionId) {
      const value = JSON.stringify(next);
      if (versionId === undefined) {
        if (await secrets.createIfMissing(name, value)) return undefined;
        throw new StoreConflictError(`${name} was created by another writer`);
      }
      const successor = successorToken(versionId);
      if ((await secrets.putCurrent(name, successor, value)) === 'written') return { kvVersion: successor };
      if ((await secrets.get(name, { label: 'AWSCURRENT' }))?.versionId !== versionId) {
        throw new StoreConflictError(`${name} changed since version ${versionId} was read`);
      }
      const proposed = await secrets.put(name, randomUUID(), value, ['ROTAD_PROPOSED']);
      await secrets.moveLabel(name, 'AWSCURRENT', proposed, versionId);
      return { kvVersion: proposed };
    },
  };
}
