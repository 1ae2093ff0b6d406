import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { HistoryEntry, PolicyState } from '../../policy-state.js';
import { CasRecords, previousRevoked, replaceState } from '../state-record.js';
import { EMPTY_HISTORY, filed, HistoryRecord, historyKeyOf } from '../history-record.js';
import { EMPTY_ROSTER, Roster, rosterKeyOf } from '../roster-record.js';
import { factFields, type PolicyRef, type PolicySnapshot, type Store, type StoredCredential } from '../types.js';
import { VaultClient } from './client.js';
import { vaultError } from './errors.js';
import { KvV2, kvRecordIo, type KvVersion } from './kv.js';
import { EMPTY_RECORD, StateRecord, type VersionFacts } from './record.js';
import { VaultStoreOptions } from './schema.js';

/** Facts for a version rotad did not write (an existing secret it adopted, or a write by someone else). */
const externalFacts = (version: KvVersion): VersionFacts => ({
  version: version.version,
  rotationId: `external-v${version.version}`,
  createdAt: version.createdAt,
});

const credentialOf = (version: KvVersion | undefined, facts: Omit<VersionFacts, 'version'>, field: string): StoredCredential | undefined => {
  const value = version?.data[field];
  return typeof value === 'string' ? { ...facts, value: new Secret(value) } : undefined;
};

