import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  CreateSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { randomProvider } from '../../src/providers/random/index.js';
import { runRotation } from '../../src/rotation/engine.js';
import { Secret } from '../../src/secret.js';
import { FakeClock, policyRuntime } from '../helpers/engine-doubles.js';
import { openStore } from '../helpers/store-kinds.js';
import { CountingProxy } from '../helpers/store-proxy.js';
import { successorToken } from '../../src/stores/aws-secrets-manager/state-secret.js';

const aws = () => inject('servers').aws;
const random = () => randomProvider.create({ type: 'random', length: 24, alphabet: 'alphanumeric', encoding: 'raw' });
const baseOptions = (profile = 'rotad-test') => {
  process.env.AWS_SHARED_CREDENTIALS_FILE = aws().credentialsFile;
  return { type: 'aws-secrets-manager', endpoint: aws().endpoint, region: aws().region, profile, maxAttempts: 1 };
};
const rotate = (options: Record<string, unknown>, ref: { name: string; path?: string; field?: string }) =>
  runRotation(
    { ...policyRuntime({ store: openStore(options), provider: random(), clock: new FakeClock() }), name: ref.name, ref, clock: systemClock },
    'cli',
    new AbortController().signal,
  );
const sdk = () => new SecretsManagerClient({ endpoint: aws().endpoint, region: aws().region, credentials: aws().allowed });

