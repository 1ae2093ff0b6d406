import { randomUUID } from 'node:crypto';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AdapterDefinition, AdapterDeps } from '../../adapters.js';
import { durationMs } from '../../duration-text.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { Secret } from '../../secret.js';
import { decideChange, LastSeenRecords, previousRevoked, RECORD_WRITE_ATTEMPTS, recordRetryDelay, replaceState } from '../state-record.js';
import { factFields, type PolicyRef, type PolicySnapshot, type Store, type StoredCredential } from '../types.js';
import { awsError } from './errors.js';
import { EMPTY_RECORD, StateRecord, type VersionFacts } from './record.js';
import { AwsSecretsManagerStoreOptions } from './schema.js';
import { Secrets, versionWith, type SecretVersion } from './secrets.js';

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

function createAwsStore(options: AwsSecretsManagerStoreOptions, deps: AdapterDeps): Store {
  const timeoutMs = durationMs(options.timeout);
  const client = new SecretsManagerClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs },
  });
  const secrets = new Secrets(client, {
    kmsKeyId: options.kmsKeyId,
    description: options.description,
    tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })),
  });
  const secretName = (ref: PolicyRef): string => ref.path ?? options.name.replaceAll('{policy}', ref.name);
  const stateName = (ref: PolicyRef): string => options.stateName.replaceAll('{policy}', ref.name);
  const handoverName = (ref: PolicyRef): string => options.handoverName.replaceAll('{policy}', ref.name);
  const fieldOf = (ref: PolicyRef): string | undefined => ref.field ?? options.field;

  const decode = (ref: PolicyRef, version: SecretVersion | undefined): string | undefined => {
    const field = fieldOf(ref);
    if (version === undefined || field === undefined) return version?.value;
    try {
      const value = (JSON.parse(version.value) as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  /**
   * The SecretString of a version: the value itself, or the current JSON with `field` replaced and
   * the policy's facts (`secret.fields`: its username, its expiry) written beside it, so that every
   * version, AWSPREVIOUS included, carries its own.
   */
  const encode = async (ref: PolicyRef, value: string, facts: Pick<StoredCredential, 'id' | 'expiresAt'> | undefined): Promise<string> => {
    const field = fieldOf(ref);
    if (field === undefined) return value;
    const current = await secrets.get(secretName(ref), { label: 'AWSCURRENT' });
    let base: Record<string, unknown>;
    try {
      base = current ? (JSON.parse(current.value) as Record<string, unknown>) : {};
    } catch {
      base = {};
    }
    return JSON.stringify({ ...base, [field]: value, ...(facts ? factFields(ref, facts) : {}) });
  };

  const lastSeen = new LastSeenRecords<StateRecord, string | undefined>();
  /** Secret name → its versions as this process's last stage left them (taken by the next promote). */
  const stagedVersions = new Map<string, Map<string, string[]>>();

  async function readRecord(ref: PolicyRef): Promise<{ record: StateRecord; kvVersion: string | undefined }> {
    const found = await secrets.get(stateName(ref), { label: 'AWSCURRENT' });
    if (!found) return lastSeen.remember(stateName(ref), { record: EMPTY_RECORD, kvVersion: undefined });
    let parsed;
    try {
      parsed = StateRecord.safeParse(JSON.parse(found.value));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new RotadError('STORE_CORRUPT', `rotad's state secret ${stateName(ref)} is not in rotad's format; was it edited by hand?`);
    return lastSeen.remember(stateName(ref), { record: parsed.data, kvVersion: found.versionId });
  }

  /**
   * Read-modify-write of the state record. The new version is put under a private label and made
   * AWSCURRENT with UpdateSecretVersionStage naming the version it replaces: if another writer
   * moved AWSCURRENT meanwhile, the move fails and the change is re-applied to what they wrote.
   * The first try applies the change to the record as this process last read or wrote it, without
   * reading; the move naming that version checks the guess (state-record.ts, LastSeenRecords).
   */
  async function updateRecord(ref: PolicyRef, change: (record: StateRecord) => StateRecord | undefined): Promise<StateRecord> {
    const name = stateName(ref);
    for (let attempt = 1; ; attempt += 1) {
      const seen = attempt === 1 ? lastSeen.take(name) : undefined;
      const { record, kvVersion: versionId } = seen ?? (await readRecord(ref));
      const decided = decideChange(record, change, seen !== undefined);
      if (decided === 'read-again') continue;
      const { next } = decided;
      if (next === undefined) return record;
      try {
        if (versionId === undefined) {
          if (await secrets.createIfMissing(name, JSON.stringify(next))) return next;
          throw new StoreConflictError(`${name} was created by another writer`);
        }
        const proposed = await secrets.put(name, randomUUID(), JSON.stringify(next), ['ROTAD_PROPOSED']);
        await secrets.moveLabel(name, 'AWSCURRENT', proposed, versionId);
        lastSeen.remember(name, { record: next, kvVersion: proposed });
        return next;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= RECORD_WRITE_ATTEMPTS) throw error;
        if (seen === undefined) await deps.clock.sleep(recordRetryDelay(attempt));
      }
    }
  }

  const externalFacts = (version: SecretVersion): VersionFacts => ({
    versionId: version.versionId,
    rotationId: `external-${version.versionId}`,
    createdAt: version.createdAt,
  });
  const credential = (
    ref: PolicyRef,
    version: SecretVersion | undefined,
    facts: (v: SecretVersion) => Omit<VersionFacts, 'versionId'>,
  ): StoredCredential | undefined => {
    const value = decode(ref, version);
    if (version === undefined || value === undefined) return undefined;
    const { versionId: _versionId, ...rest } = { versionId: '', ...facts(version) };
    return { ...rest, value: new Secret(value) };
  };

  async function read(ref: PolicyRef): Promise<PolicySnapshot> {
    const { record } = await readRecord(ref);
    const name = secretName(ref);
    const versions = await secrets.versions(name);
    const get = async (id: string | undefined) => (id === undefined ? undefined : secrets.get(name, { versionId: id }));
    const [current, previous, pending] = await Promise.all([
      get(versionWith(versions, 'AWSCURRENT')),
      get(versionWith(versions, 'AWSPREVIOUS')),
      get(pendingVersion(versions)),
    ]);
    const known = (v: SecretVersion): VersionFacts => [record.current, record.previous].find((f) => f?.versionId === v.versionId) ?? externalFacts(v);
    return {
      current: credential(ref, current, known),
      previous: credential(ref, previous, known),
      // A pending version is identified by its VersionId (= the rotation id it was put with); one rotad
      // did not put is reported under its own id, so the engine discards it instead of being blocked.
      pending: pending
        ? credential(ref, pending, (v) => (record.pending?.rotationId === v.versionId ? record.pending : { rotationId: v.versionId, createdAt: v.createdAt }))
        : record.pending && record.firstValue !== undefined
          ? { ...record.pending, value: new Secret(record.firstValue) }
          : undefined,
      state: record.state,
      revision: String(record.stateRevision),
    };
  }

  async function tagFacts(ref: PolicyRef, facts: VersionFacts): Promise<void> {
    await secrets.tag(secretName(ref), [
      { Key: 'rotad:rotation-id', Value: facts.rotationId },
      { Key: 'rotad:rotated-at', Value: new Date(facts.createdAt).toISOString() },
      ...(facts.id === undefined ? [] : [{ Key: 'rotad:credential-id', Value: facts.id }]),
      ...(facts.expiresAt === undefined ? [] : [{ Key: 'rotad:expires-at', Value: new Date(facts.expiresAt).toISOString() }]),
    ]);
  }

  /** Promote on `versions` as read (or as this process's stage left them). */
  async function promoteWith(ref: PolicyRef, rotationId: string, versions: Map<string, string[]> | undefined): Promise<void> {
    const name = secretName(ref);
    const currentId = versionWith(versions, 'AWSCURRENT');
    let pendingId = versionWith(versions, 'AWSPENDING');
    if (currentId !== rotationId && pendingId !== rotationId) {
      // Not put as a version yet: staged in the record only (killed before the put), or the secret's first value.
      const { record } = await readRecord(ref);
      const staged = record.pending?.rotationId === rotationId ? record.firstValue : undefined;
      if (staged === undefined) throw new RotadError('STORE_RECORD_LOST', `secret ${name} has no pending version for rotation ${rotationId}`);
      const encoded = await encode(ref, staged, record.pending);
      if (currentId !== undefined) {
        await secrets.put(name, rotationId, encoded, ['AWSPENDING']);
        pendingId = rotationId;
      } else if (!(await secrets.createIfMissing(name, encoded, rotationId))) {
        await secrets.put(name, rotationId, encoded, ['AWSCURRENT']);
      }
    }
    // AWSCURRENT moves only if it is still on the version we read; AWS moves AWSPREVIOUS along.
    if (currentId !== rotationId && pendingId === rotationId) await secrets.moveLabel(name, 'AWSCURRENT', rotationId, currentId);
    // AWSPENDING stays on the version made current: AWS documents that as a finished rotation, and
    // the next stage moves it (pendingVersion reads it as "nothing pending").
    // The version the new one replaced: AWSCURRENT as read, or, when an earlier attempt already
    // moved the label (a crash or timeout between the move and this record), AWS's AWSPREVIOUS.
    const replacedId = currentId === rotationId ? versionWith(versions, 'AWSPREVIOUS') : currentId;
    let promoted: VersionFacts | undefined;
    await updateRecord(ref, (record) => {
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
    if (promoted) await tagFacts(ref, promoted);
  }

  return {
    capabilities: { rollback: true },
    read,

    async writeState(ref, state, expectedRevision) {
      return String((await updateRecord(ref, replaceState(ref.name, state, expectedRevision))).stateRevision);
    },

    async stagePending(ref, { value, ...facts }) {
      const name = secretName(ref);
      const versions = await secrets.versions(name);
      const pendingId = pendingVersion(versions);
      if (pendingId !== undefined && pendingId !== facts.rotationId) {
        throw new StoreConflictError(`secret ${name} already has an AWSPENDING version ${pendingId}`);
      }
      // The same rotation staged twice must be the same value: a second credential under one id would be lost.
      if (pendingId !== undefined && decode(ref, await secrets.get(name, { versionId: pendingId })) !== value.reveal()) {
        throw new StoreConflictError(`secret ${name} already has a different AWSPENDING value for rotation ${pendingId}`);
      }
      // The record first, with the value: a kill before the AWSPENDING version is put loses neither
      // the value nor its facts (id, expiry), and promote puts the version when it is missing.
      await updateRecord(ref, (record) => {
        const same = record.pending?.rotationId === facts.rotationId;
        if (record.pending && (!same || (record.firstValue !== undefined && record.firstValue !== value.reveal()))) {
          throw new StoreConflictError(`policy ${ref.name} already has a pending credential from rotation ${record.pending.rotationId}`);
        }
        if (same && record.firstValue === value.reveal()) return undefined;
        return { ...record, pending: facts, firstValue: value.reveal() };
      });
      if (versions !== undefined && versionWith(versions, 'AWSCURRENT') !== undefined && pendingId === undefined) {
        // Moves AWSPENDING here from wherever it was (the current version, after the last promote).
        await secrets.put(name, facts.rotationId, await encode(ref, value.reveal(), facts), ['AWSPENDING']);
        stagedVersions.set(name, withLabel(versions, 'AWSPENDING', facts.rotationId));
      }
    },

    async discardPending(ref, rotationId) {
      const name = secretName(ref);
      if (pendingVersion(await secrets.versions(name)) === rotationId) await secrets.moveLabel(name, 'AWSPENDING', undefined, rotationId);
      await updateRecord(ref, (record) => (record.pending?.rotationId === rotationId ? { ...record, pending: undefined, firstValue: undefined } : undefined));
    },

    async promote(ref, rotationId) {
      // The versions as this process's stage left them, if it staged this rotation: AWSCURRENT moves
      // only from the version named, so a wrong guess is a conflict, and then AWS is asked.
      const name = secretName(ref);
      const guessed = stagedVersions.get(name);
      stagedVersions.delete(name);
      try {
        await promoteWith(ref, rotationId, guessed ?? (await secrets.versions(name)));
      } catch (error) {
        if (guessed === undefined || !(error instanceof StoreConflictError)) throw error;
        await promoteWith(ref, rotationId, await secrets.versions(name));
      }
    },

    async rollback(ref) {
      const name = secretName(ref);
      const versions = await secrets.versions(name);
      const currentId = versionWith(versions, 'AWSCURRENT');
      const previousId = versionWith(versions, 'AWSPREVIOUS');
      if (!currentId || !previousId) throw new RotadError('ROLLBACK_UNSAFE', `secret ${name} has no AWSPREVIOUS version`);
      // A finished rotation may leave AWSPENDING on the current version: taken off first, or once
      // that version is no longer current it would look like a credential waiting to be promoted.
      if (versionWith(versions, 'AWSPENDING') === currentId) await secrets.moveLabel(name, 'AWSPENDING', undefined, currentId);
      await secrets.moveLabel(name, 'AWSCURRENT', previousId, currentId);
      await updateRecord(ref, (record) => ({ ...record, current: record.previous, previous: record.current }));
    },

    async markPreviousRevoked(ref, rotationId, at) {
      await updateRecord(ref, previousRevoked(rotationId, at));
    },

    async takeHandover(ref) {
      const found = await secrets.get(handoverName(ref), { label: 'AWSCURRENT' });
      const value = found?.value.trim();
      return value ? new Secret(value) : undefined;
    },

    async clearHandover(ref) {
      await secrets.deleteNow(handoverName(ref));
    },

    async ping() {
      try {
        await client.send(new ListSecretsCommand({ MaxResults: 1 }));
      } catch (error) {
        throw awsError('ListSecrets', error);
      }
    },

    async close() {
      client.destroy();
    },
  };
}

export const awsSecretsManagerStore = {
  type: 'aws-secrets-manager',
  schema: AwsSecretsManagerStoreOptions,
  create: createAwsStore,
} satisfies AdapterDefinition<typeof AwsSecretsManagerStoreOptions, Store>;
