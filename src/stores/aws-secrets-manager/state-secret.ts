import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { decideChange, LastSeenRecords, RECORD_WRITE_ATTEMPTS, recordRetryDelay } from '../state-record.js';
import { EMPTY_RECORD, StateRecord } from './record.js';
import type { Secrets } from './secrets.js';

/** rotad's state record of each policy, one secret per policy (`stateName`), changed under compare-and-swap. */
export class StateSecrets {
  readonly #secrets: Secrets;
  readonly #clock: Clock;
  readonly #lastSeen = new LastSeenRecords<StateRecord, string | undefined>();

  constructor(secrets: Secrets, clock: Clock) {
    this.#secrets = secrets;
    this.#clock = clock;
  }

  async read(name: string): Promise<{ record: StateRecord; kvVersion: string | undefined }> {
    const found = await this.#secrets.get(name, { label: 'AWSCURRENT' });
    if (!found) return this.#lastSeen.remember(name, { record: EMPTY_RECORD, kvVersion: undefined });
    let parsed;
    try {
      parsed = StateRecord.safeParse(JSON.parse(found.value));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new RotadError('STORE_CORRUPT', `rotad's state secret ${name} is not in rotad's format; was it edited by hand?`);
    return this.#lastSeen.remember(name, { record: parsed.data, kvVersion: found.versionId });
  }

  /**
   * Read-modify-write of the state record. The new version is put under a private label and made
   * AWSCURRENT with UpdateSecretVersionStage naming the version it replaces: if another writer
   * moved AWSCURRENT meanwhile, the move fails and the change is re-applied to what they wrote.
   * The first try applies the change to the record as this process last read or wrote it, without
   * reading; the move naming that version checks the guess (state-record.ts, LastSeenRecords).
   */
  async update(name: string, change: (record: StateRecord) => StateRecord | undefined): Promise<StateRecord> {
    for (let attempt = 1; ; attempt += 1) {
      const seen = attempt === 1 ? this.#lastSeen.take(name) : undefined;
      const { record, kvVersion: versionId } = seen ?? (await this.read(name));
      const decided = decideChange(record, change, seen !== undefined);
      if (decided === 'read-again') continue;
      const { next } = decided;
      if (next === undefined) return record;
      try {
        if (versionId === undefined) {
          if (await this.#secrets.createIfMissing(name, JSON.stringify(next))) return next;
          throw new StoreConflictError(`${name} was created by another writer`);
        }
        const proposed = await this.#secrets.put(name, randomUUID(), JSON.stringify(next), ['ROTAD_PROPOSED']);
        await this.#secrets.moveLabel(name, 'AWSCURRENT', proposed, versionId);
        this.#lastSeen.remember(name, { record: next, kvVersion: proposed });
        return next;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= RECORD_WRITE_ATTEMPTS) throw error;
        if (seen === undefined) await this.#clock.sleep(recordRetryDelay(attempt));
      }
    }
  }
}
