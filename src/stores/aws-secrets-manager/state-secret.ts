import { randomUUID } from 'node:crypto';
import { RotadError, StoreConflictError } from '../../errors.js';
import type { RecordIo } from '../state-record.js';
import { EMPTY_RECORD, StateRecord } from './record.js';
import type { Secrets } from './secrets.js';

/**
 * rotad's state record of a policy in a secret of its own (the key is its name). A new version is
 * put under a private label and made AWSCURRENT with UpdateSecretVersionStage naming the version it
 * replaces: if another writer moved AWSCURRENT meanwhile, the move fails as a conflict.
 */
export function stateSecretIo(secrets: Secrets): RecordIo<StateRecord, string | undefined> {
  return {
    async read(name) {
      const found = await secrets.get(name, { label: 'AWSCURRENT' });
      if (!found) return { record: EMPTY_RECORD, kvVersion: undefined };
      let parsed;
      try {
        parsed = StateRecord.safeParse(JSON.parse(found.value));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) throw new RotadError('STORE_CORRUPT', `rotad's state secret ${name} is not in rotad's format; was it edited by hand?`);
      return { record: parsed.data, kvVersion: found.versionId };
    },
    async write(name, next, versionId) {
      if (versionId === undefined) {
        if (await secrets.createIfMissing(name, JSON.stringify(next))) return undefined;
        throw new StoreConflictError(`${name} was created by another writer`);
      }
      const proposed = await secrets.put(name, randomUUID(), JSON.stringify(next), ['ROTAD_PROPOSED']);
      await secrets.moveLabel(name, 'AWSCURRENT', proposed, versionId);
      return { kvVersion: proposed };
    },
  };
}
