import { RotadError } from '../errors.js';

/** Which cluster, and as whom: a kubeconfig and its context, or (neither set, no KUBECONFIG) the pod's service account. */
interface ClusterOptions {
  /** A kubeconfig file; default: KUBECONFIG, then ~/.kube/config, then the pod's service account. */
  kubeconfig?: string | undefined;
  /** A context of that kubeconfig; default: its current context. */
  context?: string | undefined;
  timeoutMs: number;
}

/** An object as the API server holds it: what rotad reads of one. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** One object, named: its kind (Secret, Deployment, …), namespace and name; `resource` is the plural RBAC and errors name. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  resource: string;
  namespace: string;
  name: string;
}

/** The field manager of rotad's changes (unless a change names its own): keys other managers own are left alone. */
const FIELD_MANAGER = 'rotad';

type Client = typeof import('@kubernetes/client-node');

/** The client library, loaded on first use: a daemon without Kubernetes consumers never pays for it. */
let library: Promise<Client> | undefined;
const load = (): Promise<Client> => (library ??= import('@kubernetes/client-node'));

/** What an answer of the API server means for rotad: who may fix it, and whether trying again can help. */
function failure(error: unknown, verb: string, ref: Pick<ObjectRef, 'resource' | 'namespace' | 'name'>): RotadError {
  const where = `${ref.resource}/${ref.name} in namespace ${ref.namespace}`;
  const status = (error as { code?: unknown }).code;
  const body = (error as { body?: unknown }).body;
  // The API server's own Status: its reason and, for an authorization failure, its message (which names user, verb and resource, never a value).
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const reason = (parsed as { reason?: unknown } | undefined)?.reason;
  if (status === 401)
    return new RotadError(
      'CONSUMER_FAILED',
      `Kubernetes refused rotad's credentials (401) to ${verb} ${where}: check the kubeconfig or the service account token`,
    );
  if (status === 403)
    return new RotadError(
      'CONSUMER_FAILED',
      `Kubernetes RBAC does not let rotad ${verb} ${where} (403): grant the verb ${verb} on ${ref.resource}${ref.name ? ` (resourceNames: ${ref.name})` : ''} in namespace ${ref.namespace} to rotad's service account or user`,
    );
  if (status === 404) return new RotadError('CONSUMER_FAILED', `Kubernetes has no ${where} (404) to ${verb}: check the namespace and the name`);
  if (status === 409)
    return new RotadError('CONSUMER_FAILED', `${where} changed while rotad meant to ${verb} it (409 Conflict); trying again`, {
      retryable: true,
      cause: error,
    });
  if (typeof status === 'number' && (status === 429 || status >= 500))
    return new RotadError(
      'CONSUMER_FAILED',
      `the Kubernetes API server answered ${status}${reason ? ` (${String(reason)})` : ''} to ${verb} ${where}; trying again`,
      {
        retryable: true,
      },
    );
  if (typeof status === 'number')
    return new RotadError('CONSUMER_FAILED', `the Kubernetes API server refused to ${verb} ${where}: ${status}${reason ? ` (${String(reason)})` : ''}`);
  // No answer: unreachable, TLS, a timeout.
  return new RotadError(
    'CONSUMER_FAILED',
    `the Kubernetes API server did not answer to ${verb} ${where}: ${(error as Error).message ?? String(error)}; trying again`,
    {
      retryable: true,
    },
  );
}

