import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';

/** A real Kubernetes API server (kube-apiserver on etcd) on 127.0.0.1, and how the tests reach it. */
export interface KubeServer {
  server: string;
  /** The API server's serving certificate chain (self-signed at start), as a CA bundle. */
  caFile: string;
  /** A kubeconfig of a cluster admin (group system:masters): the tests set up namespaces, objects and RBAC with it. */
  adminKubeconfig: string;
  adminToken: string;
  /** Bearer tokens of users with no RBAC at all: a test grants each what it needs. */
  users: Record<string, string>;
  /** Where its files are (CA bundle, kubeconfigs, the service-account signing keys); removed at the end. */
  dir: string;
}

const USERS = ['rotad-user', 'rotad-denied'];

/** Writes a kubeconfig for `token` on `server`. */
export async function writeKubeconfig(path: string, server: string, caFile: string, token: string, context = 'test'): Promise<string> {
  await writeFile(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: ${context}, cluster: { server: "${server}", certificate-authority: "${caFile}" } }]`,
      `users: [{ name: ${context}, user: { token: "${token}" } }]`,
      `contexts: [{ name: ${context}, context: { cluster: ${context}, user: ${context} } }]`,
      `current-context: ${context}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

function run(command: string, args: string[], output: string[]): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return child;
}

/** GET `path` with the admin token, trusting the API server's own certificate: resolves with the status, or 0 when nothing answers. */
function probe(server: string, path: string, token: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${server}${path}`, { headers: { authorization: `Bearer ${token}` }, ...(ca ? { ca } : { rejectUnauthorized: false }) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

/**
 * Starts etcd (Debian's etcd-server) and kube-apiserver (test/servers/install.sh builds it from
 * k8s.io/kubernetes) on free ports, with token authentication, RBAC and service-account signing
 * keys; resolves once /readyz answers 200.
 */
export async function startKube(options: { controllers?: boolean } = {}): Promise<{
  kube: KubeServer;
  stop: () => Promise<void>;
  /** Stops the API server alone (etcd keeps the cluster), and starts it again on the same port and certificates. */
  apiserver: { stop: () => Promise<void>; start: () => Promise<void> };
}> {
  const { controllers: withControllers = true } = options;
  const dir = await mkdtemp(join(tmpdir(), 'rotad-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const output: string[] = [];
  const etcd = run(
    'etcd',
    [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    ],
    output,
  );
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const adminToken = `admin-${Math.random().toString(36).slice(2)}-token`;
  const users = Object.fromEntries(USERS.map((user) => [user, `${user}-${Math.random().toString(36).slice(2)}-token`]));
  await writeFile(
    join(dir, 'tokens.csv'),
    [`${adminToken},admin,admin,system:masters`, ...USERS.map((user) => `${users[user]},${user},${user}`)].join('\n') + '\n',
    { mode: 0o600 },
  );
  const apiserverArgs = (): [string, string[]] => [
    `${ROOT}.venv/bin/kube-apiserver`,
    [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      // The reconciler of the kubernetes Service's endpoints refuses a loopback address; nothing here reaches the API server through that Service.
      '--endpoint-reconciler-type=none',
    ],
  ];
  let apiserver = run(...apiserverArgs(), output);
  // Test servers with nothing to keep: killed at once (a graceful API server waits on its watches).
  const controllers: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...controllers, apiserver, etcd].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = join(dir, 'certs', 'apiserver.crt');
  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      for (const [name, child] of [
        ['etcd', etcd],
        ['kube-apiserver', apiserver],
      ] as const)
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output.join('').slice(-4000)}`);
      const ca = await readFile(caFile, 'utf8').catch(() => undefined);
      if (ca !== undefined && (await probe(server, '/readyz', adminToken, ca)) === 200) return;
      if (Date.now() > deadline) throw new Error(`kube-apiserver did not become ready at ${server}:\n${output.join('').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const restartable = {
    stop: () =>
      new Promise<void>((resolve) => {
        if (apiserver.exitCode !== null || apiserver.signalCode !== null) return resolve();
        apiserver.once('exit', () => resolve());
        apiserver.kill('SIGKILL');
      }),
    start: async () => {
      apiserver = run(...apiserverArgs(), output);
      await ready();
    },
  };
  try {
    await ready();
    const adminKubeconfig = await writeKubeconfig(join(dir, 'admin.kubeconfig'), server, caFile, adminToken, 'admin');
    // Deployments make ReplicaSets and pods, and pods are scheduled, by the real controllers.
    // Nodes and their kubelets are the tests' own (test/servers/kube-nodes.ts): the node lifecycle
    // controller, which would mark nodes without a real kubelet unreachable, is left out.
    if (!withControllers) return { kube: { server, caFile, adminKubeconfig, adminToken, users, dir }, stop, apiserver: restartable };
    controllers.push(
      run(
        `${ROOT}.venv/bin/kube-controller-manager`,
        [
          `--kubeconfig=${adminKubeconfig}`,
          '--leader-elect=false',
          '--controllers=*,-nodelifecycle,-node-ipam-controller',
          `--service-account-private-key-file=${join(dir, 'sa.key')}`,
          `--root-ca-file=${caFile}`,
          '--bind-address=127.0.0.1',
          '--secure-port=0',
        ],
        output,
      ),
      run(
        `${ROOT}.venv/bin/kube-scheduler`,
        [`--kubeconfig=${adminKubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0'],
        output,
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    for (const child of controllers)
      if (child.exitCode !== null) throw new Error(`a controller exited with ${child.exitCode}:\n${output.join('').slice(-4000)}`);
    return { kube: { server, caFile, adminKubeconfig, adminToken, users, dir }, stop, apiserver: restartable };
  } catch (error) {
    await stop();
    throw error;
  }
}
