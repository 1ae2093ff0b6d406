import { CreateUserCommand, PutUserPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { randomUUID } from 'node:crypto';

/** A new IAM user in moto, named `<prefix>-<random>`, allowed to ask who it is with its own keys. */
export async function newIamUser(admin: IAMClient, prefix: string): Promise<string> {
  const user = `${prefix}-${randomUUID().slice(0, 8)}`;
  await admin.send(new CreateUserCommand({ UserName: user }));
  // moto asks IAM for every action, GetCallerIdentity too (AWS itself does not).
  await admin.send(
    new PutUserPolicyCommand({
      UserName: user,
      PolicyName: 'whoami',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] }),
    }),
  );
  return user;
}
