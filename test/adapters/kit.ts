import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonProcess } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import type { SaasServer } from '../servers/saas/base.js';
import type { Sandbox } from '../sandbox/world.js';

/**
 * What the shared adapter tests need of one adapter, kept beside its stand-in and its own tests in
 * test/adapters/<kind>/<type>/kit.ts (the folders mirror src/<kind>/<type>/). The fault matrix
 * (saas-faults.test.ts) and the example runner (examples.test.ts) find adapters through these, and
 * a unit test checks that every registered provider and consumer has one.
 */
export interface AdapterKit {
  kind: 'providers' | 'consumers';
  type: string;
  /** Its authenticated call against its stand-in, for the fault matrix. */
  faultCase?: () => Promise<FaultCase>;
  /** Why there is no fault case: the adapter calls no SaaS. */
  noFaultCase?: string;
  /** Its examples in config/examples, run in the sandbox as a reader would. */
  examples?: ExampleRun[];
}

/** One adapter call that works against a stand-in, so that each answer of docs/errors.md can be put in its way. */
export interface FaultCase {
  name: string;
  role: 'provider' | 'consumer';
  server: SaasServer;
  call(): Promise<unknown>;
  /** A consumer that reads back what it wrote: the fault that makes the read-back disagree. */
  readBack?: Record<string, unknown>;
  stop(): Promise<void>;
}

/** What an example run may use: the sandbox, and the steps of a reader. */
export interface ExampleContext {
  sandbox: Sandbox;
  /** Starts the example as shipped with `env` added (state and health port moved); resolves with the daemon and its environment. */
  start(file: string, env: Record<string, string>): Promise<{ daemon: DaemonProcess; env: Record<string, string> }>;
  /** `rotad submit POLICY -c FILE` with the token on stdin, as the person does. */
  submit(file: string, env: Record<string, string>, policy: string, token: string): Promise<void>;
  completed(daemon: DaemonProcess, policy: string): Promise<unknown>;
  /** Every secret value the run used, for the hygiene check at the end. */
  secrets: string[];
}

export interface ExampleRun {
  files: string[];
  run(ctx: ExampleContext): Promise<void>;
}

/** Every kit under test/adapters, by "kind/type". */
export async function loadKits(): Promise<Map<string, AdapterKit>> {
  const kits = new Map<string, AdapterKit>();
  for (const kind of ['providers', 'consumers'] as const) {
    for (const type of await readdir(join(ROOT, 'test/adapters', kind)).catch(() => [])) {
      const file = join(ROOT, 'test/adapters', kind, type, 'kit.ts');
      if (!existsSync(file)) continue;
      // A path only known at run time: vitest transforms the module as it does a static import.
      const { kit } = (await import(/* @vite-ignore */ file)) as { kit: AdapterKit };
      kits.set(`${kind}/${type}`, kit);
    }
  }
  return kits;
}