describe('aws-secrets-manager store on a real moto server', () => {
  it('the actions of the minimal IAM policy in the docs are enough for rotations and rollback, and allow nothing else', async () => {
    const options = baseOptions('rotad-docs');
    const name = `docs-${randomUUID().slice(0, 8)}`;
    expect(await rotate(options, { name })).toMatchObject({ status: 'completed' });
    expect(await rotate(options, { name })).toMatchObject({ status: 'completed' });
    const store = openStore(options);
    expect((await store.read({ name })).previous).toBeDefined();
    await store.rollback({ name });
    await expect(store.ping()).resolves.toBeUndefined();
    process.env.AWS_SHARED_CREDENTIALS_FILE = aws().credentialsFile;
    const docsUser = new SecretsManagerClient({ endpoint: aws().endpoint, region: aws().region, profile: 'rotad-docs', maxAttempts: 1 });
    const denied = await docsUser.send(new UpdateSecretCommand({ SecretId: `rotad/${name}`, Description: "not rotad's business" })).then(
      () => 0,
      (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
    );
    expect(denied).toBe(403);

    // A person hands a token over with their own AWS tooling; rotad (with the documented policy) takes it and deletes it.
    const person = new SecretsManagerClient({ endpoint: aws().endpoint, region: aws().region, credentials: aws().allowed });
    await person.send(new CreateSecretCommand({ Name: `rotad-handover/${name}`, SecretString: 'handed-over-token-7f3a\n' }));
    expect((await store.takeHandover!({ name }))?.reveal()).toBe('handed-over-token-7f3a');
    await store.clearHandover!({ name });
    expect(await store.takeHandover!({ name })).toBeUndefined();
    await store.clearHandover!({ name }); // already gone: still fine
    person.destroy();
    docsUser.destroy();
  });

  it('a promote repeated after the labels moved (killed before the record was written) keeps the previous credential and its id', async () => {
    const space = randomUUID().slice(0, 8);
    const options = { ...baseOptions(), name: `apps/${space}/{policy}`, stateName: `rotad-state/${space}/{policy}` };
    const store = openStore(options);
    const p = { name: 'repeat' };
    const credential = (value: string, rotationId: string) => ({ value: new Secret(value), rotationId, createdAt: 1, id: `id-${rotationId}` });
    const [r1, r2] = [`r1-${randomUUID()}`.slice(0, 36), `r2-${randomUUID()}`.slice(0, 36)];
    await store.stagePending(p, credential('repeat-value-one', r1));
    await store.promote(p, r1);
    await store.stagePending(p, credential('repeat-value-two', r2));
    // The first attempt got as far as moving AWSCURRENT (AWS moves AWSPREVIOUS along), then died.
    const client = sdk();
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: `apps/${space}/repeat`, VersionStage: 'AWSCURRENT', MoveToVersionId: r2, RemoveFromVersionId: r1 }),
    );
    client.destroy();
    await store.promote(p, r2);
    const after = await store.read(p);
    expect(after.current).toMatchObject({ rotationId: r2, id: `id-${r2}` });
    expect(after.previous).toMatchObject({ rotationId: r1, id: `id-${r1}` });
    expect(after.previous?.value.reveal()).toBe('repeat-value-one');
  });

  it('keys moto never issued are refused as STORE_ACCESS_DENIED', async () => {
    await expect(openStore(baseOptions('rotad-unknown')).ping()).rejects.toMatchObject({
      code: 'STORE_ACCESS_DENIED',
      message: expect.stringMatching(/check the credentials and the IAM policy/),
    });
  });

  it('with `field`, keeps the other JSON keys of the secret', async () => {
    const client = sdk();
    const path = `apps/json-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateSecretCommand({ Name: path, SecretString: JSON.stringify({ username: 'svc-billing', password: 'hand-made' }) }));
    await rotate(baseOptions(), { name: 'json', path, field: 'password' });
    const snapshot = await openStore(baseOptions()).read({ name: 'json', path, field: 'password' });
    expect(snapshot.previous?.value.reveal()).toBe('hand-made');
    expect(snapshot.current?.value.reveal()).not.toBe('hand-made');
    client.destroy();
  });

  it('a leftover AWSPENDING from another tool is cleaned up, not left blocking', async () => {
    const client = sdk();
    const path = `apps/leftover-${randomUUID().slice(0, 8)}`;
    await client.send(new CreateSecretCommand({ Name: path, SecretString: 'original-value-1' }));
    await client.send(
      new PutSecretValueCommand({ SecretId: path, ClientRequestToken: randomUUID(), SecretString: 'abandoned-pending', VersionStages: ['AWSPENDING'] }),
    );
    expect(await rotate(baseOptions(), { name: 'leftover', path })).toMatchObject({ status: 'completed' });
    const stages = (await client.send(new DescribeSecretCommand({ SecretId: path }))).VersionIdsToStages ?? {};
    // The abandoned version lost its label; AWSPENDING may stay on the version made current (a finished rotation, as AWS documents it).
    const pendingOn = Object.entries(stages)
      .filter(([, labels]) => labels.includes('AWSPENDING'))
      .map(([id]) => id);
    const currentOn = Object.entries(stages)
      .filter(([, labels]) => labels.includes('AWSCURRENT'))
      .map(([id]) => id);
    expect(pendingOn.every((id) => currentOn.includes(id))).toBe(true);
    expect((await openStore(baseOptions()).read({ name: 'leftover', path })).pending).toBeUndefined();
    const snapshot = await openStore(baseOptions()).read({ name: 'leftover', path });
    expect(snapshot.previous?.value.reveal()).toBe('original-value-1');
    client.destroy();
  });

  it('the first credential of a new secret is invisible until promoted', async () => {
    const client = sdk();
    const path = `apps/first-${randomUUID().slice(0, 8)}`;
    const store = openStore(baseOptions());
    await store.stagePending(
      { name: 'first', path },
      { value: (await random().obtain!({} as never, undefined)).value, rotationId: `r-first-${randomUUID()}`, createdAt: 1 },
    );
    await expect(client.send(new DescribeSecretCommand({ SecretId: path }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    client.destroy();
  });

  it('a state write is one PutSecretValue; of two writers that read the same version one lands; a label moved back by hand still writes', async () => {
    const proxy = new CountingProxy(new URL(aws().endpoint));
    const options = { ...baseOptions(), endpoint: await proxy.start() };
    const name = `cas-${randomUUID().slice(0, 8)}`;
    const [first, second] = [openStore(options), openStore(options)];
    const created = await first.read({ name });
    await first.writeState({ name }, { ...created.state, requestedAt: 1 }, created.revision);
    const [seenByFirst, seenBySecond] = [await first.read({ name }), await second.read({ name })];
    const before = proxy.recorded.length;
    await first.writeState({ name }, { ...seenByFirst.state, requestedAt: 2 }, seenByFirst.revision);
    expect(proxy.recorded.slice(before).map((r) => r.headers['x-amz-target'])).toEqual(['secretsmanager.PutSecretValue']);
    await expect(second.writeState({ name }, { ...seenBySecond.state, requestedAt: 3 }, seenBySecond.revision)).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    expect((await second.read({ name })).state.requestedAt).toBe(2);
    // Someone puts AWSCURRENT of the state secret back on the version before: its successor exists already.
    const client = sdk();
    const stateSecret = `rotad-state/${name}`;
    const labels = Object.entries((await client.send(new DescribeSecretCommand({ SecretId: stateSecret }))).VersionIdsToStages ?? {});
    const [current, previous] = ['AWSCURRENT', 'AWSPREVIOUS'].map((label) => labels.find(([, stages]) => stages.includes(label))?.[0]);
    expect(current).toBe(successorToken(previous!));
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: stateSecret, VersionStage: 'AWSCURRENT', MoveToVersionId: previous, RemoveFromVersionId: current }),
    );
    const third = openStore(options);
    const movedBack = await third.read({ name });
    expect(movedBack.state.requestedAt).toBe(1);
    await third.writeState({ name }, { ...movedBack.state, requestedAt: 4 }, movedBack.revision);
    expect((await openStore(options).read({ name })).state.requestedAt).toBe(4);
    client.destroy();
    await proxy.stop();
  });
});
