import { randomUUID } from 'node:crypto';
import { close, closeSync, fdatasync, fstatSync, ftruncate, open as openFd, openSync, readSync, statSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { access, mkdir, open as openFile, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../clock.js';
import { RotadError } from '../../errors.js';
import { open, seal } from './cipher.js';
import { Envelope, StoreDocument, type PolicyEntry } from './document.js';
import { headerLine, newJournalHeader, readJournal, recordLine, type JournalState } from './journal.js';
import { loadKey, type KeySource } from './key.js';
import { dropDraft, isLeftoverDraft, withFileLock } from './lock.js';

const openFdAsync = promisify(openFd);
const ftruncateAsync = promisify(ftruncate);
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

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
    if (name.startsWith(`${base}.`) && (name.endsWith('.tmp') || isLeftoverDraft(name))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** JSON.stringify(envelope) without scanning the ciphertext for characters to escape (base64 has none). */
function envelopeBytes(envelope: Envelope): Buffer {
  const { data, ...head } = envelope;
  return Buffer.concat([Buffer.from(JSON.stringify(head).slice(0, -1)), Buffer.from(',"data":"'), Buffer.from(data, 'latin1'), Buffer.from('"}')]);
}

/** A journal longer than this is folded into the store file: the larger of the store file's size and this floor. */
const COMPACT_FLOOR_BYTES = 256 * 1024;
/** A read retries while the store file is replaced under it (a compaction of another process): this many times. */
const READ_ATTEMPTS = 5;

/**
 * The identity of a file: its inode, size and times, and its first bytes (the envelope's random IV
 * and tag; a journal's random id). Times alone are not enough: the kernel stamps files with a clock
 * of a few milliseconds, and a freed inode is soon reused, so two quick writes of another process
 * could look like none. Four small system calls, made synchronously: each takes microseconds, and
 * going through the thread pool would cost more than the calls themselves on every read.
 */
interface FileIdentity {
  text: string;
  /** Device and inode: the file, whatever its content. */
  inode: string;
  size: number;
}

function fileIdentity(path: string, headBytes: number): FileIdentity | undefined {
  let fd: number | undefined;
  try {
    if (headBytes === 0) {
      const info = statSync(path, { bigint: true });
      const inode = `${info.dev}:${info.ino}`;
      return { text: `${inode}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`, inode, size: Number(info.size) };
    }
    fd = openSync(path, 'r');
    const info = fstatSync(fd, { bigint: true });
    const head = Buffer.alloc(headBytes);
    const bytesRead = readSync(fd, head, 0, headBytes, 0);
    const inode = `${info.dev}:${info.ino}`;
    return { text: `${inode}:${info.size}:${info.mtimeNs}:${info.ctimeNs}:${head.subarray(0, bytesRead).toString('base64')}`, inode, size: Number(info.size) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreachable(path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The store as this process last read or wrote it. */
interface Loaded {
  /** Identity of the store file and of the journal when this was read; undefined base: no store file yet. */
  identity: { base: FileIdentity | undefined; journal: FileIdentity | undefined };
  document: StoreDocument;
  /** The store file's envelope IV (what a journal binds to) and size. */
  base?: { iv: string; bytes: number };
  /** The journal continuing that store file, if there is one. */
  journal?: JournalState;
}

const sameIdentity = (a: Loaded['identity'], b: Loaded['identity']): boolean => a.base?.text === b.base?.text && a.journal?.text === b.journal?.text;

/**
 * The store: one encrypted document of every policy's entry (the store file, replaced atomically)
 * and the journal of changes since it was written (`journal.ts`), all writes under a lock. A write
 * appends one record to the journal; a journal grown past the store file's size is folded into a
 * new store file. The document is kept in memory while neither file changes (see `#cached`).
 */
export class DocumentFile {
  readonly path: string;
  readonly journalPath: string;
  readonly lockPath: string;
  readonly #keySource: KeySource;
  readonly #clock: Clock;
  #key: Buffer | undefined;
  #leftovers: Promise<void> | undefined;
  #directory: Promise<void> | undefined;
  /**
   * The store as last read or written by this process. An unchanged identity of both files means
   * unchanged content: a read costs an open, two stats and a small read, not a decrypt and a parse
   * of every policy.
   */
  #cached: Loaded | undefined;
  /** A read under way, shared by the reads that come while it runs (a daemon starting reads every policy at once). */
  #parsing: { identity: Loaded['identity']; loaded: Promise<Loaded> } | undefined;
  /** The store as read under the lock by a write of this process that is under way. */
  #writing: Loaded | undefined;
  /** This process appended to the journal since it last folded it: `fold` has work to do. */
  #appended = false;
  /**
   * The journal, open for appending (a plain descriptor: a FileHandle left open by a store that is
   * never closed would be closed by the garbage collector, with a warning), and its device and inode.
   */
  #journal: { fd: number; inode: string } | undefined;

  constructor(path: string, keySource: KeySource, clock: Clock) {
    this.path = path;
    this.journalPath = `${path}.journal`;
    this.lockPath = `${path}.lock`;
    this.#keySource = keySource;
    this.#clock = clock;
  }

  #identity(): Loaded['identity'] {
    // The journal's first bytes are not needed: a new journal only ever follows a new store file.
    return { base: fileIdentity(this.path, IDENTITY_BYTES), journal: fileIdentity(this.journalPath, 0) };
  }

  async #getKey(): Promise<Buffer> {
    this.#key ??= await loadKey(this.#keySource, await exists(this.path));
    return this.#key;
  }

  async read(): Promise<StoreDocument> {
    return (await this.#load()).document;
  }

  async #load(): Promise<Loaded> {
    // While this process writes it holds the lock: the files differ from what the write read only
    // by that write, which readers see once it is durable.
    if (this.#writing) return this.#writing;
    const identity = this.#identity();
    if (identity.base === undefined) return { identity, document: { policies: {} } };
    if (this.#cached && sameIdentity(this.#cached.identity, identity)) return this.#cached;
    if (!this.#parsing || !sameIdentity(this.#parsing.identity, identity)) {
      const loaded = this.#parse();
      this.#parsing = { identity, loaded };
      void loaded
        .then(
          (parsed) => {
            // Kept only if neither file changed while it was read, and the journal has no cut-off write.
            if (parsed.journal?.torn !== true && sameIdentity(this.#identity(), parsed.identity)) this.#cached = parsed;
          },
          () => undefined,
        )
        .finally(() => {
          if (this.#parsing?.loaded === loaded) this.#parsing = undefined;
        });
    }
    return this.#parsing.loaded;
  }

  /**
   * Reads the store file and applies the journal. If the store file was replaced meanwhile (the
   * journal read may then be missing records the new file holds), reads again.
   */
  async #parse(): Promise<Loaded> {
    for (let attempt = 1; ; attempt += 1) {
      const identity = this.#identity();
      const loaded = await this.#parseOnce(identity);
      if (this.#identity().base?.text === identity.base?.text) return loaded;
      if (attempt === READ_ATTEMPTS) {
        throw new RotadError('STORE_BUSY', `${this.path} was replaced ${READ_ATTEMPTS} times while it was read; try again`, { retryable: true });
      }
    }
  }

  async #parseOnce(identity: Loaded['identity']): Promise<Loaded> {
    const bytes = await this.#readFile(this.path);
    if (bytes === undefined) return { identity, document: { policies: {} } };
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      throw new RotadError('STORE_CORRUPT', `${this.path} is not a rotad file store; restore it from a backup`, { cause: error });
    }
    const key = await this.#getKey();
    const document = StoreDocument.parse(JSON.parse(open(envelope, key, this.path)));
    const journalBytes = await this.#readFile(this.journalPath);
    const journal =
      journalBytes &&
      readJournal(journalBytes, envelope.iv, key, this.journalPath, (policy, entry) => {
        document.policies[policy] = entry;
      });
    return { identity, document, base: { iv: envelope.iv, bytes: bytes.length }, ...(journal && { journal }) };
  }

  async #readFile(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreachable(path, error);
    }
  }

  /**
   * One locked read-modify-write cycle on a single policy's entry; `change` returning undefined
   * writes nothing. Returns the entry as it now stands.
   */
  async change(policy: string, empty: PolicyEntry, change: (entry: PolicyEntry) => PolicyEntry | undefined): Promise<PolicyEntry> {
    // Made once per process; a directory removed later is made again after the write it fails.
    this.#directory ??= mkdir(dirname(this.path), { recursive: true, mode: 0o700 }).then(() => undefined);
    try {
      await this.#directory;
    } catch (error) {
      this.#directory = undefined;
      throw unreachable(this.path, error);
    }
    return this.#locked(async () => {
      const loaded = await this.#load();
      const entry = loaded.document.policies[policy] ?? empty;
      const next = change(entry);
      if (next === undefined) return entry;
      this.#writing = loaded;
      try {
        await this.#persist(loaded, policy, next);
      } catch (error) {
        // The files may hold part of the write: read them again.
        this.#cached = undefined;
        this.#parsing = undefined;
        this.#directory = undefined;
        throw error instanceof RotadError ? error : unreachable(this.path, error);
      } finally {
        this.#writing = undefined;
      }
      return next;
    });
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, this.#clock, async () => {
      this.#leftovers ??= removeLeftovers(this.path);
      await this.#leftovers;
      return work();
    });
  }

  /**
   * Makes the files hold `loaded.document` with `policy`'s entry replaced by `entry`, then the
   * document in memory (changed in place: copying ten thousand entries per write costs more than
   * the write; readers only ever get copies). Called under the lock.
   */
  async #persist(loaded: Loaded, policy: string, entry: PolicyEntry): Promise<void> {
    const withEntry = (): StoreDocument => ({ policies: { ...loaded.document.policies, [policy]: entry } });
    if (!loaded.base) return this.#writeBase(withEntry());
    const key = await this.#getKey();
    let journal: JournalState;
    if (loaded.journal) {
      const line = recordLine(loaded.journal.header, loaded.journal.records, policy, entry, key);
      await this.#writeJournalAt(loaded.identity.journal, loaded.journal.validEnd, line);
      journal = { ...loaded.journal, validEnd: loaded.journal.validEnd + line.length, records: loaded.journal.records + 1, torn: false };
    } else {
      const header = newJournalHeader(loaded.base.iv, key);
      const content = Buffer.concat([headerLine(header), recordLine(header, 0, policy, entry, key)]);
      await writeAtomically(this.journalPath, content);
      journal = { header, validEnd: content.length, records: 1, torn: false };
    }
    this.#appended = true;
    if (journal.validEnd > Math.max(loaded.base.bytes, COMPACT_FLOOR_BYTES)) return this.#writeBase(withEntry());
    // Under the lock nobody else writes: the files now hold exactly this document.
    loaded.document.policies[policy] = entry;
    this.#cached = { identity: this.#identity(), document: loaded.document, base: loaded.base, journal };
  }

  /**
   * Writes `bytes` at `offset` of the journal and syncs it, first cutting off whatever follows
   * `offset` (a write cut off by a crash). The journal stays open between writes.
   */
  async #writeJournalAt(identity: FileIdentity | undefined, offset: number, bytes: Buffer): Promise<void> {
    if (identity === undefined) throw new RotadError('STORE_UNREACHABLE', `${this.journalPath} disappeared while it was written`, { retryable: true });
    if (this.#journal?.inode !== identity.inode) {
      await this.#closeJournal();
      this.#journal = { fd: await openFdAsync(this.journalPath, 'r+'), inode: identity.inode };
    }
    const { fd } = this.#journal;
    try {
      if (identity.size !== offset) await ftruncateAsync(fd, offset);
      for (let done = 0; done < bytes.length;) done += (await writeAsync(fd, bytes, done, bytes.length - done, offset + done)).bytesWritten;
      await fdatasyncAsync(fd);
    } catch (error) {
      await this.#closeJournal();
      throw error;
    }
  }

  async #closeJournal(): Promise<void> {
    const open = this.#journal;
    this.#journal = undefined;
    if (open) await closeAsync(open.fd).catch(() => undefined);
  }

  /** Writes `document` as a new store file and drops the journal it replaces (a journal left by a crash here is bound to the old file, so ignored). */
  async #writeBase(document: StoreDocument): Promise<void> {
    const sealed = seal(JSON.stringify(document), await this.#getKey());
    const bytes = envelopeBytes(sealed);
    await writeAtomically(this.path, bytes);
    await this.#closeJournal();
    await unlink(this.journalPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    this.#appended = false;
    this.#cached = { identity: this.#identity(), document, base: { iv: sealed.iv, bytes: bytes.length } };
  }

  /** Folds the journal this process wrote into the store file, so that a stopped daemon leaves one file. */
  async fold(): Promise<void> {
    if (!this.#appended) return;
    await this.#locked(async () => {
      const loaded = await this.#load();
      if (loaded.journal) await this.#writeBase(loaded.document);
    });
  }

  /** Forgets the key and the document, and removes this process's lock draft (the store is closed). */
  async forget(): Promise<void> {
    this.#key = undefined;
    this.#cached = undefined;
    await this.#closeJournal();
    await dropDraft(this.lockPath);
  }
}
