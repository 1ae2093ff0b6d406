import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import type { TestProject } from 'vitest/node';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { startKube, type KubeServer } from './kube.js';

/** What the store tests need to reach the real servers. */
export interface TestServers {
  vault: { address: string; rootToken: string };
  aws: {
    endpoint: string;
    region: string;
    /**
     * Shared credentials file with profiles rotad-test (allowed), rotad-denied (no policy), rotad-docs
     * (the documented minimal policy), rotad-unknown (keys moto never issued), rotad-iam-admin (every
     * IAM and STS action) and rotad-iam-docs (the aws-iam-access-key page's policy).
     */
    credentialsFile: string;
    allowed: { accessKeyId: string; secretAccessKey: string };
  };
  /** A real kube-apiserver on etcd (test/servers/kube.ts). */
  kube: KubeServer;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: TestServers;
  }
}

async function waitUntilUp(name: string, url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output.join('')}`);
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not come up at ${url}:\n${output.join('')}`);
}

function start(command: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: process.env.HOME ?? '/tmp', ...env } });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, output };
}

const IAM_SETUP_ACTIONS = 14;

/**
 * The minimal IAM policy of src/stores/aws-secrets-manager/readme.md, with its actions as
 * documented. moto checks Secrets Manager calls against resource "*" only, so the resources are
 * widened to "*" here: the tests prove the documented actions suffice (and nothing else is
 * allowed), not the ARN scoping, which only real AWS evaluates.
 */
async function documentedIamPolicy(page = 'src/stores/aws-secrets-manager/readme.md'): Promise<string> {
  const readme = await readFile(join(ROOT, page), 'utf8');
  const policy = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!policy) throw new Error(`no json block in ${page}`);
  const parsed = JSON.parse(policy) as { Statement: Array<Record<string, unknown>> };
  return JSON.stringify({ ...parsed, Statement: parsed.Statement.map((statement) => ({ ...statement, Resource: '*' })) });
}

type Keys = { accessKeyId: string; secretAccessKey: string };

/**
 * IAM users in moto: one allowed every Secrets Manager action, one with no policy, one with the
 * documented minimal policy; for the access-key provider, an administrator of IAM (the tests set
 * users up with it) and one with the provider page's policy.
 */
async function createIamUsers(endpoint: string): Promise<{ allowed: Keys; denied: Keys; documented: Keys; iamAdmin: Keys; iamDocumented: Keys }> {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'setup', secretAccessKey: 'setup' } });
  const keys = async (user: string) => {
    await iam.send(new CreateUserCommand({ UserName: user }));
    if (user === 'rotad-test') {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: user,
          PolicyName: 'secrets',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] }),
        }),
      );
    }
    if (user === 'rotad-docs')
      await iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: 'documented', PolicyDocument: await documentedIamPolicy() }));
    if (user === 'rotad-iam-admin')
      await iam.send(
        new PutUserPolicyCommand({
          UserName: user,
          PolicyName: 'iam',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:*', 'sts:*'], Resource: '*' }] }),
        }),
      );
    if (user === 'rotad-iam-docs')
      await iam.send(
        new PutUserPolicyCommand({
          UserName: user,
          PolicyName: 'documented',
          PolicyDocument: await documentedIamPolicy('src/providers/aws-iam-access-key/readme.md'),
        }),
      );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    return { accessKeyId: AccessKey?.AccessKeyId ?? '', secretAccessKey: AccessKey?.SecretAccessKey ?? '' };
  };
  const allowed = await keys('rotad-test');
  const denied = await keys('rotad-denied');
  const documented = await keys('rotad-docs');
  const iamAdmin = await keys('rotad-iam-admin');
  const iamDocumented = await keys('rotad-iam-docs');
  iam.destroy();
  return { allowed, denied, documented, iamAdmin, iamDocumented };
}

