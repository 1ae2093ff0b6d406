import { RotadError } from '../errors.js';
import type { NewCredential, Provider, ProviderContext } from '../providers/types.js';
import type { Secret } from '../secret.js';
import type { StoredCredential } from '../stores/types.js';

/** Whether an error is a refusal of the handed-over value (the request stays open), rather than a failure to check it. */
export function isRefusal(error: unknown): error is RotadError {
  return error instanceof RotadError && error.code === 'SUBMISSION_REFUSED';
}

/**
 * Checks a value a person handed over, however it came (the page, `rotad submit`, the API, the
 * store's slot): its shape, then an authenticated call to the provider. Returns its facts, or
 * throws SUBMISSION_REFUSED with a reason a person acts on; transient failures stay retryable.
 */
export async function acceptToken(provider: Provider, ctx: ProviderContext, value: Secret, current: StoredCredential | undefined): Promise<NewCredential> {
  if (!provider.assisted)
    throw new RotadError('SUBMISSION_REFUSED', `policy ${ctx.policy} does not take tokens from a person: its provider creates them itself`);
  // Taken by an earlier request (a hand-over answered late, a paste of the wrong token): taking it
  // again would make one token both current and previous, and ask for its deletion.
  if (current !== undefined && current.value.reveal() === value.reveal())
    throw new RotadError('SUBMISSION_REFUSED', 'this is the token in use now (it was handed over before): keep it, and create a new token for this request');
  return provider.assisted.accept(ctx, value, current);
}
