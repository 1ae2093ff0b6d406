import { RotadError, StoreConflictError } from '../../errors.js';

const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const TRANSIENT = new Set(['ThrottlingException', 'InternalServiceError', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

function errorName(error: unknown): string {
  return (error as AwsErrorShape | undefined)?.name ?? '';
}

export function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

/** A failed version-stage move or a secret created meanwhile: someone else changed the secret. */
function isStageConflict(error: unknown): boolean {
  return ['InvalidParameterException', 'InvalidRequestException', 'ResourceExistsException'].includes(errorName(error));
}

/** Maps an SDK error to a store error with a stable code; AWS's messages name no secret values. */
export function awsError(operation: string, error: unknown, conflict = false): RotadError {
  if (error instanceof RotadError) return error;
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? 'Error';
  const detail = `${name}: ${shape.message ?? ''}`.trim();
  if (conflict && isStageConflict(error)) return new StoreConflictError(`${operation}: ${detail}`);
  const status = shape.$metadata?.httpStatusCode ?? shape.$response?.statusCode;
  // Some endpoints answer 401/403 with a body the SDK cannot parse; the status still says it.
  if (DENIED.has(name) || /credential/i.test(name) || status === 401 || status === 403) {
    return new RotadError(
      'STORE_ACCESS_DENIED',
      `AWS Secrets Manager refused ${operation} (${detail}); check the credentials and the IAM policy in src/stores/aws-secrets-manager/readme.md`,
    );
  }
  const network = shape.code !== undefined || status === undefined;
  if (TRANSIENT.has(name) || (status !== undefined && status >= 500) || (network && !isStageConflict(error))) {
    return new RotadError('STORE_UNREACHABLE', `AWS Secrets Manager ${operation} failed (${detail || shape.code})`, { retryable: true, cause: error });
  }
  return new RotadError('STORE_REQUEST_FAILED', `AWS Secrets Manager ${operation} failed (${detail})`);
}
