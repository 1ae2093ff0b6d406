import { z } from 'zod';
import { DurationText } from '../../duration-text.js';

/** Options of the `aws-secrets-manager` store. Credentials come from the AWS SDK's default chain. */
export const AwsSecretsManagerStoreOptions = z.strictObject({
  type: z.literal('aws-secrets-manager'),
  /** Default: the SDK's chain ($AWS_REGION, profile, instance metadata). */
  region: z.string().min(1).optional(),
  /** Endpoint override (e.g. a local emulator). Default: the SDK's ($AWS_ENDPOINT_URL, else AWS). */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Named profile of the shared config/credentials files. Default: the SDK's ($AWS_PROFILE). */
  profile: z.string().min(1).optional(),
  /** Secret name applications read, `{policy}` replaced; a policy's secret.path wins. Default: rotad/{policy}. */
  name: z.string().default('rotad/{policy}'),
  /** JSON field of SecretString that holds the secret (other fields kept). Default: none — SecretString is the value itself. */
  field: z.string().min(1).optional(),
  /** Secret that holds rotad's own state record. Default: rotad-state/{policy}. */
  stateName: z.string().default('rotad-state/{policy}'),
  /**
   * A secret a person may create with a token for an assisted rotation
   * (`aws secretsmanager create-secret --name rotad-handover/NAME --secret-string file:///dev/stdin`),
   * then send SIGUSR2. rotad deletes it (without recovery) once taken. Default: rotad-handover/{policy}.
   */
  handoverName: z.string().default('rotad-handover/{policy}'),
  /** KMS key for secrets rotad creates. Default: the account's aws/secretsmanager key. */
  kmsKeyId: z.string().optional(),
  /** Description of secrets rotad creates. */
  description: z.string().optional(),
  /** Tags of secrets rotad creates (rotad adds its own rotad:* facts). */
  tags: z.record(z.string(), z.string()).default({}),
  /** Per request. Default: 10s. */
  timeout: DurationText.default('10s'),
  /** SDK attempts per call (adaptive retry mode). Default: 3. */
  maxAttempts: z.int().min(1).max(10).default(3),
});
export type AwsSecretsManagerStoreOptions = z.infer<typeof AwsSecretsManagerStoreOptions>;
