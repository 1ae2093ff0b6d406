import type { IAMClient } from '@aws-sdk/client-iam';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import type { Secret } from '../../secret.js';
import type { AwsIamAccessKeyProviderOptions } from './schema.js';

/** One access key of the user, as ListAccessKeys shows it (never its secret). */
interface AccessKey {
  id: string;
  status: 'Active' | 'Inactive';
  createdAt: number;
}

/** When a key was last used, and for what (GetAccessKeyLastUsed). */
interface LastUse {
  at: number | undefined;
  service: string | undefined;
  region: string | undefined;
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const REFUSED = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'AuthFailure', 'IncompleteSignature']);
const TRANSIENT = new Set(['Throttling', 'ThrottlingException', 'ServiceFailure', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeout', 'TimeoutError']);

/** Maps an AWS error to rotad's codes; AWS's messages name users, actions and key ids, never a secret. */
function iamError(action: string, error: unknown): RotadError {
  if (error instanceof RotadError) return error;
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? 'Error';
  const status = shape.$metadata?.httpStatusCode;
  const detail = `${name}${shape.message ? `: ${shape.message}` : ''}`;
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || REFUSED.has(name) || status === 401 || status === 403)
    return new RotadError('PROVIDER_REJECTED', `AWS refused ${action} (${detail}); check rotad's AWS credentials and the IAM policy in the provider's page`);
  if (name === 'NoSuchEntity' || name === 'NoSuchEntityException') return new RotadError('PROVIDER_BAD_RESPONSE', `AWS ${action}: ${detail}`);
  if (TRANSIENT.has(name) || status === undefined || status >= 500 || status === 429)
    return new RotadError('PROVIDER_UNAVAILABLE', `AWS ${action} failed (${detail}); trying again`, { retryable: true, cause: error });
  return new RotadError('PROVIDER_BAD_RESPONSE', `AWS ${action} failed (${detail})`);
}

/** The IAM and STS calls of one user's key rotation; the SDK is loaded at the first call. */
export class IamAccessKeys {
  readonly #options: AwsIamAccessKeyProviderOptions;
  #iam: Promise<{ sdk: typeof import('@aws-sdk/client-iam'); client: IAMClient }> | undefined;

  constructor(options: AwsIamAccessKeyProviderOptions) {
    this.#options = options;
  }

  get userName(): string {
    return this.#options.userName;
  }

  #clientConfig(): { region?: string; endpoint?: string; profile?: string; requestHandler: { requestTimeout: number } } {
    const { region, endpoint, profile, timeout } = this.#options;
    return {
      ...(region ? { region } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(profile ? { profile } : {}),
      requestHandler: { requestTimeout: durationMs(timeout) },
    };
  }

  async #call<T>(action: string, signal: AbortSignal, run: (sdk: typeof import('@aws-sdk/client-iam'), client: IAMClient) => Promise<T>): Promise<T> {
    this.#iam ??= import('@aws-sdk/client-iam').then((sdk) => ({ sdk, client: new sdk.IAMClient({ region: 'us-east-1', ...this.#clientConfig() }) }));
    const { sdk, client } = await this.#iam;
    try {
      return await run(sdk, client);
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw iamError(action, error);
    }
  }

  list(signal: AbortSignal): Promise<AccessKey[]> {
    return this.#call(`iam:ListAccessKeys for user ${this.userName}`, signal, async (sdk, client) => {
      const answer = await client.send(new sdk.ListAccessKeysCommand({ UserName: this.userName }), { abortSignal: signal });
      return (answer.AccessKeyMetadata ?? []).map((key) => ({
        id: key.AccessKeyId ?? '',
        status: key.Status === 'Inactive' ? 'Inactive' : 'Active',
        createdAt: key.CreateDate?.getTime() ?? 0,
      }));
    });
  }

  create(signal: AbortSignal): Promise<{ id: string; secret: string; createdAt: number }> {
    return this.#call(`iam:CreateAccessKey for user ${this.userName}`, signal, async (sdk, client) => {
      const { AccessKey } = await client.send(new sdk.CreateAccessKeyCommand({ UserName: this.userName }), { abortSignal: signal });
      if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey)
        throw new RotadError('PROVIDER_BAD_RESPONSE', `AWS iam:CreateAccessKey for user ${this.userName} answered without a key id or secret`, {
          retryable: false,
        });
      return { id: AccessKey.AccessKeyId, secret: AccessKey.SecretAccessKey, createdAt: AccessKey.CreateDate?.getTime() ?? Date.now() };
    });
  }

  setStatus(id: string, status: 'Active' | 'Inactive', signal: AbortSignal): Promise<void> {
    return this.#call(`iam:UpdateAccessKey ${id} ${status} for user ${this.userName}`, signal, async (sdk, client) => {
      await client.send(new sdk.UpdateAccessKeyCommand({ UserName: this.userName, AccessKeyId: id, Status: status }), { abortSignal: signal });
    });
  }

  /** Deletes the key; one already gone is success. */
  delete(id: string, signal: AbortSignal): Promise<void> {
    return this.#call(`iam:DeleteAccessKey ${id} for user ${this.userName}`, signal, async (sdk, client) => {
      try {
        await client.send(new sdk.DeleteAccessKeyCommand({ UserName: this.userName, AccessKeyId: id }), { abortSignal: signal });
      } catch (error) {
        if ((error as AwsErrorShape).name !== 'NoSuchEntity' && (error as AwsErrorShape).name !== 'NoSuchEntityException') throw error;
      }
    });
  }

  lastUse(id: string, signal: AbortSignal): Promise<LastUse> {
    return this.#call(`iam:GetAccessKeyLastUsed ${id}`, signal, async (sdk, client) => {
      const { AccessKeyLastUsed: used } = await client.send(new sdk.GetAccessKeyLastUsedCommand({ AccessKeyId: id }), { abortSignal: signal });
      const service = used?.ServiceName && used.ServiceName !== 'N/A' ? used.ServiceName : undefined;
      return { at: used?.LastUsedDate?.getTime(), service, region: used?.Region && used.Region !== 'N/A' ? used.Region : undefined };
    });
  }

  /**
   * sts:GetCallerIdentity signed with the key itself: the ARN it belongs to, or `undefined` when
   * AWS refuses the key (deleted, unknown, inactive on AWS). Any other failure throws.
   */
  async identity(id: string, secret: Secret, signal: AbortSignal): Promise<string | undefined> {
    const sdk = await import('@aws-sdk/client-sts');
    const client = new sdk.STSClient({ region: 'us-east-1', ...this.#clientConfig(), credentials: { accessKeyId: id, secretAccessKey: secret.reveal() } });
    try {
      const answer = await client.send(new sdk.GetCallerIdentityCommand({}), { abortSignal: signal });
      return answer.Arn ?? '';
    } catch (error) {
      const name = (error as AwsErrorShape).name ?? '';
      if (REFUSED.has(name)) return undefined;
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw iamError(`sts:GetCallerIdentity with key ${id}`, error);
    } finally {
      client.destroy();
    }
  }
}
