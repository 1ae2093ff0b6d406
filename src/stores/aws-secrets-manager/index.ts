import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { HistoryEntry, PolicyState } from '../../policy-state.js';
import { CasRecords, previousRevoked, replaceState } from '../state-record.js';
import { factFields, type PolicyRef, type PolicySnapshot, type Store, type StoredCredential } from '../types.js';
import { awsError } from './errors.js';
import { LazySdk } from './lazy-sdk.js';
import { EMPTY_RECORD, StateRecord, type VersionFacts } from './record.js';
import { AwsSecretsManagerStoreOptions } from './schema.js';
import { Secrets, versionWith, type SecretVersion } from './secrets.js';
import { secretRecordIo } from './state-secret.js';
import { EMPTY_HISTORY, filed, HistoryRecord, historyKeyOf } from '../history-record.js';
import { EMPTY_ROSTER, Roster, rosterKeyOf } from '../roster-record.js';

/** The version labelled AWSPENDING, unless that is the current one (where a finished rotation may leave the label). */
function pendingVersion(versions: Map<string, string[]> | undefined): string | undefined {
  const pending = versionWith(versions, 'AWSPENDING');
  return pending !== undefined && pending === versionWith(versions, 'AWSCURRENT') ? undefined : pending;
}

/** `versions` with `label` moved to `versionId`. */
function withLabel(versions: Map<string, string[]>, label: string, versionId: string): Map<string, string[]> {
  const moved = new Map([...versions].map(([id, labels]) => [id, labels.filter((l) => l !== label)]));
  moved.set(versionId, [...(moved.get(versionId) ?? []), label]);
  return moved;
}

const externalFacts = (version: SecretVersion): VersionFacts => ({
  versionId: version.versionId,
  rotationId: `external-${version.versionId}`,
  createdAt: version.createdAt,
});

/** The policy's credentials in one secret's versions (AWSCURRENT, AWSPREVIOUS, AWSPENDING), its state in another. */
class AwsSecretsManagerStore implements Store {
  readonly #options: AwsSecretsManagerStoreOptions;
  readonly #aws: LazySdk;
  readonly #secrets: Secrets;
  readonly #states: CasRecords<StateRecord, string | undefined>;
  readonly #history: CasRecords<HistoryRecord, string | undefined>;
  readonly #roster: CasRecords<Roster, string | undefined>;
  /** Secret name → its versions as this process's last stage left them (taken by the next promote). */
  readonly #stagedVersions = new Map<string, Map<string, string[]>>();