/** A change refused because the object changed since it was read (its resourceVersion): read it again. */
export function isConflict(error: unknown): boolean {
  return error instanceof RotadError && (error.cause as { code?: unknown } | undefined)?.code === 409;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Waits for `call`, or throws when the signal aborts or `timeoutMs` passes (the request itself is left to finish). */
async function bounded<T>(call: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limits = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')), { once: true });
  });
  try {
    return await Promise.race([call, limits]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Kubernetes API server as rotad uses it, through the official client library: server-side apply
 * under rotad's field manager, reads, access reviews and events. Every failure becomes a
 * CONSUMER_FAILED that names the verb, the resource and the namespace.
 */
export class KubernetesCluster {
  private constructor(
    private readonly client: Client,
    private readonly config: InstanceType<Client['KubeConfig']>,
    private readonly timeoutMs: number,
  ) {}

  static async connect(options: ClusterOptions): Promise<KubernetesCluster> {
    const client = await load();
    const config = new client.KubeConfig();
    try {
      if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
      else config.loadFromDefault();
      if (options.context) config.setCurrentContext(options.context);
    } catch (error) {
      throw new RotadError('CONFIG_INVALID', `the Kubernetes configuration could not be loaded: ${(error as Error).message}`);
    }
    if (!config.getCurrentCluster())
      throw new RotadError('CONFIG_INVALID', 'no Kubernetes cluster configured: set KUBECONFIG or kubeconfig, or run rotad in a pod with a service account');
    return new KubernetesCluster(client, config, options.timeoutMs);
  }

  /** The server's address, for messages and `plan`. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? 'unknown';
  }

  /** Server-side apply of `object` (fields rotad sets; others' fields stay theirs). Resolves with the object as the server holds it. */
  async apply(ref: ObjectRef, object: KubernetesObject, options: { signal?: AbortSignal; manager?: string } = {}): Promise<KubernetesObject> {
    const { signal, manager = FIELD_MANAGER } = options;
    const api = this.client.KubernetesObjectApi.makeApiClient(this.config);
    const spec = { ...object, apiVersion: ref.apiVersion, kind: ref.kind, metadata: { ...object.metadata, name: ref.name, namespace: ref.namespace } };
    try {
      return (await bounded(
        api.patch(spec, undefined, undefined, manager, true, this.client.PatchStrategy.ServerSideApply),
        this.timeoutMs,
        signal,
      )) as KubernetesObject;
    } catch (error) {
      throw failure(error, 'patch', ref);
    }
  }

  /** The object, or undefined when it does not exist. */
  async read(ref: ObjectRef, signal?: AbortSignal): Promise<KubernetesObject | undefined> {
    const api = this.client.KubernetesObjectApi.makeApiClient(this.config);
    try {
      return (await bounded(
        api.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }),
        this.timeoutMs,
        signal,
      )) as KubernetesObject;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return undefined;
      throw failure(error, 'get', ref);
    }
  }

  /** The objects of a kind in a namespace whose labels match `selector` (a label selector, e.g. app=web). */
  async list(ref: Omit<ObjectRef, 'name'>, selector: string, signal?: AbortSignal): Promise<KubernetesObject[]> {
    const api = this.client.KubernetesObjectApi.makeApiClient(this.config);
    try {
      const list = await bounded(
        api.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, undefined, selector),
        this.timeoutMs,
        signal,
      );
      return list.items as KubernetesObject[];
    } catch (error) {
      throw failure(error, 'list', { ...ref, name: '' });
    }
  }

  /** Whether rotad may `verb` the object (a SelfSubjectAccessReview: asks, changes nothing); with the server's reason when not. */
  async allowed(verb: string, ref: ObjectRef, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string | undefined }> {
    const api = this.config.makeApiClient(this.client.AuthorizationV1Api);
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
    try {
      const review = await bounded(
        api.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb, group, resource: ref.resource, namespace: ref.namespace, name: ref.name } } },
        }),
        this.timeoutMs,
        signal,
      );
      return { allowed: review.status?.allowed === true, reason: review.status?.reason };
    } catch (error) {
      throw failure(error, 'create selfsubjectaccessreviews for', ref);
    }
  }

  /** Records a Kubernetes Event on the object (as kubectl describe shows it): Normal for a change rotad made, Warning for one that stalls. */
  async event(ref: ObjectRef, uid: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string, signal?: AbortSignal): Promise<void> {
    const api = this.config.makeApiClient(this.client.CoreV1Api);
    const now = new Date();
    try {
      await bounded(
        api.createNamespacedEvent({
          namespace: ref.namespace,
          body: {
            metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
            involvedObject: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace, ...(uid ? { uid } : {}) },
            type,
            reason,
            message,
            source: { component: 'rotad' },
            reportingComponent: 'rotad',
            reportingInstance: 'rotad',
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        }),
        this.timeoutMs,
        signal,
      );
    } catch (error) {
      throw failure(error, 'create', { resource: 'events', namespace: ref.namespace, name: '' });
    }
  }
}
