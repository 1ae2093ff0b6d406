import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

/**
 * Options of the `aws-iam-access-key` provider: rotates the access key of one IAM user. The IAM
 * calls are made with the AWS SDK's default credentials (or `profile`), never with the key being
 * rotated; verification signs with the new key.
 */
export const AwsIamAccessKeyProviderOptions = z.strictObject({
  type: z.literal('aws-iam-access-key'),
  /** The IAM user whose access key rotad rotates. */
  userName: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w+=,.@-]+$/, { error: 'expected an IAM user name (letters, digits and +=,.@_-)' }),
  /** Default: the SDK's chain ($AWS_REGION, profile). IAM is global; STS is asked in this region. */
  region: z.string().min(1).optional(),
  /** Endpoint override for IAM and STS (e.g. a local emulator). Default: the SDK's ($AWS_ENDPOINT_URL, else AWS). */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Named profile of the shared config/credentials files for the IAM calls. Default: the SDK's ($AWS_PROFILE). */
  profile: z.string().min(1).optional(),
  /**
   * Evidence before revoke: the old key must not have been used for this long (GetAccessKeyLastUsed)
   * before rotad deactivates it. A use within it means something still holds the old key: rotad
   * waits (daemon.retry), then stops before revoke naming the service and region that used it. 0s: no check.
   */
  quietFor: DurationText.default('5m'),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
});
export type AwsIamAccessKeyProviderOptions = z.infer<typeof AwsIamAccessKeyProviderOptions>;
