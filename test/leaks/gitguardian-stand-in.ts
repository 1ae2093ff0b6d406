import { createHash, createHmac, scryptSync } from 'node:crypto';

/**
 * GitGuardian's custom webhook as rotad's leak intake meets it (docs.gitguardian.com, "Custom
 * webhook"): a JSON body `{ source, timestamp, action, message, incident: { id, date, detector,
 * secret_hash, hmsl_hash, gitguardian_url, … } }`, signed with `Gitguardian-Signature: sha256=<hex>`,
 * the HMAC-SHA256 of the body keyed with the `Timestamp` header followed by the signature token.
 * The incident never carries the value: `hmsl_hash` is its HasMySecretLeaked hash (scrypt of the
 * value, N 2048, r 8, p 1, 32 bytes, salted with SHA-256 of "GitGuardian").
 */
export class GitguardianWebhook {
  #incidents = 0;

  constructor(private readonly signatureToken: string) {}

  static hmslHash(value: string): string {
    return scryptSync(value, createHash('sha256').update('GitGuardian').digest(), 32, { N: 2048, r: 8, p: 1 }).toString('hex');
  }

  /** The delivery GitGuardian sends for `action` on an incident whose secret is `value`, signed at `at` (Unix seconds). */
  delivery(
    value: string,
    action = 'incident_triggered',
    options: { token?: string; at?: number } = {},
  ): { headers: Record<string, string>; body: string; id: number } {
    const id = 1_000 + ++this.#incidents;
    const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
    const body = JSON.stringify({
      source: 'GitGuardian',
      timestamp: new Date().toISOString(),
      action,
      message: 'A new incident has been detected.',
      target_user: 'GitGuardian',
      incident: {
        id,
        date: new Date().toISOString(),
        detector: { name: 'generic_high_entropy_secret', display_name: 'Generic High Entropy Secret', nature: 'generic', family: 'Other' },
        secret_hash: createHash('sha256').update(`gg-internal-${value}`).digest('hex'),
        hmsl_hash: GitguardianWebhook.hmslHash(value),
        secret_revoked: false,
        occurrence_count: 1,
        status: 'triggered',
        validity: 'no_checker',
        gitguardian_url: `https://dashboard.gitguardian.com/workspace/1/incidents/${id}`,
      },
    });
    return { id, body, headers: { 'content-type': 'application/json', timestamp, 'gitguardian-signature': this.resign(body, timestamp, options.token) } };
  }

  /** The signature header of `body` sent at `timestamp`. */
  resign(body: string, timestamp: string, token = this.signatureToken): string {
    return `sha256=${createHmac('sha256', timestamp + token)
      .update(body)
      .digest('hex')}`;
  }
}
