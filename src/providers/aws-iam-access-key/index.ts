import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { formatDuration } from '../../duration.js';
import { RotadError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import type { Provider, ProviderContext, ProviderDefinition } from '../types.js';
import { IamAccessKeys } from './api.js';
import { AwsIamAccessKeyProviderOptions } from './schema.js';

/** How far a key's CreateDate may be from the interrupted attempt and still be its: AWS's clock against rotad's, plus the call's own time. */
const UNSEEN_WINDOW_MS = 2 * 60_000;

/** Whether a key was created by the interrupted attempt that began at `since`. */
const isUnseen = (createdAt: number, since: number | undefined): boolean =>
  since !== undefined && createdAt >= since - UNSEEN_WINDOW_MS && createdAt <= since + UNSEEN_WINDOW_MS;

/** The user part of an ARN: arn:aws:iam::123456789012:user/path/name → name. */
const userOfArn = (arn: string): string | undefined => /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];

function createAwsIamAccessKeyProvider(options: AwsIamAccessKeyProviderOptions, _deps: AdapterDeps): Provider {
  const keys = new IamAccessKeys(options);
  const user = options.userName;
  const quietMs = durationMs(options.quietFor);

  /** Evidence before revoke: the old key unused for `quietFor`; a recent use means something still holds it. */
  async function assertQuiet(ctx: ProviderContext, id: string): Promise<void> {
    if (quietMs === 0) return;
    const use = await keys.lastUse(id, ctx.signal);
    const since = use.at === undefined ? Infinity : ctx.clock.now() - use.at;
    if (since >= quietMs) return;
    const where = [use.service, use.region].filter(Boolean).join(' in ');
    throw new RotadError(
      'CREDENTIAL_IN_USE',
      `access key ${id} of IAM user ${user} was used ${formatDuration(Math.max(0, since))} ago${where ? ` (${where})` : ''}: something still signs with the old key. rotad deactivates it once it has not been used for ${options.quietFor}; find what uses it (CloudTrail, by access key id) and give it the new key`,
      { retryable: true, retryAfterMs: quietMs - Math.max(0, since) },
    );
  }

  return {
    steps: {
      obtain: `iam:CreateAccessKey for IAM user ${user} (AWS allows two keys per user: with two already, rotad stops and says which to remove)`,
      verify: `sts:GetCallerIdentity signed with the new key: it must answer as user ${user}`,
      revoke: `${quietMs > 0 ? `once the old key has not been used for ${options.quietFor} (iam:GetAccessKeyLastUsed), ` : ''}iam:UpdateAccessKey Inactive, then iam:DeleteAccessKey; confirmed when sts:GetCallerIdentity refuses the old key`,
    },
    obtain: async (ctx, current) => {
      let existing = await keys.list(ctx.signal);
      // A key created by an interrupted attempt of this rotation: AWS showed its secret only in the answer rotad never saw, so nobody holds it.
      const unseen = existing.filter((key) => key.id !== current?.id && isUnseen(key.createdAt, ctx.unseenSince));
      for (const key of unseen) {
        await ctx.keepLease?.();
        await keys.delete(key.id, ctx.signal);
        ctx.logger.warn({ credentialId: key.id }, 'Deleted an access key an interrupted attempt created (its secret was never seen)');
      }
      if (unseen.length > 0) existing = existing.filter((key) => !unseen.includes(key));
      if (existing.length >= 2) {
        const others = existing.filter((key) => key.id !== current?.id);
        throw new RotadError(
          'PROVIDER_LIMIT_REACHED',
          `IAM user ${user} has two access keys already (${existing.map((k) => `${k.id} ${k.status}${k.id === current?.id ? ', current' : ''}`).join('; ')}): AWS allows two. Delete ${others.length === 1 ? others[0]!.id : 'the one not in use'} if nothing uses it (aws iam delete-access-key --user-name ${user} --access-key-id …), then rotad rotate ${ctx.policy}`,
        );
      }
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
        await assertQuiet(ctx, old.id);
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
