import { mergeHistory } from '../../src/history-trail.js';
import type { HistoryEntry } from '../../src/policy-state.js';
import { StoreConflictError, RotadError } from '../../src/errors.js';
import type { Clock } from '../../src/clock.js';
import type { Consumer } from '../../src/consumers/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Provider } from '../../src/providers/types.js';
import type { ResolvedPolicy } from '../../src/config/normalize.js';
import type { PolicyRuntime } from '../../src/rotation/context.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { IDLE_STATE, type PolicyState } from '../../src/policy-state.js';
import { Secret } from '../../src/secret.js';
import type { PolicyRef, PolicySnapshot, Store, StoredCredential } from '../../src/stores/types.js';

/** Time that moves only when someone sleeps. */
export class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public time = Date.parse('2026-01-01T00:00:00Z')) {}
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.time += ms;
  };
}

/** One list of everything that happened, in order, across provider, store and consumers. */
export type Call = { op: string; value?: string; facts?: unknown };

/** An in-memory store with the file store's semantics, and a switch to make staging fail. */
export class MemoryStore implements Store {
  current?: StoredCredential | undefined;
  previous?: StoredCredential | undefined;
  pending?: StoredCredential | undefined;
  state: PolicyState = IDLE_STATE;
  revision = 0;
  failStaging = false;
  constructor(private readonly calls: Call[]) {}
  async read(): Promise<PolicySnapshot> {
    return { current: this.current, previous: this.previous, pending: this.pending, state: this.state, revision: String(this.revision) };
  }
  async writeState(_p: PolicyRef, state: PolicyState, expected: string): Promise<string> {
    if (String(this.revision) !== expected) throw new StoreConflictError('conflict');
    this.state = state;
    this.revision += 1;
    return String(this.revision);
  }
  async stagePending(_p: PolicyRef, credential: StoredCredential): Promise<void> {
    if (this.failStaging) throw new RotadError('STORE_UNREACHABLE', 'store down');
    if (this.pending?.rotationId === credential.rotationId && this.pending.value.reveal() === credential.value.reveal()) return;
    if (this.pending !== undefined) throw new StoreConflictError('another credential is pending');
    this.pending = credential;
    this.calls.push({ op: 'store.stage', value: credential.value.reveal() });
  }
  async discardPending(_p: PolicyRef, rotationId: string): Promise<void> {
    if (this.pending?.rotationId === rotationId) this.pending = undefined;
  }
  async promote(_p: PolicyRef, rotationId: string): Promise<void> {
    if (this.current?.rotationId === rotationId) return;
    if (this.pending?.rotationId !== rotationId) throw new RotadError('STORE_RECORD_LOST', 'nothing pending');
    [this.previous, this.current, this.pending] = [this.current, this.pending, undefined];
    this.calls.push({ op: 'store.promote', value: this.current?.value.reveal() });
  }
  async rollback(): Promise<void> {
    [this.current, this.previous] = [this.previous, this.current];
  }
  async markPreviousRevoked(_p: PolicyRef, rotationId: string, at: number): Promise<void> {
    if (this.current?.rotationId === rotationId && this.previous) this.previous = { ...this.previous, revokedAt: at };
  }
  filedHistory: HistoryEntry[] = [];
  async readHistory(): Promise<HistoryEntry[]> {
    return this.filedHistory;
  }
  async fileHistory(_p: PolicyRef, entries: readonly HistoryEntry[], keep: number): Promise<void> {
    this.filedHistory = mergeHistory(this.filedHistory, entries, keep);
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface RecordingProviderOptions {
  /** false: the provider has no revoke API (the old credential is left alive, as with a token that only expires). */
  revokes?: boolean;
  /** Errors thrown by successive verify calls (then success). */
  verifyErrors?: unknown[];
}

/** A provider that keeps a ledger of live credentials, like a SaaS would. */
export function recordingProvider(calls: Call[], options: RecordingProviderOptions = {}): Provider & { live: Set<string>; verifyErrors: unknown[] } {
  let counter = 0;
  const live = new Set<string>();
  const verifyErrors = [...(options.verifyErrors ?? [])];
  return {
    live,
    verifyErrors,
    steps: { obtain: 'create', verify: 'read', revoke: 'delete' },
    async obtain() {
      counter += 1;
      const value = `credential-${counter}-${Math.random().toString(36).slice(2)}`;
      live.add(value);
      calls.push({ op: 'provider.create', value });
      return { value: new Secret(value), id: `id-${counter}` };
    },
    async verify(_ctx, credential) {
      calls.push({ op: 'provider.verify', value: credential.value.reveal() });
      const error = verifyErrors.shift();
      if (error) throw error;
      if (!live.has(credential.value.reveal())) throw new RotadError('VERIFY_FAILED', 'unknown credential');
    },
    ...(options.revokes === false
      ? {}
      : {
          async revoke(_ctx: unknown, credential: StoredCredential) {
            live.delete(credential.value.reveal());
            calls.push({ op: 'provider.revoke', value: credential.value.reveal() });
          },
        }),
  };
}

export function recordingConsumer(calls: Call[], name: string, failures: unknown[] = []): Consumer {
  return {
    label: name,
    async update(ctx, credential) {
      const error = failures.shift();
      if (error) throw error;
      calls.push({ op: `consumer.${name}`, value: credential.value.reveal(), ...(ctx.facts ? { facts: ctx.facts } : {}) });
    },
  };
}

/** A policy's settings as the config loader would give them: a random-provider policy rotated daily, with `overrides`. */
export function resolvedPolicy(name: string, overrides: Partial<ResolvedPolicy> = {}): ResolvedPolicy {
  return {
    name,
    provider: { type: 'random', length: 32, alphabet: 'alphanumeric', encoding: 'raw' },
    storeName: 's',
    graceMs: 0,
    incidentGraceMs: 0,
    labels: {},
    assist: { remindMs: 86_400_000, deadlineMs: 3 * 86_400_000, checkMs: 60_000 },
    rotateOnSignal: true,
    suspended: false,
    consumers: [],
    notify: [],
    escalate: [],
    expiryWarnings: [],
    overdueAfterMs: 3_600_000,
    timing: { name, schedule: { kind: 'every', intervalMs: 86_400_000 }, windowMs: 0 },
    ...overrides,
  };
}

export function policyRuntime(parts: {
  store: Store;
  provider: Provider;
  clock: FakeClock;
  consumers?: Consumer[];
  graceMs?: number;
  assist?: ResolvedPolicy['assist'];
  events?: RotationEvent[];
  calls?: Call[];
}): PolicyRuntime {
  return {
    name: 'p',
    ref: { name: 'p' },
    settings: resolvedPolicy('p', { graceMs: parts.graceMs ?? 0, ...(parts.assist ? { assist: parts.assist } : {}) }),
    store: parts.store,
    provider: parts.provider,
    consumers: (parts.consumers ?? []).map((consumer, i) => ({ key: `${i}:${consumer.label}`, consumer })),
    notify: async (event) => {
      parts.events?.push({ ...event, policy: 'p', at: parts.clock.now() });
    },
    logger: silentLogger(),
    clock: parts.clock,
    retry: { attempts: 4, initialDelayMs: 1000, maxDelayMs: 8000 },
    owner: 'test-engine',
    leaseMs: 60_000,
  };
}

/** A provider whose tokens a person makes: `live` is what the SaaS accepts. */
export function assistedProvider(live: Set<string>): Provider {
  return {
    steps: { obtain: 'ask', verify: 'read', revoke: 'ask' },
    assisted: {
      createRequest: () => ({ summary: 'Create a token', account: 'api@acme.test', url: 'https://acme.example', steps: ['Open settings', 'Create'] }),
      accept: async (_ctx, value) => {
        if (!live.has(value.reveal())) throw new RotadError('SUBMISSION_REFUSED', 'the provider does not know this token');
        return { value };
      },
      deleteRequest: (_ctx, old, keep) => ({
        summary: 'Delete the old token',
        account: 'api@acme.test',
        url: 'https://acme.example',
        steps: [`Delete the token of rotation ${old.rotationId}; keep the one of rotation ${keep?.rotationId ?? 'none'}`],
      }),
    },
    verify: async (_ctx, credential) => {
      if (!live.has(credential.value.reveal())) throw new RotadError('VERIFY_FAILED', 'unknown');
    },
    isRejected: async (_ctx, credential) => !live.has(credential.value.reveal()),
  };
}
