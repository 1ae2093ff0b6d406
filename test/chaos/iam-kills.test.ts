import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { newIamUser } from '../adapters/providers/aws-iam-access-key/iam-user.js';
import { expectNoSecretsInOutput } from '../helpers/daemon.js';
import { openStore } from '../helpers/store-kinds.js';
import { Fleet, killRunConfig, pause, randomBetween, RECORDER, settle } from './harness.js';

/** Kills: a few in `npm test`, 100 with `npm run chaos` (IAM_KILLS). */
const KILLS = Number(process.env.IAM_KILLS ?? 10);

const { endpoint, region, credentialsFile } = inject('servers').aws;
process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;

describe('chaos: SIGKILL at random instants during AWS access key rotations (moto)', () => {
  it(
    `${KILLS} kills: the user ends with exactly the current key, the consumer has it, nothing wedged or duplicated`,
    async () => {
      const admin = new IAMClient({ endpoint, region, profile: 'rotad-iam-admin' });
      const user = await newIamUser(admin, 'chaos');
      const { dir, config, store } = await killRunConfig(
        (dir) =>
          `  - name: iam-key
    provider: { type: aws-iam-access-key, userName: ${user}, quietFor: 0s, timeout: 3s }
    secret: { fields: { access_key_id: credentialId, secret_access_key: value } }
    schedule: { every: 30d }
    grace: 0s
    consumers:
      - { type: exec, command: [node, "${RECORDER}", "${dir}/consumer.log"], timeout: 3s }`,
      );
      const fleet = new Fleet({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_PROFILE: 'rotad-iam-docs' });
      for (let kill = 0; kill < KILLS; kill += 1) {
        const daemon = fleet.start(config);
        await fleet.request(config);
        await pause(randomBetween(0, 1_500));
        await fleet.kill(daemon);
      }
      const last = fleet.start(config);
      await fleet.request(config);
      await settle(store, 120_000, ['iam-key']);
      expect((await last.stop()).code).toBe(0);

      const problems: string[] = [];
      const handle = openStore(store);
      const snapshot = await handle.read({ name: 'iam-key' });
      await handle.close();
      const secrets = [snapshot.current, snapshot.previous, snapshot.pending].flatMap((c) => (c ? [c.value.reveal()] : []));
      if (snapshot.state.phase !== 'idle' || snapshot.state.attention || snapshot.pending)
        problems.push(`wedged: ${snapshot.state.phase} ${snapshot.state.attention?.message ?? ''}`);
      const { AccessKeyMetadata } = await admin.send(new ListAccessKeysCommand({ UserName: user }));
      const keys = (AccessKeyMetadata ?? []).map((k) => k.AccessKeyId);
      if (JSON.stringify(keys) !== JSON.stringify([snapshot.current?.id]))
        problems.push(`the user has keys ${keys.join(', ')}; rotad holds ${snapshot.current?.id}`);
      const sts = new STSClient({ endpoint, region, credentials: { accessKeyId: snapshot.current!.id!, secretAccessKey: snapshot.current!.value.reveal() } });
      const arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
      sts.destroy();
      if (!arn?.endsWith(`:user/${user}`)) problems.push(`the current key signs as ${arn}`);
      const handed = (await readFile(join(dir, 'consumer.log'), 'utf8')).trim().split('\n');
      const byRotation = new Map<string, Set<string>>();
      for (const line of handed) {
        const [id = '', value = ''] = line.split(' ');
        byRotation.set(id, (byRotation.get(id) ?? new Set()).add(value));
        secrets.push(value);
      }
      for (const [id, values] of byRotation) if (values.size > 1) problems.push(`rotation ${id} handed ${values.size} values`);
      if (handed.at(-1)?.split(' ')[1] !== snapshot.current!.value.reveal()) problems.push("the consumer's last value is not the current key");
      const completions = new Map<string, number>();
      for (const e of fleet.entries('Rotation completed')) completions.set(String(e.rotation), (completions.get(String(e.rotation)) ?? 0) + 1);
      const report = {
        kills: KILLS,
        rotationsStarted: new Set(fleet.entries('Rotation started').map((e) => String(e.rotation))).size,
        rotationsCompleted: completions.size,
        duplicated: [...completions.values()].filter((n) => n > 1).length,
        unseenKeysDeleted: fleet.entries('Deleted an access key an interrupted attempt created (its secret was never seen)').length,
        keysLeft: keys.length,
      };
      console.log(`iam chaos ${JSON.stringify(report)}${problems.length > 0 ? `\n${problems.join('\n')}` : ''}`);
      admin.destroy();
      expect(problems).toEqual([]);
      expect(report.duplicated).toBe(0);
      expectNoSecretsInOutput(secrets);
    },
    30 * 60_000,
  );
});
