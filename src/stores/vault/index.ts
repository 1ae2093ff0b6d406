import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterDefinition, AdapterDeps } from '../../adapters.js';
import { durationMs } from '../../duration-text.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { Secret } from '../../secret.js';
import { decideChange, LastSeenRecords, previousRevoked, RECORD_WRITE_ATTEMPTS, recordRetryDelay, replaceState } from '../state-record.js';
import { factFields, type PolicyRef, type PolicySnapshot, type Store, type StoredCredential } from '../types.js';
import { VaultClient } from './client.js';
import { vaultError } from './errors.js';
import { KvV2, type KvVersion } from './kv.js';
import { EMPTY_RECORD, StateRecord, type VersionFacts } from './record.js';
import { VaultStoreOptions } from './schema.js';

function createVaultStore(options: VaultStoreOptions, deps: AdapterDeps): Store {
  const resolvePath = (path: string): string => resolve(deps.configDir, path);
  let ca: string | undefined;
  if (options.caFile) {
    try {
      ca = readFileSync(resolvePath(options.caFile), 'utf8');
    } catch (error) {
      throw new RotadError('STORE_UNREACHABLE', `cannot read Vault CA bundle ${options.caFile} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  const client = new VaultClient({
    address: options.address,
    namespace: options.namespace,
    auth: options.auth,
    resolvePath,
    ca,
    timeoutMs: durationMs(options.timeout),
    clock: deps.clock,
  });
  const kv = new KvV2(client, options.mount);
  const appPath = (ref: PolicyRef): string => ref.path ?? options.path.replaceAll('{policy}', ref.name);
  const statePath = (ref: PolicyRef): string => options.statePath.replaceAll('{policy}', ref.name);
  const handoverPath = (ref: PolicyRef): string => options.handoverPath.replaceAll('{policy}', ref.name);
  const fieldOf = (ref: PolicyRef): string => ref.field ?? options.field;

  const lastSeen = new LastSeenRecords<StateRecord>();

  async function readRecord(ref: PolicyRef): Promise<{ record: StateRecord; kvVersion: number }> {
    const found = await kv.read(statePath(ref));
    if (!found) return lastSeen.remember(statePath(ref), { record: EMPTY_RECORD, kvVersion: 0 });
    const parsed = StateRecord.safeParse(found.data);
    if (!parsed.success)
      throw new RotadError('STORE_CORRUPT', `rotad's state record at ${options.mount}/${statePath(ref)} is not in rotad's format; was it edited by hand?`);
    return lastSeen.remember(statePath(ref), { record: parsed.data, kvVersion: found.version });
  }

  /**
   * Read-modify-write of the state record, atomic through KV `cas`; `change` returning undefined
   * writes nothing. The first try applies the change to the record as this process last read or
   * wrote it, without reading (one request instead of two); `cas` on that version makes it land
   * only if nobody wrote since, and anything else is decided again on a fresh read.
   */
  async function updateRecord(ref: PolicyRef, change: (record: StateRecord) => StateRecord | undefined): Promise<StateRecord> {
    const path = statePath(ref);
    for (let attempt = 1; ; attempt += 1) {
      const seen = attempt === 1 ? lastSeen.take(path) : undefined;
      const { record, kvVersion } = seen ?? (await readRecord(ref));
      const decided = decideChange(record, change, seen !== undefined);
      if (decided === 'read-again') continue;
      if (decided.next === undefined) return record;
      try {
        const written = await kv.write(path, decided.next as unknown as Record<string, unknown>, kvVersion);
        lastSeen.remember(path, { record: decided.next, kvVersion: written });
        return decided.next;
      } catch (error) {
        // Another writer changed the record in between: read again and re-apply (the change re-checks its preconditions).
        if (!(error instanceof StoreConflictError) || attempt >= RECORD_WRITE_ATTEMPTS) throw error;
        if (seen === undefined) await deps.clock.sleep(recordRetryDelay(attempt));
      }
    }
  }

  const credentialOf = (version: KvVersion | undefined, facts: Omit<VersionFacts, 'version'>, field: string): StoredCredential | undefined => {
    const value = version?.data[field];
    return typeof value === 'string' ? { ...facts, value: new Secret(value) } : undefined;
  };
  /** Facts for a version rotad did not write (an existing secret it adopted, or a write by someone else). */
  const externalFacts = (version: KvVersion): VersionFacts => ({
    version: version.version,
    rotationId: `external-v${version.version}`,
    createdAt: version.createdAt,
  });

  async function writeFacts(ref: PolicyRef, facts: VersionFacts): Promise<void> {
    await kv.mergeCustomMetadata(appPath(ref), {
      rotad_rotation_id: facts.rotationId,
      rotad_rotated_at: new Date(facts.createdAt).toISOString(),
      ...(facts.id === undefined ? {} : { rotad_credential_id: facts.id }),
      ...(facts.expiresAt === undefined ? {} : { rotad_expires_at: new Date(facts.expiresAt).toISOString() }),
    });
  }

  async function read(ref: PolicyRef): Promise<PolicySnapshot> {
    const field = fieldOf(ref);
    const { record } = await readRecord(ref);
    const latest = await kv.read(appPath(ref));
    // The path applications read is the truth for "current"; a version rotad did not write is adopted as is.
    const known = latest !== undefined && record.current?.version === latest.version;
    const currentFacts = latest === undefined ? undefined : known ? record.current : externalFacts(latest);
    const previousFacts = known ? record.previous : record.current;
    const previous = previousFacts && previousFacts.version !== latest?.version ? await kv.read(appPath(ref), previousFacts.version) : undefined;
    const { pending } = record;
    return {
      current: currentFacts && credentialOf(latest, currentFacts, field),
      previous: previousFacts && credentialOf(previous, previousFacts, field),
      pending: pending && { ...pending, value: new Secret(pending.value) },
      state: record.state,
      revision: String(record.stateRevision),
    };
  }

  return {
    capabilities: { rollback: true },
    read,

    async writeState(ref, state, expectedRevision) {
      return String((await updateRecord(ref, replaceState(ref.name, state, expectedRevision))).stateRevision);
    },

    async stagePending(ref, credential) {
      await updateRecord(ref, (record) => {
        if (record.pending?.rotationId === credential.rotationId && record.pending.value === credential.value.reveal()) return undefined;
        if (record.pending) throw new StoreConflictError(`policy ${ref.name} already has a pending credential from rotation ${record.pending.rotationId}`);
        const { value, ...facts } = credential;
        return { ...record, pending: { ...facts, value: value.reveal() } };
      });
    },

    async discardPending(ref, rotationId) {
      await updateRecord(ref, (record) => (record.pending?.rotationId === rotationId ? { ...record, pending: undefined } : undefined));
    },

    async promote(ref, rotationId) {
      const field = fieldOf(ref);
      let { record } = await readRecord(ref);
      if (record.current?.rotationId === rotationId && !record.promoting) return;
      const pending = record.pending;
      if (pending?.rotationId !== rotationId)
        throw new RotadError('STORE_RECORD_LOST', `policy ${ref.name} has no pending credential for rotation ${rotationId}`);
      const latest = await kv.read(appPath(ref));
      // 1. Remember which version the new one replaces, so a crash between 2 and 3 can tell.
      if (record.promoting?.rotationId !== rotationId) {
        const fromVersion = latest?.version ?? 0;
        record = await updateRecord(ref, (r) => ({ ...r, promoting: { rotationId, fromVersion } }));
      }
      const fromVersion = record.promoting?.fromVersion ?? 0;
      // 2. Write the application path with cas: someone else's write in between is a conflict, not overwritten.
      let version: number;
      if (latest && latest.version > fromVersion && latest.data[field] === pending.value) {
        version = latest.version;
      } else {
        const base = latest?.version === fromVersion ? latest.data : {};
        // The policy's facts (`secret.fields`) go into the same version: each version carries its own username.
        version = await kv.write(appPath(ref), { ...base, [field]: pending.value, ...factFields(ref, pending) }, fromVersion);
      }
      // 3. Record the move: the replaced version becomes previous (adopted if rotad did not write it).
      const { value: _value, ...facts } = pending;
      const current: VersionFacts = { ...facts, version };
      const replacedVersion = async (): Promise<KvVersion> =>
        (latest?.version === fromVersion ? latest : await kv.read(appPath(ref), fromVersion)) ?? { data: {}, version: fromVersion, createdAt: 0 };
      const replaced = record.current?.version === fromVersion ? record.current : fromVersion > 0 ? externalFacts(await replacedVersion()) : undefined;
      await updateRecord(ref, (r) => ({ ...r, previous: replaced, current, pending: undefined, promoting: undefined }));
      await writeFacts(ref, current);
    },

    async rollback(ref) {
      const field = fieldOf(ref);
      const snapshot = await read(ref);
      const { record } = await readRecord(ref);
      const latest = await kv.read(appPath(ref));
      if (!snapshot.previous || !record.current || !latest)
        throw new RotadError(
          'ROLLBACK_UNSAFE',
          `policy ${ref.name} has no readable previous version at ${options.mount}/${appPath(ref)} (kept versions: see max_versions)`,
        );
      const version = await kv.write(
        appPath(ref),
        { ...latest.data, [field]: snapshot.previous.value.reveal(), ...factFields(ref, snapshot.previous) },
        latest.version,
      );
      const { value: _value, ...previousFacts } = snapshot.previous;
      const restored: VersionFacts = { ...previousFacts, version };
      await updateRecord(ref, (r) => ({ ...r, current: restored, previous: r.current && { ...r.current, version: latest.version } }));
      await writeFacts(ref, restored);
    },

    async markPreviousRevoked(ref, rotationId, at) {
      await updateRecord(ref, previousRevoked(rotationId, at));
    },

    async takeHandover(ref) {
      const found = await kv.read(handoverPath(ref));
      const value = found?.data.value;
      return typeof value === 'string' && value.trim() !== '' ? new Secret(value.trim()) : undefined;
    },

    async clearHandover(ref) {
      await kv.destroy(handoverPath(ref));
    },

    async ping() {
      const response = await client.request('GET', 'auth/token/lookup-self');
      if (response.status !== 200) throw vaultError('token lookup (auth/token/lookup-self)', response);
    },

    async close() {
      client.reset();
    },
  };
}

export const vaultStore = {
  type: 'vault',
  schema: VaultStoreOptions,
  create: createVaultStore,
  requiredEnv: ({ auth }) => {
    if (auth.method === 'token' && auth.tokenFile === undefined)
      return [{ key: ['auth', 'tokenEnv'], name: auth.tokenEnv, what: 'the Vault token; or give auth.tokenFile' }];
    if (auth.method === 'approle' && auth.secretIdFile === undefined)
      return [{ key: ['auth', 'secretIdEnv'], name: auth.secretIdEnv, what: 'the AppRole secret id; or give auth.secretIdFile' }];
    return [];
  },
} satisfies AdapterDefinition<typeof VaultStoreOptions, Store>;
