import { RotadError, StoreConflictError } from '../../errors.js';
import { NetworkError, type JsonResponse } from '../../http/json-request.js';

/** Vault's own error texts (`{"errors": [...]}`), joined; never contains request data. */
function vaultErrors(response: JsonResponse): string {
  const errors = (response.body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) && errors.length > 0 ? errors.map(String).join('; ') : `HTTP ${response.status}`;
}

export function isCasMismatch(response: JsonResponse): boolean {
  return response.status === 400 && /check-and-set/i.test(vaultErrors(response));
}

/** Turns an unexpected answer into the store error a person can act on. */
export function vaultError(operation: string, response: JsonResponse): RotadError {
  const detail = vaultErrors(response);
  if (response.status === 403) {
    return new RotadError('STORE_ACCESS_DENIED', `Vault denied ${operation} (${detail}); grant the token the policy in src/stores/vault/readme.md`);
  }
  if (isCasMismatch(response)) return new StoreConflictError(`Vault ${operation}: ${detail}`);
  if (response.status === 429 || response.status >= 500) {
    return new RotadError('STORE_UNREACHABLE', `Vault ${operation} answered ${response.status} (${detail})`, { retryable: true });
  }
  return new RotadError('STORE_REQUEST_FAILED', `Vault ${operation} answered ${response.status} (${detail})`);
}

export function unreachable(address: string, error: NetworkError): RotadError {
  return new RotadError('STORE_UNREACHABLE', `Vault at ${address} is unreachable (${error.reason})`, { retryable: true, cause: error });
}
