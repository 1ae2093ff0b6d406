import type { Secret } from './secret.js';

/** A credential as the index needs it: its value, and what tells it apart from the policy's others. */
interface IndexedCredential {
  value: Secret;
  rotationId: string;
}

/**
 * Which policies hold a credential with a given keyed fingerprint (current, pending or previous),
 * as this daemon last read them. A leak report looks here first, so that the policy holding the
 * leaked value is found without reading every policy of a large fleet; the index may lag behind
 * another replica's rotation, so a report it cannot place is still checked against every policy.
 * Each credential is fingerprinted once (by its rotation id), not at every look.
 */
export class CredentialIndex {
  readonly #policiesByFingerprint = new Map<string, Set<string>>();
  readonly #byPolicy = new Map<string, Map<string, string>>();

  constructor(private readonly fingerprint: (value: Secret) => string) {}

  /** Records what `policy` holds now (its current, pending and previous credential). */
  note(policy: string, credentials: ReadonlyArray<IndexedCredential | undefined>): void {
    const before = this.#byPolicy.get(policy) ?? new Map<string, string>();
    const after = new Map<string, string>();
    for (const credential of credentials) {
      if (credential === undefined) continue;
      after.set(credential.rotationId, before.get(credential.rotationId) ?? this.fingerprint(credential.value));
    }
    for (const [rotationId, fingerprint] of before) if (after.get(rotationId) !== fingerprint) this.#unlink(fingerprint, policy);
    for (const fingerprint of after.values()) {
      const policies = this.#policiesByFingerprint.get(fingerprint) ?? new Set<string>();
      policies.add(policy);
      this.#policiesByFingerprint.set(fingerprint, policies);
    }
    this.#byPolicy.set(policy, after);
  }

  /** The policies last seen holding a credential with this fingerprint. */
  policiesWith(fingerprint: string): string[] {
    return [...(this.#policiesByFingerprint.get(fingerprint) ?? [])];
  }

  #unlink(fingerprint: string, policy: string): void {
    const policies = this.#policiesByFingerprint.get(fingerprint);
    policies?.delete(policy);
    if (policies?.size === 0) this.#policiesByFingerprint.delete(fingerprint);
  }
}