/** Starts the servers and returns what the tests need, and how to stop them. */
async function startServers(): Promise<{ servers: TestServers; stop: () => Promise<void> }> {
  execFileSync('bash', ['test/servers/install.sh'], { cwd: ROOT, stdio: 'inherit' });
  const rootToken = 'rotad-test-root-token';
  const [vaultPort, motoPort] = [await freePort(), await freePort()];
  const bao = start(`${ROOT}.venv/bin/bao`, ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${vaultPort}`]);
  // moto checks IAM for every request after the first few (which create the test users).
  const moto = start(`${ROOT}.venv/bin/moto_server`, ['-H', '127.0.0.1', '-p', String(motoPort)], { INITIAL_NO_AUTH_ACTION_COUNT: String(IAM_SETUP_ACTIONS) });
  // The API server takes longest (about 20 s): it starts while the others come up.
  const kubeStarting = startKube();
  kubeStarting.catch(() => undefined);
  const stop = async (): Promise<void> => {
    for (const { child } of [bao, moto]) child.kill('SIGTERM');
    await kubeStarting.then(({ stop: stopKube }) => stopKube()).catch(() => undefined);
  };
  try {
    const address = `http://127.0.0.1:${vaultPort}`;
    await waitUntilUp('bao server', `${address}/v1/sys/health`, bao.child, bao.output);
    await waitUntilUp('moto_server', `http://127.0.0.1:${motoPort}/moto-api/`, moto.child, moto.output);
    const enabled = await fetch(`${address}/v1/sys/auth/approle`, {
      method: 'POST',
      headers: { 'x-vault-token': rootToken },
      body: JSON.stringify({ type: 'approle' }),
    });
    if (!enabled.ok) throw new Error(`enabling AppRole failed: ${enabled.status}`);
    const endpoint = `http://127.0.0.1:${motoPort}`;
    const { allowed, denied, documented, iamAdmin, iamDocumented } = await createIamUsers(endpoint);
    const credentialsFile = join(await mkdtemp(join(tmpdir(), 'rotad-aws-')), 'credentials');
    await writeFile(
      credentialsFile,
      [
        `[rotad-test]\naws_access_key_id = ${allowed.accessKeyId}\naws_secret_access_key = ${allowed.secretAccessKey}`,
        `[rotad-denied]\naws_access_key_id = ${denied.accessKeyId}\naws_secret_access_key = ${denied.secretAccessKey}`,
        `[rotad-docs]\naws_access_key_id = ${documented.accessKeyId}\naws_secret_access_key = ${documented.secretAccessKey}`,
        `[rotad-iam-admin]\naws_access_key_id = ${iamAdmin.accessKeyId}\naws_secret_access_key = ${iamAdmin.secretAccessKey}`,
        `[rotad-iam-docs]\naws_access_key_id = ${iamDocumented.accessKeyId}\naws_secret_access_key = ${iamDocumented.secretAccessKey}`,
        '[rotad-unknown]\naws_access_key_id = AKIAROTADUNKNOWNKEY1\naws_secret_access_key = not-a-key-moto-issued',
      ].join('\n\n'),
      { mode: 0o600 },
    );
    const { kube } = await kubeStarting;
    return { servers: { vault: { address, rootToken }, aws: { endpoint, region: 'eu-central-1', credentialsFile, allowed }, kube }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One run of the servers shared by every project that lists this setup (the stores and the
 * end-to-end projects): the first project to start starts them, the last to finish stops them.
 * Kept on globalThis because each project may load this module anew in the same main process.
 */
interface SharedServers {
  started: ReturnType<typeof startServers>;
  users: number;
}
const shared = globalThis as typeof globalThis & { rotadTestServers?: SharedServers };

/**
 * Installs (test/servers/install.sh) and starts a real OpenBao dev server and a real moto server
 * on free ports on 127.0.0.1 for the projects that need them, and stops them afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = (shared.rotadTestServers ??= { started: startServers(), users: 0 });
  run.users += 1;
  const { servers, stop } = await run.started;
  project.provide('servers', servers);
  return async () => {
    run.users -= 1;
    if (run.users > 0) return;
    delete shared.rotadTestServers;
    await stop();
  };
}