  constructor(options: AwsSecretsManagerStoreOptions, deps: AdapterDeps) {
    this.#options = options;
    const timeoutMs = durationMs(options.timeout);
    this.#aws = new LazySdk({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      retryMode: 'adaptive',
      maxAttempts: options.maxAttempts,
      requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs },
    });
    this.#secrets = new Secrets(this.#aws, {
      kmsKeyId: options.kmsKeyId,
      description: options.description,
      tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })),
    });
    const sleep = (ms: number): Promise<void> => deps.clock.sleep(ms);
    this.#states = new CasRecords(secretRecordIo(this.#secrets, StateRecord, EMPTY_RECORD, 'state'), sleep);
    this.#history = new CasRecords(secretRecordIo(this.#secrets, HistoryRecord, EMPTY_HISTORY, 'history'), sleep);
    this.#roster = new CasRecords(secretRecordIo(this.#secrets, Roster, EMPTY_ROSTER, 'replica roster'), sleep);
  }

  #secretName(ref: PolicyRef): string {
    return ref.path ?? this.#options.name.replaceAll('{policy}', ref.name);
  }
  #stateName(ref: PolicyRef): string {
    return this.#options.stateName.replaceAll('{policy}', ref.name);
  }
  #handoverName(ref: PolicyRef): string {
    return this.#options.handoverName.replaceAll('{policy}', ref.name);
  }
  #fieldOf(ref: PolicyRef): string | undefined {
    return ref.field ?? this.#options.field;
  }

  #decode(ref: PolicyRef, version: SecretVersion | undefined): string | undefined {
    const field = this.#fieldOf(ref);
    if (version === undefined || field === undefined) return version?.value;
    try {
      const value = (JSON.parse(version.value) as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The SecretString of a version: the value itself, or the current JSON with `field` replaced and
   * the policy's facts (`secret.fields`: its username, its expiry) written beside it, so that every
   * version, AWSPREVIOUS included, carries its own.
   */
  async #encode(ref: PolicyRef, value: string, facts: Pick<StoredCredential, 'id' | 'expiresAt'> | undefined): Promise<string> {
    const field = this.#fieldOf(ref);
    if (field === undefined) return value;
    const current = await this.#secrets.get(this.#secretName(ref), { label: 'AWSCURRENT' });
    let base: Record<string, unknown>;
    try {
      base = current ? (JSON.parse(current.value) as Record<string, unknown>) : {};
    } catch {
      base = {};
    }
    return JSON.stringify({ ...base, [field]: value, ...(facts ? factFields(ref, facts) : {}) });
  }

  #credential(ref: PolicyRef, version: SecretVersion | undefined, facts: (v: SecretVersion) => Omit<VersionFacts, 'versionId'>): StoredCredential | undefined {
    const value = this.#decode(ref, version);
    if (version === undefined || value === undefined) return undefined;
    const { versionId: _versionId, ...rest } = { versionId: '', ...facts(version) };
    return { ...rest, value: new Secret(value) };
  }

  #updateRecord(ref: PolicyRef, change: (record: StateRecord) => StateRecord | undefined): Promise<StateRecord> {
    return this.#states.update(this.#stateName(ref), change);
  }

  async read(ref: PolicyRef): Promise<PolicySnapshot> {
    const { record } = await this.#states.read(this.#stateName(ref));
    const name = this.#secretName(ref);
    const versions = await this.#secrets.versions(name);
    const get = async (id: string | undefined) => (id === undefined ? undefined : this.#secrets.get(name, { versionId: id }));
    const currentId = versionWith(versions, 'AWSCURRENT');
    // A promote under way (AWSCURRENT moved to the new version, the record not yet): until the
    // record says so, the version it replaced (now AWSPREVIOUS) is current and the new one pending,
    // as the promote will record them. Reporting the new version as an unknown current would make
    // the engine take the old one for a credential left alive, and the new one for the one to revoke.
    const promoting = currentId !== undefined && currentId === record.pending?.rotationId && record.current?.versionId !== currentId;
    const [current, previous, pending] = await Promise.all([
      get(promoting ? versionWith(versions, 'AWSPREVIOUS') : currentId),
      get(promoting ? record.previous?.versionId : versionWith(versions, 'AWSPREVIOUS')),
      get(promoting ? currentId : pendingVersion(versions)),
    ]);
    const known = (v: SecretVersion): VersionFacts => [record.current, record.previous].find((f) => f?.versionId === v.versionId) ?? externalFacts(v);
    return {
      current: this.#credential(ref, current, known),
      previous: this.#credential(ref, previous, known),
      // A pending version is identified by its VersionId (= the rotation id it was put with); one rotad
      // did not put is reported under its own id, so the engine discards it instead of being blocked.
      pending: pending
        ? this.#credential(ref, pending, (v) =>
            record.pending?.rotationId === v.versionId ? record.pending : { rotationId: v.versionId, createdAt: v.createdAt },
          )
        : record.pending && record.firstValue !== undefined
          ? { ...record.pending, value: new Secret(record.firstValue) }
          : undefined,
      state: record.state,
      revision: String(record.stateRevision),
    };
  }

  async writeState(ref: PolicyRef, state: PolicyState, expectedRevision: string): Promise<string> {
    return String((await this.#updateRecord(ref, replaceState(ref.name, state, expectedRevision))).stateRevision);
  }

  async stagePending(ref: PolicyRef, { value, ...facts }: StoredCredential): Promise<void> {
    const name = this.#secretName(ref);
    const versions = await this.#secrets.versions(name);
    const pendingId = pendingVersion(versions);
    if (pendingId !== undefined && pendingId !== facts.rotationId) {
      throw new StoreConflictError(`secret ${name} already has an AWSPENDING version ${pendingId}`);
    }
    // The same rotation staged twice must be the same value: a second credential under one id would be lost.
    if (pendingId !== undefined && this.#decode(ref, await this.#secrets.get(name, { versionId: pendingId })) !== value.reveal()) {
      throw new StoreConflictError(`secret ${name} already has a different AWSPENDING value for rotation ${pendingId}`);
    }
    // The record first, with the value: a kill before the AWSPENDING version is put loses neither
    // the value nor its facts (id, expiry), and promote puts the version when it is missing.
    await this.#updateRecord(ref, (record) => {
      const same = record.pending?.rotationId === facts.rotationId;
      if (record.pending && (!same || (record.firstValue !== undefined && record.firstValue !== value.reveal()))) {
        throw new StoreConflictError(`policy ${ref.name} already has a pending credential from rotation ${record.pending.rotationId}`);
      }
      if (same && record.firstValue === value.reveal()) return undefined;
      return { ...record, pending: facts, firstValue: value.reveal() };
    });
    if (versions !== undefined && versionWith(versions, 'AWSCURRENT') !== undefined && pendingId === undefined) {
      // Moves AWSPENDING here from wherever it was (the current version, after the last promote).
      await this.#secrets.put(name, facts.rotationId, await this.#encode(ref, value.reveal(), facts), ['AWSPENDING']);
      this.#stagedVersions.set(name, withLabel(versions, 'AWSPENDING', facts.rotationId));
    }
  }

  async discardPending(ref: PolicyRef, rotationId: string): Promise<void> {
    const name = this.#secretName(ref);
    if (pendingVersion(await this.#secrets.versions(name)) === rotationId) await this.#secrets.moveLabel(name, 'AWSPENDING', undefined, rotationId);
    await this.#updateRecord(ref, (record) =>
      record.pending?.rotationId === rotationId ? { ...record, pending: undefined, firstValue: undefined } : undefined,
    );
  }

  async promote(ref: PolicyRef, rotationId: string): Promise<void> {
    // The versions as this process's stage left them, if it staged this rotation: AWSCURRENT moves
    // only from the version named, so a wrong guess is a conflict, and then AWS is asked.
    const name = this.#secretName(ref);
    const guessed = this.#stagedVersions.get(name);
    this.#stagedVersions.delete(name);
    try {
      await this.#promoteWith(ref, rotationId, guessed ?? (await this.#secrets.versions(name)));
    } catch (error) {
      if (guessed === undefined || !(error instanceof StoreConflictError)) throw error;
      await this.#promoteWith(ref, rotationId, await this.#secrets.versions(name));
    }
  }

  /** Promote on `versions` as read (or as this process's stage left them). */
  async #promoteWith(ref: PolicyRef, rotationId: string, versions: Map<string, string[]> | undefined): Promise<void> {
    const name = this.#secretName(ref);
    const currentId = versionWith(versions, 'AWSCURRENT');
    const pendingId = await this.#putMissingVersion(ref, rotationId, currentId, versionWith(versions, 'AWSPENDING'));
    // AWSCURRENT moves only if it is still on the version we read; AWS moves AWSPREVIOUS along.
    if (currentId !== rotationId && pendingId === rotationId) await this.#secrets.moveLabel(name, 'AWSCURRENT', rotationId, currentId);
    // AWSPENDING stays on the version made current: AWS documents that as a finished rotation, and
    // the next stage moves it (pendingVersion reads it as "nothing pending").
    // The version the new one replaced: AWSCURRENT as read, or, when an earlier attempt already
    // moved the label (a crash or timeout between the move and this record), AWS's AWSPREVIOUS.
    const replacedId = currentId === rotationId ? versionWith(versions, 'AWSPREVIOUS') : currentId;
    let promoted: VersionFacts | undefined;
    await this.#updateRecord(ref, (record) => {
      if (record.current?.versionId === rotationId) return undefined;
      const facts = record.pending?.rotationId === rotationId ? record.pending : { rotationId, createdAt: Date.now() };
      promoted = { ...facts, versionId: rotationId };
      const replaced =
        record.current?.versionId === replacedId
          ? record.current
          : replacedId
            ? { versionId: replacedId, rotationId: `external-${replacedId}`, createdAt: 0 }
            : undefined;
      return { ...record, previous: replaced, current: promoted, pending: undefined, firstValue: undefined };
    });
    if (promoted) await this.#tagFacts(ref, promoted);
  }

  /**
   * The version of `rotationId` when stage left it in the record only (killed before the put) or it
   * is the secret's first value: put now. Returns the AWSPENDING version after it.
   */
  async #putMissingVersion(ref: PolicyRef, rotationId: string, currentId: string | undefined, pendingId: string | undefined): Promise<string | undefined> {
    if (currentId === rotationId || pendingId === rotationId) return pendingId;
    const name = this.#secretName(ref);
    const { record } = await this.#states.read(this.#stateName(ref));
    const staged = record.pending?.rotationId === rotationId ? record.firstValue : undefined;
    if (staged === undefined) throw new RotadError('STORE_RECORD_LOST', `secret ${name} has no pending version for rotation ${rotationId}`);
    const encoded = await this.#encode(ref, staged, record.pending);
    if (currentId !== undefined) {
      await this.#secrets.put(name, rotationId, encoded, ['AWSPENDING']);
      return rotationId;
    }
    if (!(await this.#secrets.createIfMissing(name, encoded, rotationId))) await this.#secrets.put(name, rotationId, encoded, ['AWSCURRENT']);
    return pendingId;
  }

  async #tagFacts(ref: PolicyRef, facts: VersionFacts): Promise<void> {
    await this.#secrets.tag(this.#secretName(ref), [
      { Key: 'rotad:rotation-id', Value: facts.rotationId },
      { Key: 'rotad:rotated-at', Value: new Date(facts.createdAt).toISOString() },
      ...(facts.id === undefined ? [] : [{ Key: 'rotad:credential-id', Value: facts.id }]),
      ...(facts.expiresAt === undefined ? [] : [{ Key: 'rotad:expires-at', Value: new Date(facts.expiresAt).toISOString() }]),
    ]);
  }

  async rollback(ref: PolicyRef): Promise<void> {
    const name = this.#secretName(ref);
    const versions = await this.#secrets.versions(name);
    const currentId = versionWith(versions, 'AWSCURRENT');
    const previousId = versionWith(versions, 'AWSPREVIOUS');
    if (!currentId || !previousId) throw new RotadError('ROLLBACK_UNSAFE', `secret ${name} has no AWSPREVIOUS version`);
    // A finished rotation may leave AWSPENDING on the current version: taken off first, or once
    // that version is no longer current it would look like a credential waiting to be promoted.
    if (versionWith(versions, 'AWSPENDING') === currentId) await this.#secrets.moveLabel(name, 'AWSPENDING', undefined, currentId);
    await this.#secrets.moveLabel(name, 'AWSCURRENT', previousId, currentId);
    await this.#updateRecord(ref, (record) => ({ ...record, current: record.previous, previous: record.current }));
  }

  async markPreviousRevoked(ref: PolicyRef, rotationId: string, at: number): Promise<void> {
    await this.#updateRecord(ref, previousRevoked(rotationId, at));
  }

  async takeHandover(ref: PolicyRef): Promise<Secret | undefined> {
    const found = await this.#secrets.get(this.#handoverName(ref), { label: 'AWSCURRENT' });
    const value = found?.value.trim();
    return value ? new Secret(value) : undefined;
  }

  async clearHandover(ref: PolicyRef): Promise<void> {
    await this.#secrets.deleteNow(this.#handoverName(ref));
  }

  async readHistory(ref: PolicyRef): Promise<HistoryEntry[]> {
    return (await this.#history.read(historyKeyOf(this.#stateName(ref)))).record.entries;
  }

  async fileHistory(ref: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void> {
    await this.#history.update(historyKeyOf(this.#stateName(ref)), filed(entries, keep));
  }

  async readRoster(): Promise<Roster> {
    return (await this.#roster.read(rosterKeyOf(this.#options.stateName))).record;
  }

  updateRoster(change: (roster: Roster) => Roster | undefined): Promise<Roster> {
    return this.#roster.update(rosterKeyOf(this.#options.stateName), change);
  }

  async ping(): Promise<void> {
    try {
      const { sdk, client } = await this.#aws.load();
      await client.send(new sdk.ListSecretsCommand({ MaxResults: 1 }));
    } catch (error) {
      throw awsError('ListSecrets', error);
    }
  }

  async close(): Promise<void> {
    await this.#aws.destroy();
  }
}

export const awsSecretsManagerStore = {
  type: 'aws-secrets-manager',
  schema: AwsSecretsManagerStoreOptions,
  create: (options, deps) => new AwsSecretsManagerStore(options, deps),
} satisfies AdapterDefinition<typeof AwsSecretsManagerStoreOptions, Store>;
