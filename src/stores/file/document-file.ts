import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { access, mkdir, open as openFile, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../clock.js';
import { RotadError } from '../../errors.js';
import { open, seal } from './cipher.js';
import { Envelope, StoreDocument, type PolicyEntry } from './document.js';
import { loadKey, type KeySource } from './key.js';
import { isAlive, withFileLock } from './lock.js';

/** Bytes at the start of the store file that hold the envelope's IV and tag (and the start of the data). */
const IDENTITY_BYTES = 256;

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export function unreachable(path: string, error: unknown): RotadError {
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

interface CachedDocument {
  identity: string;
  document: StoreDocument;
  entryJson?: Map<string, string>;
}

/**
 * The store file: one encrypted document of every policy's entry, replaced atomically under a lock.
 * The decrypted document is kept in memory while the file is unchanged (see `#cached`).
 */
export class DocumentFile {
  readonly path: string;
  readonly lockPath: string;
  readonly #keySource: KeySource;
  readonly #clock: Clock;
  #key: Buffer | undefined;
  #leftovers: Promise<void> | undefined;
  /**
   * The document as last read or written by this process, with the identity of the file it came
   * from: its inode, size and times, and its first bytes, which hold the envelope's random IV and
   * its authentication tag (new with every write). Times alone are not enough: the kernel stamps
   * files with a clock of a few milliseconds, and a freed inode is soon reused, so two quick writes
   * of another process can look like none. An unchanged identity means unchanged content: a read
   * costs an open, a stat and a small read, not a decrypt and a parse of every policy. A write
   * changes it in place, with the cache dropped until the file holds it.
   */
  #cached: CachedDocument | undefined;
  /** A decrypt and parse under way, shared by the reads that come while it runs (a daemon starting reads every policy at once). */
  #parsing: { identity: string; document: Promise<StoreDocument> } | undefined;

  constructor(path: string, keySource: KeySource, clock: Clock) {
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.#keySource = keySource;
    this.#clock = clock;
  }

  // Four small system calls, made synchronously: each takes microseconds, and going through the
  // thread pool would cost more than the calls themselves on every read.
  #fileIdentity(): string | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'r');
      const info = fstatSync(fd, { bigint: true });
      const head = Buffer.alloc(IDENTITY_BYTES);
      const bytesRead = readSync(fd, head, 0, IDENTITY_BYTES, 0);
      return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}:${head.subarray(0, bytesRead).toString('base64')}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreachable(this.path, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  async #getKey(): Promise<Buffer> {
    this.#key ??= await loadKey(this.#keySource, await exists(this.path));
    return this.#key;
  }

  async read(): Promise<StoreDocument> {
    const identity = this.#fileIdentity();
    if (identity === undefined) return { policies: {} };
    if (this.#cached?.identity === identity) return this.#cached.document;
    if (this.#parsing?.identity !== identity) {
      const document = this.#parse();
      this.#parsing = { identity, document };
      void document
        .then(
          (parsed) => {
            // Kept only if the file did not change while it was read.
            if (this.#fileIdentity() !== identity) return;
            const entry: CachedDocument = { identity, document: parsed };
            this.#cached = entry;
            // The members a write reuses, made while the process is idle rather than by the first write
            // (at 10,000 policies that is tens of milliseconds off the first rotation after a start).
            setTimeout(() => {
              if (this.#cached === entry) entry.entryJson ??= entriesAsJson(parsed);
            }, 200).unref();
          },
          () => undefined,
        )
        .finally(() => {
          if (this.#parsing?.document === document) this.#parsing = undefined;
        });
    }
    return this.#parsing.document;
  }

  async #parse(): Promise<StoreDocument> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { policies: {} };
      throw unreachable(this.path, error);
    }
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(text));
    } catch (error) {
      throw new RotadError('STORE_CORRUPT', `${this.path} is not a rotad file store; restore it from a backup`, { cause: error });
    }
    return StoreDocument.parse(JSON.parse(open(envelope, await this.#getKey(), this.path)));
  }

  /**
   * One locked read-modify-write cycle on a single policy's entry; `change` returning undefined
   * writes nothing. Returns the entry as it now stands.
   */
  async change(policy: string, empty: PolicyEntry, change: (entry: PolicyEntry) => PolicyEntry | undefined): Promise<PolicyEntry> {
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw unreachable(this.path, error);
    }
    return withFileLock(this.lockPath, this.#clock, async () => {
      this.#leftovers ??= removeLeftovers(this.path);
      await this.#leftovers;
      const document = await this.read();
      const entry = document.policies[policy] ?? empty;
      const next = change(entry);
      if (next === undefined) return entry;
      await this.#write(document, policy, next);
      return next;
    });
  }

  /** Writes `document` with `policy`'s entry replaced by `next`. Called under the lock. */
  async #write(document: StoreDocument, policy: string, next: PolicyEntry): Promise<void> {
    // Each policy's JSON is kept from the last write: a write serialises the policy it changes,
    // not every policy of the store (the document's text is their concatenation).
    const entryJson = this.#cached?.document === document && this.#cached.entryJson ? this.#cached.entryJson : entriesAsJson(document);
    // Changed in place (copying ten thousand entries per write costs more than the write): the
    // cache is dropped until the file holds this document, and readers only ever get copies.
    this.#cached = undefined;
    this.#parsing = undefined;
    document.policies[policy] = next;
    entryJson.set(policy, entryMember(policy, next));
    const sealed = seal(documentJson(entryJson), await this.#getKey());
    await writeAtomically(this.path, envelopeBytes(sealed)).catch((error: unknown) => {
      throw unreachable(this.path, error);
    });
    // Under the lock nobody else writes: the file now holds exactly this document.
    const identity = this.#fileIdentity();
    if (identity !== undefined) this.#cached = { identity, document, entryJson };
  }

  /** Forgets the key and the document (the store is closed). */
  forget(): void {
    this.#key = undefined;
    this.#cached = undefined;
  }
}
