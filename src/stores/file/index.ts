import { access, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import { describeError, RotadError, StoreConflictError } from '../../errors.js';
import { IDLE_STATE, type HistoryEntry, type PolicyState } from '../../policy-state.js';
import { filed } from '../history-record.js';
import type { Clock } from '../../clock.js';
import type { PolicyRef, PolicySnapshot, Store, StoredCredential } from '../types.js';
import { DocumentFile, exists, unreachable } from './document-file.js';
import { credentialFromJson, credentialToJson, type PolicyEntry } from './document.js';
import type { KeySource } from './key.js';
import { withFileLock } from './lock.js';
import { FileStoreOptions } from './schema.js';

const EMPTY_ENTRY: PolicyEntry = { state: IDLE_STATE, revision: 0 };

/** Every policy in one encrypted file (AES-256-GCM), each write atomic and durable under a lock. */
class FileStore implements Store {
  readonly #file: DocumentFile;
  readonly #clock: Clock;
  readonly #logger: AdapterDeps['logger'];

  constructor(options: FileStoreOptions, deps: AdapterDeps) {
    const keySource: KeySource =
      options.key.file !== undefined
        ? { kind: 'file', path: resolve(deps.configDir, options.key.file), generate: options.key.generate }
        : { kind: 'env', name: options.key.env ?? '' };
    this.#file = new DocumentFile(resolve(deps.configDir, options.path), keySource, deps.clock);
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  /**
   * One locked read-modify-write of a policy's entry. `revision` guards the state record only
   * (writeState bumps it), so staging or promoting never fails the engine's next CAS.
   */
  #mutate(policy: PolicyRef, change: (entry: PolicyEntry) => PolicyEntry | undefined): Promise<PolicyEntry> {
    return this.#file.change(policy.name, EMPTY_ENTRY, change);
  }

  async read(policy: PolicyRef): Promise<PolicySnapshot> {
    const entry = (await this.#file.read()).policies[policy.name] ?? EMPTY_ENTRY;
    return {
      current: credentialFromJson(entry.current),
      previous: credentialFromJson(entry.previous),
      pending: credentialFromJson(entry.pending),
      // A copy: the cached document must not change when a caller changes what it was given.
      state: structuredClone(entry.state),
      revision: String(entry.revision),
    };
  }

  async writeState(policy: PolicyRef, state: PolicyState, expectedRevision: string): Promise<string> {
    const entry = await this.#mutate(policy, (current) => {
      if (String(current.revision) !== expectedRevision) {
        throw new StoreConflictError(`state of policy ${policy.name} changed since it was read (revision ${current.revision}, expected ${expectedRevision})`);
      }
      return { ...current, state, revision: current.revision + 1 };
    });
    return String(entry.revision);
  }

  async stagePending(policy: PolicyRef, credential: StoredCredential): Promise<void> {
    await this.#mutate(policy, (entry) => {
      if (entry.pending?.rotationId === credential.rotationId && entry.pending.value === credential.value.reveal()) return undefined;
      if (entry.pending !== undefined) {
        throw new StoreConflictError(`policy ${policy.name} already has a pending credential from rotation ${entry.pending.rotationId}`);
      }
      return { ...entry, pending: credentialToJson(credential) };
    });
  }

  async discardPending(policy: PolicyRef, rotationId: string): Promise<void> {
    await this.#mutate(policy, (entry) => (entry.pending?.rotationId === rotationId ? { ...entry, pending: undefined } : undefined));
  }

  async promote(policy: PolicyRef, rotationId: string): Promise<void> {
    await this.#mutate(policy, (entry) => {
      if (entry.current?.rotationId === rotationId) return undefined;
      if (entry.pending?.rotationId !== rotationId) {
        throw new RotadError('STORE_RECORD_LOST', `policy ${policy.name} has no pending credential for rotation ${rotationId}`);
      }
      return { ...entry, previous: entry.current, current: entry.pending, pending: undefined };
    });
  }

  async rollback(policy: PolicyRef): Promise<void> {
    await this.#mutate(policy, (entry) => {
      if (entry.previous === undefined) throw new RotadError('ROLLBACK_UNSAFE', `policy ${policy.name} has no previous credential`);
      return { ...entry, current: entry.previous, previous: entry.current };
    });
  }

  async markPreviousRevoked(policy: PolicyRef, rotationId: string, at: number): Promise<void> {
    await this.#mutate(policy, (entry) => {
      if (entry.current?.rotationId !== rotationId || entry.previous === undefined || entry.previous.revokedAt !== undefined) return undefined;
      return { ...entry, previous: { ...entry.previous, revokedAt: at } };
    });
  }

  async readHistory(policy: PolicyRef): Promise<HistoryEntry[]> {
    return structuredClone((await this.#file.read()).policies[policy.name]?.history ?? []);
  }

  async fileHistory(policy: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void> {
    const fileInto = filed(entries, keep);
    await this.#mutate(policy, (entry) => {
      const next = fileInto({ entries: entry.history ?? [] });
      return next && { ...entry, history: next.entries };
    });
  }

  async ping(): Promise<void> {
    const { path } = this.#file;
    const dir = dirname(path);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await access(dir, 2 /* W_OK */);
    } catch (error) {
      throw unreachable(path, error);
    }
    if (await exists(path)) await this.#file.read();
    // Ready means writable: the lock can be taken now (a wedged lock shows here, not only in the next rotation).
    await withFileLock(this.#file.lockPath, this.#clock, async () => undefined, 2_000);
  }

  async close(): Promise<void> {
    try {
      await this.#file.fold();
    } catch (error) {
      // Nothing is lost: the journal stays beside the store file and is read at the next start.
      this.#logger.warn({ error: describeError(error), path: this.#file.journalPath }, 'File store journal not folded into the store file at close');
    } finally {
      await this.#file.forget();
    }
  }
}

export const fileStore = {
  type: 'file',
  schema: FileStoreOptions,
  create: (options, deps) => new FileStore(options, deps),
  requiredEnv: ({ key }) => (key.env === undefined ? [] : [{ key: ['key', 'env'], name: key.env, what: 'the file store key' }]),
} satisfies AdapterDefinition<typeof FileStoreOptions, Store>;
