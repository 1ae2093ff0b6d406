import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api, type V1Secret } from '@kubernetes/client-node';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeServer } from '../../../servers/kube.js';

/** The fingerprint the daemon of state directory `dir` writes: HMAC-SHA256 under its audit key, 16 hex digits. */
export async function daemonFingerprint(dir: string, value: string, stateDir = join(dir, 'state')): Promise<string> {
  const key = Buffer.from((await readFile(join(stateDir, 'fingerprint.key'), 'utf8')).trim(), 'base64');
  return createHmac('sha256', key).update(value).digest('hex').slice(0, 16);
}

/** What a test does as cluster admin on the test API server: namespaces, objects owned by another field manager, RBAC, reads. */
export class ClusterAdmin {
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly objects: KubernetesObjectApi;

  constructor(kube: KubeServer) {
    const config = new KubeConfig();
    config.loadFromFile(kube.adminKubeconfig);
    this.core = config.makeApiClient(CoreV1Api);
    this.rbac = config.makeApiClient(RbacAuthorizationV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(config);
  }

  async namespace(name: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
  }

  /** A Secret with keys another tool owns (its own field manager), as a Secret rotad joins would have. */
  async secretOwnedBy(manager: string, namespace: string, name: string, data: Record<string, string>): Promise<void> {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    await this.objects.patch(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: encoded },
      undefined,
      undefined,
      manager,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  /** A Role with `verbs` on secrets (only `names`) and `create` on events, bound to `user`. */
  async grant(user: string, namespace: string, verbs: string[], names: string[]): Promise<void> {
    const role = `rotad-${user}`;
    await this.rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: role, namespace },
        rules: [
          { apiGroups: [''], resources: ['secrets'], verbs: verbs.filter((v) => v !== 'create'), resourceNames: names },
          // create cannot be limited by name: the name is not known to RBAC before the object exists.
          ...(verbs.includes('create') ? [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }] : []),
          { apiGroups: [''], resources: ['events'], verbs: ['create'] },
        ],
      },
    });
    await this.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: role, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
  }

  async secret(namespace: string, name: string): Promise<V1Secret> {
    return this.core.readNamespacedSecret({ namespace, name });
  }

  /** The decoded value of one key. */
  async secretValue(namespace: string, name: string, key: string): Promise<string | undefined> {
    const data = (await this.secret(namespace, name)).data?.[key];
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  }

  async events(namespace: string, name: string): Promise<Array<{ type: string | undefined; reason: string | undefined; message: string | undefined }>> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    return list.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
  }
}
