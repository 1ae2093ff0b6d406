import { createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from './logger.js';
import type { Secret } from '../secret.js';

/** One phase of one rotation, as the audit trail records it. Never a secret. */
export interface AuditEvent {
  /** The rotation it concerns; absent for a request that has not started one yet. */
  rotationId?: string | undefined;
  policy: string;
  phase: string;
  outcome:
    | 'completed'
    | 'waiting'
    | 'failed'
    | 'stopped'
    | 'rolled-back'
    | 'aborted'
    | 'requested'
    | 'handed-over'
    | 'refused'
    /** A leak report matched this policy's credential, or (policy `*`) no credential rotad manages. */
    | 'matched'
    | 'unmatched'
    | 'signed-in';
  /** Who started it: schedule, signal, cli, person, `api:<token name>`, `handover-link` or `leak:<source>`. */
  actor: string;
  /** Why, for an incident rotation or a leak report (as the person or the report said it). */
  reason?: string | undefined;
  /** The provider's non-secret id of the credential the phase handled. */
  credentialId?: string | undefined;
  /** Keyed fingerprint (HMAC-SHA256 under a per-installation key) of that credential. */
  fingerprint?: string | undefined;
  durationMs?: number | undefined;
  code?: string | undefined;
}

/**
 * The audit trail: a `"type":"audit"` line on the log stream per phase of every rotation and,
 * optionally, the same JSON appended to a file. Credentials are identified by a keyed fingerprint,
 * which cannot be checked against guessed values without the key (a plain hash could).
 */
export class AuditTrail {
  #writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly logger: Logger,
    private readonly key: Buffer,
    private readonly file?: string,
  ) {}

  /** Loads the fingerprint key from `<stateDir>/fingerprint.key`, creating it (0600) on first use. */
  static async open(logger: Logger, stateDir: string, file?: string): Promise<AuditTrail> {
    const path = join(stateDir, 'fingerprint.key');
    let key: Buffer;
    try {
      key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    } catch {
      key = randomBytes(32);
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => {
        key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
      });
    }
    if (file) await mkdir(dirname(file), { recursive: true });
    return new AuditTrail(logger, key, file);
  }

  fingerprint(value: Secret): string {
    return createHmac('sha256', this.key).update(value.reveal()).digest('hex').slice(0, 16);
  }

  record(event: AuditEvent): void {
    const entry = { type: 'audit', at: new Date().toISOString(), ...event };
    this.logger.info(entry, 'Audit event');
    if (this.file) {
      const file = this.file;
      this.#writes = this.#writes
        .then(() => appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 }))
        .catch((error: unknown) => {
          this.logger.error({ file, error: (error as Error).message }, 'Audit file could not be written');
        });
    }
  }

  /** Waits for pending file appends. */
  flush(): Promise<void> {
    return this.#writes;
  }
}
