import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { access, mkdir, open as openFile, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AdapterDefinition, AdapterDeps } from '../../adapters.js';
import { RotadError, StoreConflictError } from '../../errors.js';
import { IDLE_STATE, type PolicyState } from '../../policy-state.js';
import type { PolicyRef, PolicySnapshot, Store, StoredCredential } from '../types.js';
import { open, seal } from './cipher.js';
import { credentialFromJson, credentialToJson, Envelope, StoreDocument, type PolicyEntry } from './document.js';
import { loadKey, type KeySource } from './key.js';
import { isAlive, withFileLock } from './lock.js';
import { FileStoreOptions } from './schema.js';

const EMPTY_ENTRY: PolicyEntry = { state: IDLE_STATE, revision: 0 };
/** Bytes at the start of the store file that hold the envelope's IV and tag (and the start of the data). */
const IDENTITY_BYTES = 256;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function unreachable(path: string, error: unknown): RotadError {
  const reason = (error as NodeJS.ErrnoException).code ?? 'error';
  return new RotadError('STORE_UNREACHABLE', `file store ${path} cannot be used (${reason}); check that the directory exists and is writable`, {
    cause: error,
    retryable: true,
  });
}

/** Writes `content` so that readers see either the old or the new file, never a torn one. */
async function writeAtomically(path: string, content: Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await openFile(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dir = await openFile(dirname(path), 'r');
  await dir.sync().finally(() => dir.close());
}

/**
 * Copies of the store left by a writer killed mid-write (`<store>.<pid>.<uuid>.tmp`), and lock
 * drafts of processes that are gone. Called under the lock, where no other writer has a copy open.
 */
async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const draftPid = /^.+\.lock\.(\d+)\.[0-9a-f-]+\.draft$/.exec(name)?.[1];
    const orphan = name.endsWith('.tmp') || (draftPid !== undefined && !isAlive(Number(draftPid)));
    if (orphan) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** Each policy's `"name":{…}` member of the document's JSON, in the document's order. */
function entriesAsJson(document: StoreDocument): Map<string, string> {
  return new Map(Object.entries(document.policies).map(([name, entry]) => [name, entryMember(name, entry)]));
}

function entryMember(name: string, entry: PolicyEntry): string {
  return `${JSON.stringify(name)}:${JSON.stringify(entry)}`;
}

/** JSON.stringify(document), from the members of `entriesAsJson` (a Map keeps a key's place when it is set again, as an object does). */
function documentJson(entryJson: ReadonlyMap<string, string>): string {
  return `{"policies":{${[...entryJson.values()].join(',')}}}`;
}

/** JSON.stringify(envelope) without scanning the ciphertext for characters to escape (base64 has none). */
function envelopeBytes(envelope: Envelope): Buffer {
  const { data, ...head } = envelope;
  return Buffer.concat([Buffer.from(JSON.stringify(head).slice(0, -1)), Buffer.from(',"data":"'), Buffer.from(data, 'latin1'), Buffer.from('"}')]);
}

function createFileStore(options: FileStoreOptions, deps: AdapterDeps): Store {
  const path = resolve(deps.configDir, options.path);
  const lockPath = `${path}.lock`;
  const keySource: KeySource =
    options.key.file !== undefined
      ? { kind: 'file', path: resolve(deps.configDir, options.key.file), generate: options.key.generate }
      : { kind: 'env', name: options.key.env ?? '' };
  let key: Buffer | undefined;
  let leftovers: Promise<void> | undefined;
  /**
   * The document as last read or written by this process, with the identity of the file it came
   * from: its inode, size and times, and its first bytes, which hold the envelope's random IV and
   * its authentication tag (new with every write). Times alone are not enough: the kernel stamps
   * files with a clock of a few milliseconds, and a freed inode is soon reused, so two quick writes
   * of another process can look like none. An unchanged identity means unchanged content: a read
   * costs an open, a stat and a small read, not a decrypt and a parse of every policy. A write
   * changes it in place, with the cache dropped until the file holds it.
   */
  let cached: { identity: string; document: StoreDocument; entryJson?: Map<string, string> } | undefined;

  // Four small system calls, made synchronously: each takes microseconds, and going through the
  // thread pool would cost more than the calls themselves on every read.
  async function fileIdentity(): Promise<string | undefined> {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const info = fstatSync(fd, { bigint: true });
      const head = Buffer.alloc(IDENTITY_BYTES);
      const bytesRead = readSync(fd, head, 0, IDENTITY_BYTES, 0);
      return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}:${head.subarray(0, bytesRead).toString('base64')}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreachable(path, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  async function getKey(): Promise<Buffer> {
    key ??= await loadKey(keySource, await exists(path));
    return key;
  }

  /** A decrypt and parse under way, shared by the reads that come while it runs (a daemon starting reads every policy at once). */
  let parsing: { identity: string; document: Promise<StoreDocument> } | undefined;

  async function readDocument(): Promise<StoreDocument> {
    const identity = await fileIdentity();
    if (identity === undefined) return { policies: {} };
    if (cached?.identity === identity) return cached.document;
    if (parsing?.identity !== identity) {
      const document = parseDocument();
      parsing = { identity, document };
      void document
        .then(
          async (parsed) => {
            // Kept only if the file did not change while it was read.
            if ((await fileIdentity()) !== identity) return;
            const entry: NonNullable<typeof cached> = { identity, document: parsed };
            cached = entry;
            // The members a write reuses, made while the process is idle rather than by the first write
            // (at 10,000 policies that is tens of milliseconds off the first rotation after a start).
            setTimeout(() => {
              if (cached === entry) entry.entryJson ??= entriesAsJson(parsed);
            }, 200).unref();
          },
          () => undefined,
        )
        .finally(() => {
          if (parsing?.document === document) parsing = undefined;
        });
    }
    return parsing.document;
  }

  async function parseDocument(): Promise<StoreDocument> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { policies: {} };
      throw unreachable(path, error);
    }
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(text));
    } catch (error) {
      throw new RotadError('STORE_CORRUPT', `${path} is not a rotad file store; restore it from a backup`, { cause: error });
    }
    return StoreDocument.parse(JSON.parse(open(envelope, await getKey(), path)));
  }

  /**
   * One locked read-modify-write cycle on a single policy's entry. `revision` guards the state
   * record only (writeState bumps it), so staging or promoting never fails the engine's next CAS.
   */
  async function mutate({ name: policy }: PolicyRef, change: (entry: PolicyEntry) => PolicyEntry | undefined): Promise<PolicyEntry> {
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw unreachable(path, error);
    }
    return withFileLock(lockPath, deps.clock, async () => {
      leftovers ??= removeLeftovers(path);
      await leftovers;
      const document = await readDocument();
      const entry = document.policies[policy] ?? EMPTY_ENTRY;
      const next = change(entry);
      if (next === undefined) return entry;
      // Each policy's JSON is kept from the last write: a write serialises the policy it changes,
      // not every policy of the store (the document's text is their concatenation).
      const entryJson = cached?.document === document && cached.entryJson ? cached.entryJson : entriesAsJson(document);
      // Changed in place (copying ten thousand entries per write costs more than the write): the
      // cache is dropped until the file holds this document, and readers only ever get copies.
      cached = undefined;
      parsing = undefined;
      const written = document;
      written.policies[policy] = next;
      entryJson.set(policy, entryMember(policy, next));
      const sealed = seal(documentJson(entryJson), await getKey());
      await writeAtomically(path, envelopeBytes(sealed)).catch((error: unknown) => {
        throw unreachable(path, error);
      });
      // Under the lock nobody else writes: the file now holds exactly this document.
      const identity = await fileIdentity();
      if (identity !== undefined) cached = { identity, document: written, entryJson };
      return next;
    });
  }

  return {
    capabilities: { rollback: true },

    async read(policy): Promise<PolicySnapshot> {
      const entry = (await readDocument()).policies[policy.name] ?? EMPTY_ENTRY;
      return {
        current: credentialFromJson(entry.current),
        previous: credentialFromJson(entry.previous),
        pending: credentialFromJson(entry.pending),
        // A copy: the cached document must not change when a caller changes what it was given.
        state: structuredClone(entry.state),
        revision: String(entry.revision),
      };
    },

    async writeState(policy, state: PolicyState, expectedRevision) {
      const entry = await mutate(policy, (current) => {
        if (String(current.revision) !== expectedRevision) {
          throw new StoreConflictError(`state of policy ${policy.name} changed since it was read (revision ${current.revision}, expected ${expectedRevision})`);
        }
        return { ...current, state, revision: current.revision + 1 };
      });
      return String(entry.revision);
    },

    async stagePending(policy, credential: StoredCredential) {
      await mutate(policy, (entry) => {
        if (entry.pending?.rotationId === credential.rotationId && entry.pending.value === credential.value.reveal()) return undefined;
        if (entry.pending !== undefined) {
          throw new StoreConflictError(`policy ${policy.name} already has a pending credential from rotation ${entry.pending.rotationId}`);
        }
        return { ...entry, pending: credentialToJson(credential) };
      });
    },

    async discardPending(policy, rotationId) {
      await mutate(policy, (entry) => (entry.pending?.rotationId === rotationId ? { ...entry, pending: undefined } : undefined));
    },

    async promote(policy, rotationId) {
      await mutate(policy, (entry) => {
        if (entry.current?.rotationId === rotationId) return undefined;
        if (entry.pending?.rotationId !== rotationId) {
          throw new RotadError('STORE_RECORD_LOST', `policy ${policy.name} has no pending credential for rotation ${rotationId}`);
        }
        return { ...entry, previous: entry.current, current: entry.pending, pending: undefined };
      });
    },

    async rollback(policy) {
      await mutate(policy, (entry) => {
        if (entry.previous === undefined) throw new RotadError('ROLLBACK_UNSAFE', `policy ${policy.name} has no previous credential`);
        return { ...entry, current: entry.previous, previous: entry.current };
      });
    },

    async markPreviousRevoked(policy, rotationId, at) {
      await mutate(policy, (entry) => {
        if (entry.current?.rotationId !== rotationId || entry.previous === undefined || entry.previous.revokedAt !== undefined) return undefined;
        return { ...entry, previous: { ...entry.previous, revokedAt: at } };
      });
    },

    async ping() {
      const dir = dirname(path);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await access(dir, 2 /* W_OK */);
      } catch (error) {
        throw unreachable(path, error);
      }
      if (await exists(path)) await readDocument();
      // Ready means writable: the lock can be taken now (a wedged lock shows here, not only in the next rotation).
      await withFileLock(lockPath, deps.clock, async () => undefined, 2_000);
    },

    async close() {
      key = undefined;
      cached = undefined;
    },
  };
}

export const fileStore = {
  type: 'file',
  schema: FileStoreOptions,
  create: createFileStore,
  requiredEnv: ({ key }) => (key.env === undefined ? [] : [{ key: ['key', 'env'], name: key.env, what: 'the file store key' }]),
} satisfies AdapterDefinition<typeof FileStoreOptions, Store>;
