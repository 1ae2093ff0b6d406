import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RotadError } from '../../errors.js';
import { assertKey, keyId, open, seal } from './cipher.js';
import { PolicyEntry } from './document.js';

/**
 * The journal beside the store file (`<store>.journal`): one line per changed policy entry,
 * appended and fsynced, so a write costs the bytes of one entry instead of the whole store. The
 * first line binds the journal to one store file (the random IV of its envelope); a journal bound
 * to another file was already folded into it and is ignored. Each record is sealed with the
 * journal's id, that binding and its sequence number as authenticated context: a record cannot be
 * moved to another journal, another store file or another place in the order.
 */
const JournalHeader = z.object({
  format: z.literal('rotad-file-journal'),
  version: z.literal(1),
  keyId: z.string(),
  /** The IV of the store file's envelope this journal continues. */
  base: z.string(),
  id: z.string(),
});
type JournalHeader = z.infer<typeof JournalHeader>;

const JournalRecord = z.object({ n: z.int(), iv: z.string(), tag: z.string(), data: z.string() });
const Change = z.object({ policy: z.string(), entry: PolicyEntry });

export interface JournalState {
  header: JournalHeader;
  /** Byte offset just after the last whole, authentic record: where the next record goes. */
  validEnd: number;
  records: number;
  /** Bytes after `validEnd` that are not a record: a write cut off by a crash, never acknowledged. */
  torn: boolean;
}

const NEWLINE = 0x0a;

export function newJournalHeader(base: string, key: Buffer): JournalHeader {
  return { format: 'rotad-file-journal', version: 1, keyId: keyId(key), base, id: randomBytes(12).toString('base64url') };
}

export function headerLine(header: JournalHeader): Buffer {
  return Buffer.from(`${JSON.stringify(header)}\n`);
}

const recordContext = (header: JournalHeader, n: number): string => `${header.id}:${header.base}:${n}`;

export function recordLine(header: JournalHeader, n: number, policy: string, entry: PolicyEntry, key: Buffer): Buffer {
  const { iv, tag, data } = seal(JSON.stringify({ policy, entry }), key, recordContext(header, n));
  return Buffer.from(`${JSON.stringify({ n, iv, tag, data })}\n`);
}

/** The record's change, or undefined when the line is not a whole, authentic record number `n`. */
function openRecord(line: string, n: number, header: JournalHeader, key: Buffer, where: string): z.infer<typeof Change> | undefined {
  let plaintext: string;
  try {
    const record = JournalRecord.parse(JSON.parse(line));
    if (record.n !== n) return undefined;
    plaintext = open({ ...record, keyId: header.keyId }, key, where, recordContext(header, n));
  } catch {
    return undefined;
  }
  const change = Change.safeParse(JSON.parse(plaintext));
  if (!change.success) throw new RotadError('STORE_CORRUPT', `${where} holds a record this rotad cannot read (record ${n}); restore the store from a backup`);
  return change.data;
}

/** Whether any whole line from `offset` on is an authentic record: then the bad line before it is damage, not a cut-off write. */
function authenticRecordAfter(bytes: Buffer, offset: number, header: JournalHeader, key: Buffer, where: string): boolean {
  for (let start = offset, end = bytes.indexOf(NEWLINE, start); end >= 0; start = end + 1, end = bytes.indexOf(NEWLINE, start)) {
    const n = /^\{"n":(\d+),/.exec(bytes.toString('utf8', start, Math.min(end, start + 24)))?.[1];
    if (n !== undefined && openRecord(bytes.toString('utf8', start, end), Number(n), header, key, where) !== undefined) return true;
  }
  return false;
}

/**
 * Reads a journal: the changes it holds for store file `base`, in order, applied by `apply`.
 * Undefined when it continues another store file (already folded in) or has no whole first line
 * (its creation was cut off). A line that is not an authentic record ends the journal if nothing
 * authentic follows it (a cut-off append); if something does, the journal is damaged.
 */
export function readJournal(
  bytes: Buffer,
  base: string,
  key: Buffer,
  where: string,
  apply: (policy: string, entry: PolicyEntry) => void,
): JournalState | undefined {
  const headerEnd = bytes.indexOf(NEWLINE);
  if (headerEnd < 0) return undefined;
  let header: JournalHeader;
  try {
    header = JournalHeader.parse(JSON.parse(bytes.toString('utf8', 0, headerEnd)));
  } catch (error) {
    throw new RotadError('STORE_CORRUPT', `${where} is not a rotad journal; restore the store from a backup`, { cause: error });
  }
  if (header.base !== base) return undefined;
  assertKey(header.keyId, key, where);
  let offset = headerEnd + 1;
  let records = 0;
  for (let end = bytes.indexOf(NEWLINE, offset); end >= 0; end = bytes.indexOf(NEWLINE, offset)) {
    const change = openRecord(bytes.toString('utf8', offset, end), records, header, key, where);
    if (change === undefined) {
      if (authenticRecordAfter(bytes, end + 1, header, key, where)) {
        throw new RotadError('STORE_CORRUPT', `${where} is damaged at record ${records} (records follow it); restore the store from a backup`);
      }
      break;
    }
    apply(change.policy, change.entry);
    records += 1;
    offset = end + 1;
  }
  return { header, validEnd: offset, records, torn: offset < bytes.length };
}
