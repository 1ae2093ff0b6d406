import type { Tag } from '@aws-sdk/client-secrets-manager';
import type { LazySdk } from './lazy-sdk.js';
import { awsError, isNotFound } from './errors.js';

type Label = 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING';

export interface SecretVersion {
  versionId: string;
  value: string;
  createdAt: number;
}

/** The Secrets Manager calls rotad makes, with "not found" as a value and errors mapped to store errors. */
export class Secrets {
  constructor(
    private readonly aws: LazySdk,
    private readonly create: { kmsKeyId?: string | undefined; description?: string | undefined; tags: Tag[] },
  ) {}

  /** Version id → staging labels, or undefined when the secret does not exist. */
  async versions(name: string): Promise<Map<string, string[]> | undefined> {
    try {
      const { sdk, client } = await this.aws.load();
      const described = await client.send(new sdk.DescribeSecretCommand({ SecretId: name }));
      return new Map(Object.entries(described.VersionIdsToStages ?? {}));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw awsError(`DescribeSecret of ${name}`, error);
    }
  }

  async get(name: string, selector: { versionId: string } | { label: Label }): Promise<SecretVersion | undefined> {
    try {
      const { sdk, client } = await this.aws.load();
      const answer = await client.send(
        new sdk.GetSecretValueCommand({ SecretId: name, ...('versionId' in selector ? { VersionId: selector.versionId } : { VersionStage: selector.label }) }),
      );
      if (answer.SecretString === undefined || answer.VersionId === undefined) return undefined;
      return { versionId: answer.VersionId, value: answer.SecretString, createdAt: answer.CreatedDate?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw awsError(`GetSecretValue of ${name}`, error);
    }
  }

  /** Deletes a secret at once (no recovery window); absent is success. */
  async deleteNow(name: string): Promise<void> {
    try {
      const { sdk, client } = await this.aws.load();
      await client.send(new sdk.DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw awsError(`DeleteSecret of ${name}`, error);
    }
  }

  /** Creates the secret (with a first value under `token`, or empty); false when it already exists. */
  async createIfMissing(name: string, value?: string, token?: string): Promise<boolean> {
    try {
      const { sdk, client } = await this.aws.load();
      await client.send(
        new sdk.CreateSecretCommand({
          Name: name,
          SecretString: value,
          ClientRequestToken: token,
          KmsKeyId: this.create.kmsKeyId,
          Description: this.create.description,
          Tags: this.create.tags.length > 0 ? this.create.tags : undefined,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceExistsException') return false;
      throw awsError(`CreateSecret of ${name}`, error);
    }
  }

  /** Puts a version under `token` (idempotent for the same token and value) with the given labels. */
  async put(name: string, token: string, value: string, labels: string[]): Promise<string> {
    try {
      const { sdk, client } = await this.aws.load();
      const answer = await client.send(
        new sdk.PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: value, VersionStages: labels }),
      );
      return answer.VersionId ?? token;
    } catch (error) {
      throw awsError(`PutSecretValue of ${name}`, error, true);
    }
  }

  /**
   * Puts a version under `token` and makes it AWSCURRENT (AWS moves AWSPREVIOUS along). 'taken'
   * when a version with that token already holds another value; the same value again succeeds
   * without changing anything (AWS's idempotency).
   */
  async putCurrent(name: string, token: string, value: string): Promise<'written' | 'taken'> {
    try {
      const { sdk, client } = await this.aws.load();
      await client.send(new sdk.PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: value }));
      return 'written';
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceExistsException') return 'taken';
      throw awsError(`PutSecretValue of ${name}`, error);
    }
  }

  /**
   * Moves a label. With `from`, the move happens only if `from` still holds the label (AWS's own
   * compare-and-swap); a concurrent change becomes a StoreConflictError.
   */
  async moveLabel(name: string, label: string, to: string | undefined, from: string | undefined): Promise<void> {
    try {
      const { sdk, client } = await this.aws.load();
      await client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: label, MoveToVersionId: to, RemoveFromVersionId: from }));
    } catch (error) {
      throw awsError(`UpdateSecretVersionStage ${label} of ${name}`, error, true);
    }
  }

  async tag(name: string, tags: Tag[]): Promise<void> {
    try {
      const { sdk, client } = await this.aws.load();
      await client.send(new sdk.TagResourceCommand({ SecretId: name, Tags: tags }));
    } catch (error) {
      throw awsError(`TagResource of ${name}`, error);
    }
  }
}

export function versionWith(versions: Map<string, string[]> | undefined, label: Label): string | undefined {
  for (const [id, labels] of versions ?? []) if (labels.includes(label)) return id;
  return undefined;
}
