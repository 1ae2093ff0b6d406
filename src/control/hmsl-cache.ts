import type { Secret } from '../secret.js';
import { hmslHash } from '../vendors/gitguardian.js';

/**
 * HasMySecretLeaked hashes of the credentials rotad manages, by policy and rotation: a GitGuardian
 * report names a leak by this hash, and each costs a few milliseconds of CPU, so a report over a
 * large fleet needs them made beforehand. The daemon hashes each credential it reads, one at a
 * time, in the background (`warmHmslHashes`); a report hashes what is still missing.
 */
const hashes = new Map<string, string>();
const KEPT = 100_000;
const queue: Array<{ key: string; policy: string; rotationId: string; value: Secret }> = [];
const queued = new Set<string>();
let draining: Promise<void> | undefined;

const keyOf = (policy: string, rotationId: string): string => `${policy}\n${rotationId}`;

/** The hash of a policy's credential (of rotation `rotationId`), made now if it was not made before. */
export async function cachedHmslHash(policy: string, rotationId: string, value: Secret): Promise<string> {
  const key = keyOf(policy, rotationId);
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = await hmslHash(value);
    hashes.set(key, hash);
    if (hashes.size > KEPT) hashes.delete(hashes.keys().next().value!);
  }
  return hash;
}

/** Queues the policy's credentials (as the scheduler read them) for hashing in the background. */
export function warmHmslHashes(policy: string, credentials: ReadonlyArray<{ value: Secret; rotationId: string } | undefined>): void {
  for (const credential of credentials) {
    if (credential === undefined) continue;
    const key = keyOf(policy, credential.rotationId);
    if (hashes.has(key) || queued.has(key)) continue;
    queued.add(key);
    queue.push({ key, policy, rotationId: credential.rotationId, value: credential.value });
  }
  draining ??= drain().finally(() => (draining = undefined));
}

/** Resolves once every queued credential is hashed. */
export function hmslHashesWarm(): Promise<void> {
  return draining ?? Promise.resolve();
}

async function drain(): Promise<void> {
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    queued.delete(next.key);
    await cachedHmslHash(next.policy, next.rotationId, next.value).catch(() => undefined);
  }
}
