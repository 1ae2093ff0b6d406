import { RotadError } from '../errors.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

/** A refusal of a handed-over token, with the reason a person acts on. */
export function refuse(reason: string): RotadError {
  return new RotadError('SUBMISSION_REFUSED', reason);
}

/**
 * Checks the shape every token shares: non-empty, one line, no spaces, not the token in use.
 * `pattern` narrows it for providers with a documented format.
 */
export function checkTokenShape(value: Secret, current: StoredCredential | undefined, pattern?: { regex: RegExp; text: string }): void {
  const token = value.reveal();
  if (token.length === 0) throw refuse('the token is empty');
  if (/\s/.test(token)) throw refuse('the token contains spaces or line breaks; paste exactly the token');
  if (token.length > 1024) throw refuse('the token is longer than 1024 characters; paste exactly the token');
  if (pattern && !pattern.regex.test(token)) throw refuse(`the token is malformed: expected ${pattern.text}`);
  if (current && current.value.reveal() === token) throw refuse('this is the token already in use; create a new one');
}

/**
 * Runs an authenticated check of a handed-over token, turning "rejected" into a refusal a support
 * person understands: `Gladly did not accept this token: was it created while signed in as
 * api-user@acme.example?`, then the technical reason (kept whole in the audit and the log).
 */
export async function refusedUnless<T>(check: () => Promise<T>, refusal: { provider: string; question: string }): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof RotadError && (error.code === 'PROVIDER_REJECTED' || error.code === 'VERIFY_FAILED')) {
      throw refuse(`${refusal.provider} did not accept this token: ${refusal.question}\nTechnical reason: ${error.message.replace(/\.$/, '')}.`);
    }
    throw error;
  }
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
