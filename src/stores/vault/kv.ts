import { RotadError, StoreConflictError } from '../../errors.js';
import type { VaultClient } from './client.js';
import { isCasMismatch, vaultError } from './errors.js';
import type { RecordIo } from '../state-record.js';
import type { z } from 'zod';

export interface KvVersion {
  data: Record<string, unknown>;
  version: number;
  createdAt: number;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The KV v2 calls rotad makes, with "not found" as a value and CAS conflicts as StoreConflictError. */
export class KvV2 {
  #patchWorks = true;

  constructor(
    private readonly client: VaultClient,
    private readonly mount: string,
  ) {}

  get mountName(): string {
    return this.mount;
  }

  /** A version of a secret (latest when `version` is unset); undefined when absent, deleted or destroyed. */
  async read(path: string, version?: number): Promise<KvVersion | undefined> {
    const query = version === undefined ? '' : `?version=${version}`;
    const response = await this.client.request('GET', `${this.mount}/data/${encodePath(path)}${query}`);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw vaultError(`read of ${this.mount}/${path}`, response);
    const body = response.body as { data?: { data?: Record<string, unknown> | null; metadata?: { version?: number; created_time?: string } } } | undefined;
    const data = body?.data?.data;
    const meta = body?.data?.metadata;
    if (data === null || data === undefined || typeof meta?.version !== 'number') {
      throw new RotadError('STORE_REQUEST_FAILED', `Vault read of ${this.mount}/${path} did not return KV v2 data; is ${this.mount} a KV version 2 mount?`);
    }
    return { data, version: meta.version, createdAt: Date.parse(meta.created_time ?? '') || 0 };
  }

  /** Writes a new version; `cas` = the version that must be latest (0: must not exist). Returns the new version. */
  async write(path: string, data: Record<string, unknown>, cas: number): Promise<number> {
    const response = await this.client.request('POST', `${this.mount}/data/${encodePath(path)}`, { data, options: { cas } });
    if (isCasMismatch(response)) throw new StoreConflictError(`${this.mount}/${path} changed since it was read (expected version ${cas})`);
    if (response.status !== 200) throw vaultError(`write of ${this.mount}/${path}`, response);
    return Number((response.body as { data?: { version?: number } }).data?.version);
  }

  /** Deletes every version and the metadata of a secret; absent is success. */
  async destroy(path: string): Promise<void> {
    const response = await this.client.request('DELETE', `${this.mount}/metadata/${encodePath(path)}`);
    if (response.status !== 204 && response.status !== 200 && response.status !== 404) throw vaultError(`delete of ${this.mount}/${path}`, response);
  }

  /**
   * Merges `facts` into the secret's custom_metadata, keeping keys others set: one PATCH (a JSON
   * merge patch), or a read and a write where PATCH is refused (a policy without the `patch`
   * capability, Vault before 1.9); after one refusal this process no longer tries PATCH.
   */
  async mergeCustomMetadata(path: string, facts: Record<string, string>): Promise<void> {
    const metaPath = `${this.mount}/metadata/${encodePath(path)}`;
    if (this.#patchWorks) {
      const patched = await this.client.request('PATCH', metaPath, { custom_metadata: facts });
      if (patched.status === 204 || patched.status === 200) return;
      if (patched.status !== 403 && patched.status !== 405 && patched.status !== 404) throw vaultError(`metadata update of ${this.mount}/${path}`, patched);
      if (patched.status !== 404) this.#patchWorks = false;
    }
    const current = await this.client.request('GET', metaPath);
    if (current.status !== 200 && current.status !== 404) throw vaultError(`metadata read of ${this.mount}/${path}`, current);
    const existing = (current.body as { data?: { custom_metadata?: Record<string, string> | null } } | undefined)?.data?.custom_metadata ?? {};
    const response = await this.client.request('POST', metaPath, { custom_metadata: { ...existing, ...facts } });
    if (response.status !== 204 && response.status !== 200) throw vaultError(`metadata write of ${this.mount}/${path}`, response);
  }
}

/** A record of rotad's own at a KV path, in `schema`'s format; its KV version is the compare-and-swap token. */
export function kvRecordIo<S extends z.ZodType>(kv: KvV2, schema: S, empty: z.infer<S>, what: string): RecordIo<z.infer<S>, number> {
  return {
    read: async (path) => {
      const found = await kv.read(path);
      if (!found) return { record: empty, kvVersion: 0 };
      const parsed = schema.safeParse(found.data);
      if (!parsed.success) throw new RotadError('STORE_CORRUPT', `rotad's ${what} at ${kv.mountName}/${path} is not in rotad's format; was it edited by hand?`);
      return { record: parsed.data, kvVersion: found.version };
    },
    // KV `cas`: another writer's change in between is a StoreConflictError.
    write: async (path, next, kvVersion) => ({ kvVersion: await kv.write(path, next as Record<string, unknown>, kvVersion) }),
  };
}