function readCa(options: VaultStoreOptions, resolvePath: (path: string) => string): string | undefined {
  if (!options.caFile) return undefined;
  try {
    return readFileSync(resolvePath(options.caFile), 'utf8');
  } catch (error) {
    throw new RotadError('STORE_UNREACHABLE', `cannot read Vault CA bundle ${options.caFile} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** The policy's credential at the KV v2 path applications read (its versions), its state in a record of rotad's own. */
class VaultStore implements Store {
  readonly #options: VaultStoreOptions;
  readonly #client: VaultClient;
  readonly #kv: KvV2;
  readonly #records: CasRecords<StateRecord, number>;
  readonly #history: CasRecords<HistoryRecord, number>;
  readonly #roster: CasRecords<Roster, number>;

  constructor(options: VaultStoreOptions, deps: AdapterDeps) {
    this.#options = options;
    const resolvePath = (path: string): string => resolve(deps.configDir, path);
    this.#client = new VaultClient({
      address: options.address,
      namespace: options.namespace,
      auth: options.auth,
      resolvePath,
      ca: readCa(options, resolvePath),
      timeoutMs: durationMs(options.timeout),
      clock: deps.clock,
    });
    const kv = new KvV2(this.#client, options.mount);
    this.#kv = kv;
    const sleep = (ms: number): Promise<void> => deps.clock.sleep(ms);
    this.#records = new CasRecords(kvRecordIo(kv, StateRecord, EMPTY_RECORD, 'state record'), sleep);
    this.#history = new CasRecords(kvRecordIo(kv, HistoryRecord, EMPTY_HISTORY, 'history record'), sleep);
    this.#roster = new CasRecords(kvRecordIo(kv, Roster, EMPTY_ROSTER, 'replica roster'), sleep);
  }

  #appPath(ref: PolicyRef): string {
    return ref.path ?? this.#options.path.replaceAll('{policy}', ref.name);
  }
  #statePath(ref: PolicyRef): string {
    return this.#options.statePath.replaceAll('{policy}', ref.name);
  }
  #handoverPath(ref: PolicyRef): string {
    return this.#options.handoverPath.replaceAll('{policy}', ref.name);
  }
  #fieldOf(ref: PolicyRef): string {
    return ref.field ?? this.#options.field;
  }
  #readRecord(ref: PolicyRef): Promise<{ record: StateRecord; kvVersion: number }> {
    return this.#records.read(this.#statePath(ref));
  }
  #updateRecord(ref: PolicyRef, change: (record: StateRecord) => StateRecord | undefined): Promise<StateRecord> {
    return this.#records.update(this.#statePath(ref), change);
  }

  async #writeFacts(ref: PolicyRef, facts: VersionFacts): Promise<void> {
    await this.#kv.mergeCustomMetadata(this.#appPath(ref), {
      rotad_rotation_id: facts.rotationId,
      rotad_rotated_at: new Date(facts.createdAt).toISOString(),
      ...(facts.id === undefined ? {} : { rotad_credential_id: facts.id }),
      ...(facts.expiresAt === undefined ? {} : { rotad_expires_at: new Date(facts.expiresAt).toISOString() }),
    });
  }

  async read(ref: PolicyRef): Promise<PolicySnapshot> {
    const field = this.#fieldOf(ref);
    const { record } = await this.#readRecord(ref);
    const { pending, promoting } = record;
    let latest = await this.#kv.read(this.#appPath(ref));
    // A promote under way (the path applications read written, the record not yet): until the
    // record says so, the credential it replaces is current and the new one pending, as the promote
    // will record them. Reporting the new version as an unknown current would make the engine take
    // the old one for a credential left alive, and the new one for the one to revoke.
    if (promoting && pending?.rotationId === promoting.rotationId && latest && latest.version > promoting.fromVersion && latest.data[field] === pending.value)
      latest = promoting.fromVersion > 0 ? await this.#kv.read(this.#appPath(ref), promoting.fromVersion) : undefined;
    // The path applications read is the truth for "current"; a version rotad did not write is adopted as is.
    const known = latest !== undefined && record.current?.version === latest.version;
    const currentFacts = latest === undefined ? undefined : known ? record.current : externalFacts(latest);
    const previousFacts = known ? record.previous : record.current;
    const previous = previousFacts && previousFacts.version !== latest?.version ? await this.#kv.read(this.#appPath(ref), previousFacts.version) : undefined;
    return {
      current: currentFacts && credentialOf(latest, currentFacts, field),
      previous: previousFacts && credentialOf(previous, previousFacts, field),
      pending: pending && { ...pending, value: new Secret(pending.value) },
      state: record.state,
      revision: String(record.stateRevision),
    };
  }

  async writeState(ref: PolicyRef, state: PolicyState, expectedRevision: string): Promise<string> {
    return String((await this.#updateRecord(ref, replaceState(ref.name, state, expectedRevision))).stateRevision);
  }

  async stagePending(ref: PolicyRef, credential: StoredCredential): Promise<void> {
    await this.#updateRecord(ref, (record) => {
      if (record.pending?.rotationId === credential.rotationId && record.pending.value === credential.value.reveal()) return undefined;
      if (record.pending) throw new StoreConflictError(`policy ${ref.name} already has a pending credential from rotation ${record.pending.rotationId}`);
      const { value, ...facts } = credential;
      return { ...record, pending: { ...facts, value: value.reveal() } };
    });
  }

  async discardPending(ref: PolicyRef, rotationId: string): Promise<void> {
    await this.#updateRecord(ref, (record) => (record.pending?.rotationId === rotationId ? { ...record, pending: undefined } : undefined));
  }

  async promote(ref: PolicyRef, rotationId: string): Promise<void> {
    const field = this.#fieldOf(ref);
    let { record } = await this.#readRecord(ref);
    if (record.current?.rotationId === rotationId && !record.promoting) return;
    const pending = record.pending;
    if (pending?.rotationId !== rotationId)
      throw new RotadError('STORE_RECORD_LOST', `policy ${ref.name} has no pending credential for rotation ${rotationId}`);
    const latest = await this.#kv.read(this.#appPath(ref));
    // 1. Remember which version the new one replaces, so a crash between 2 and 3 can tell.
    if (record.promoting?.rotationId !== rotationId) {
      const fromVersion = latest?.version ?? 0;
      record = await this.#updateRecord(ref, (r) => ({ ...r, promoting: { rotationId, fromVersion } }));
    }
    const fromVersion = record.promoting?.fromVersion ?? 0;
    // 2. Write the application path with cas: someone else's write in between is a conflict, not overwritten.
    let version: number;
    if (latest && latest.version > fromVersion && latest.data[field] === pending.value) {
      version = latest.version;
    } else {
      const base = latest?.version === fromVersion ? latest.data : {};
      // The policy's facts (`secret.fields`) go into the same version: each version carries its own username.
      version = await this.#kv.write(this.#appPath(ref), { ...base, [field]: pending.value, ...factFields(ref, pending) }, fromVersion);
    }
    // 3. Record the move: the replaced version becomes previous (adopted if rotad did not write it).
    const { value: _value, ...facts } = pending;
    const current: VersionFacts = { ...facts, version };
    const replacedVersion = async (): Promise<KvVersion> =>
      (latest?.version === fromVersion ? latest : await this.#kv.read(this.#appPath(ref), fromVersion)) ?? { data: {}, version: fromVersion, createdAt: 0 };
    const replaced = record.current?.version === fromVersion ? record.current : fromVersion > 0 ? externalFacts(await replacedVersion()) : undefined;
    await this.#updateRecord(ref, (r) => ({ ...r, previous: replaced, current, pending: undefined, promoting: undefined }));
    await this.#writeFacts(ref, current);
  }

  async rollback(ref: PolicyRef): Promise<void> {
    const field = this.#fieldOf(ref);
    const snapshot = await this.read(ref);
    const { record } = await this.#readRecord(ref);
    const latest = await this.#kv.read(this.#appPath(ref));
    if (!snapshot.previous || !record.current || !latest)
      throw new RotadError(
        'ROLLBACK_UNSAFE',
        `policy ${ref.name} has no readable previous version at ${this.#options.mount}/${this.#appPath(ref)} (kept versions: see max_versions)`,
      );
    const version = await this.#kv.write(
      this.#appPath(ref),
      { ...latest.data, [field]: snapshot.previous.value.reveal(), ...factFields(ref, snapshot.previous) },
      latest.version,
    );
    const { value: _value, ...previousFacts } = snapshot.previous;
    const restored: VersionFacts = { ...previousFacts, version };
    await this.#updateRecord(ref, (r) => ({ ...r, current: restored, previous: r.current && { ...r.current, version: latest.version } }));
    await this.#writeFacts(ref, restored);
  }

  async markPreviousRevoked(ref: PolicyRef, rotationId: string, at: number): Promise<void> {
    await this.#updateRecord(ref, previousRevoked(rotationId, at));
  }

  async takeHandover(ref: PolicyRef): Promise<Secret | undefined> {
    const found = await this.#kv.read(this.#handoverPath(ref));
    const value = found?.data.value;
    return typeof value === 'string' && value.trim() !== '' ? new Secret(value.trim()) : undefined;
  }

  async clearHandover(ref: PolicyRef): Promise<void> {
    await this.#kv.destroy(this.#handoverPath(ref));
  }

  async readHistory(ref: PolicyRef): Promise<HistoryEntry[]> {
    return (await this.#history.read(historyKeyOf(this.#statePath(ref)))).record.entries;
  }

  async fileHistory(ref: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void> {
    await this.#history.update(historyKeyOf(this.#statePath(ref)), filed(entries, keep));
  }

  async readRoster(): Promise<Roster> {
    return (await this.#roster.read(rosterKeyOf(this.#options.statePath))).record;
  }

  updateRoster(change: (roster: Roster) => Roster | undefined): Promise<Roster> {
    return this.#roster.update(rosterKeyOf(this.#options.statePath), change);
  }

  async ping(): Promise<void> {
    const response = await this.#client.request('GET', 'auth/token/lookup-self');
    if (response.status !== 200) throw vaultError('token lookup (auth/token/lookup-self)', response);
  }

  async close(): Promise<void> {
    this.#client.reset();
  }
}

export const vaultStore = {
  type: 'vault',
  schema: VaultStoreOptions,
  create: (options, deps) => new VaultStore(options, deps),
  requiredEnv: ({ auth }) => {
    if (auth.method === 'token' && auth.tokenFile === undefined)
      return [{ key: ['auth', 'tokenEnv'], name: auth.tokenEnv, what: 'the Vault token; or give auth.tokenFile' }];
    if (auth.method === 'approle' && auth.secretIdFile === undefined)
      return [{ key: ['auth', 'secretIdEnv'], name: auth.secretIdEnv, what: 'the AppRole secret id; or give auth.secretIdFile' }];
    return [];
  },
} satisfies AdapterDefinition<typeof VaultStoreOptions, Store>;
