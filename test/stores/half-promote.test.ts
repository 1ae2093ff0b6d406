import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/secret.js';
import type { Store } from '../../src/stores/types.js';
import { CountingProxy, type RecordedRequest } from '../helpers/store-proxy.js';
import { openStore, STORE_KINDS } from '../helpers/store-kinds.js';

const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 1_700_000_000_000, id: `id-${rotationId}` });
const OLD = 'rotation-half-0001-aaaaaaaaaaaaaaaaaaaa';
const NEW = 'rotation-half-0002-aaaaaaaaaaaaaaaaaaaa';

/** The body of an AWS call, or undefined for a Vault request. */
const awsCall = (r: RecordedRequest): { action: string; secret: string; stage?: string } | undefined => {
  const target = r.headers['x-amz-target'];
  if (typeof target !== 'string') return undefined;
  const body = JSON.parse(r.body.toString() || '{}') as { SecretId?: string; VersionStage?: string };
  return { action: target.split('.').pop()!, secret: body.SecretId ?? '', ...(body.VersionStage ? { stage: body.VersionStage } : {}) };
};

/**
 * The request that records a promote in rotad's state record, after the credential was already
 * made current where applications read it: Vault's write of the state path after a write of the
 * application path; Secrets Manager's first write of the state secret after AWSCURRENT moved on the
 * application secret.
 */
const RECORDS_THE_PROMOTE: Record<string, (r: RecordedRequest, earlier: readonly RecordedRequest[]) => boolean> = {
  vault: (r, earlier) =>
    r.method === 'POST' && r.path.includes('/data/rotad-state/') && earlier.some((e) => e.method === 'POST' && e.path.includes('/data/apps/')),
  'aws-secrets-manager': (r, earlier) =>
    awsCall(r)?.action === 'PutSecretValue' &&
    awsCall(r)!.secret.startsWith('rotad-state/') &&
    earlier.some((e) => awsCall(e)?.action === 'UpdateSecretVersionStage' && awsCall(e)!.secret.startsWith('apps/') && awsCall(e)!.stage === 'AWSCURRENT'),
};

describe.each(STORE_KINDS.filter((kind) => kind.type in RECORDS_THE_PROMOTE))('$type: a read between a promote and its record', (kind) => {
  let proxy: CountingProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
  });

  it('shows the replaced credential as current and the new one as pending, until the promote is recorded', async () => {
    const options = await kind.options();
    const server = String(options.address ?? options.endpoint);
    proxy = new CountingProxy(new URL(server));
    const url = await proxy.start();
    const store: Store = openStore({ ...options, ...(options.address ? { address: url } : { endpoint: url }) });
    const p = { name: 'half' };
    await store.stagePending(p, credential('half-promote-old-value', OLD));
    await store.promote(p, OLD);
    await store.stagePending(p, credential('half-promote-new-value', NEW));
    proxy.recorded.length = 0;
    proxy.refuseOnce(RECORDS_THE_PROMOTE[kind.type]!);
    await expect(store.promote(p, NEW)).rejects.toBeDefined();
    expect(
      proxy.recorded.some((r) => RECORDS_THE_PROMOTE[kind.type]!(r, proxy!.recorded.slice(0, proxy!.recorded.indexOf(r)))),
      'the promote was cut where meant',
    ).toBe(true);

    const during = await store.read(p);
    expect(during.current).toMatchObject({ rotationId: OLD, id: `id-${OLD}` });
    expect(during.current?.value.reveal()).toBe('half-promote-old-value');
    expect(during.pending).toMatchObject({ rotationId: NEW, id: `id-${NEW}` });
    expect(during.pending?.value.reveal()).toBe('half-promote-new-value');

    await store.promote(p, NEW); // the engine's retry of the step
    const after = await store.read(p);
    expect(after.current).toMatchObject({ rotationId: NEW, id: `id-${NEW}` });
    expect(after.previous).toMatchObject({ rotationId: OLD, id: `id-${OLD}` });
    expect(after.previous?.value.reveal()).toBe('half-promote-old-value');
    expect(after.pending).toBeUndefined();
  });
});
