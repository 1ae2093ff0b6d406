import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { IamAccessKeys } from './api.js';
import { assertQuiet, freeSlot } from './slots.js';
import { AwsIamAccessKeyProviderOptions } from './schema.js';

/** The user part of an ARN: arn:aws:iam::123456789012:user/path/name → name. */
const userOfArn = (arn: string): string | undefined => /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];

function createAwsIamAccessKeyProvider(options: AwsIamAccessKeyProviderOptions, _deps: AdapterDeps): Provider {
  const keys = new IamAccessKeys(options);
  const user = options.userName;
  const quietMs = durationMs(options.quietFor);

  return {
    steps: {
      obtain: `iam:CreateAccessKey for IAM user ${user} (AWS allows two keys per user: with two already, rotad stops and says which to remove)`,
      verify: `sts:GetCallerIdentity signed with the new key: it must answer as user ${user}`,
      revoke: `${quietMs > 0 ? `once the old key has not been used for ${options.quietFor} (iam:GetAccessKeyLastUsed), ` : ''}iam:UpdateAccessKey Inactive, then iam:DeleteAccessKey; confirmed when sts:GetCallerIdentity refuses the old key`,
    },
    obtain: async (ctx, current) => {
      await freeSlot(ctx, keys, current);
      await ctx.keepLease?.();
      const created = await keys.create(ctx.signal);
      ctx.logger.info({ credentialId: created.id }, 'AWS access key created');
      return { value: new Secret(created.secret), id: created.id };
    },
    verify: async (ctx, credential: StoredCredential) => {
      if (credential.id === undefined) throw new RotadError('VERIFY_FAILED', 'the stored credential has no access key id: the create answer had none');
      const arn = await keys.identity(credential.id, credential.value, ctx.signal);
      // IAM is eventually consistent: a key created a moment ago may not sign yet.
      if (arn === undefined)
        throw new RotadError('PROVIDER_UNAVAILABLE', `AWS does not accept access key ${credential.id} yet (sts:GetCallerIdentity refused it); trying again`, {
          retryable: true,
        });
      if (userOfArn(arn) !== user) throw new RotadError('VERIFY_FAILED', `access key ${credential.id} signs as ${arn}, not as IAM user ${user}`);
    },
    revoke: async (ctx, old) => {
      if (old.id === undefined) return 'ask-person';
      const listed = (await keys.list(ctx.signal)).find((key) => key.id === old.id);
      if (listed === undefined) return undefined; // deleted already
      if (listed.status === 'Active') {
        await assertQuiet(ctx, keys, old.id, options.quietFor);
        await ctx.keepLease?.();
        await keys.setStatus(old.id, 'Inactive', ctx.signal);
        ctx.logger.info({ credentialId: old.id }, 'Old AWS access key deactivated');
      }
      await ctx.keepLease?.();
      await keys.delete(old.id, ctx.signal);
      ctx.logger.info({ credentialId: old.id }, 'Old AWS access key deleted');
      return undefined;
    },
    isRejected: async (ctx, credential) => credential.id !== undefined && (await keys.identity(credential.id, credential.value, ctx.signal)) === undefined,
    // Read-only: the IAM permissions that change keys cannot be tried without changing one.
    check: async (ctx) => {
      const listed = await keys.list(ctx.signal);
      return `rotad's AWS identity may list the access keys of ${user} (${listed.length} of 2 in use${listed.length >= 2 ? ': the next rotation needs one removed' : ''})`;
    },
  };
}

export const awsIamAccessKeyProvider = {
  type: 'aws-iam-access-key',
  /** Keys are created by API. */
  assisted: false,
  schema: AwsIamAccessKeyProviderOptions,
  create: createAwsIamAccessKeyProvider,
} satisfies ProviderDefinition<typeof AwsIamAccessKeyProviderOptions>;
