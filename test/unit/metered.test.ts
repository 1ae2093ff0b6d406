import { describe, expect, it } from 'vitest';
import { RotadError } from '../../src/errors.js';
import { meter } from '../../src/observability/metered.js';
import { PROVIDER_OPERATIONS, type Provider } from '../../src/providers/types.js';
import { STORE_OPERATIONS, type Store } from '../../src/stores/types.js';
import { Secret } from '../../src/secret.js';
import { MemoryStore } from '../sim/memory-store.js';

/** A store written as a class, with an optional method on its prototype (a hand-over slot). */
class SlotStore extends MemoryStore {
  slot = 'handed-over-value';
  async takeHandover(): Promise<Secret | undefined> {
    return new Secret(this.slot);
  }
}

/** A provider written as a class: its optional methods live on the prototype. */
class ClassProvider implements Provider {
  readonly steps = { obtain: 'make', verify: 'check', revoke: 'drop' };
  rejected = true;
  async obtain() {
    return { value: new Secret('made-by-class') };
  }
  async verify() {
    throw new RotadError('VERIFY_FAILED', 'no');
  }
  async isRejected() {
    return this.rejected;
  }
}

describe('metering keeps an adapter whole', () => {
  it('a class-based store and provider keep their prototype methods and state; calls are counted', async () => {
    const counted: string[] = [];
    const count = (op: string, outcome: string) => counted.push(`${op}:${outcome}`);
    const store = meter<Store>(new SlotStore(), STORE_OPERATIONS, count);
    expect((await store.takeHandover!({ name: 'p' }))?.reveal()).toBe('handed-over-value');
    await store.read({ name: 'p' });
    expect((store as SlotStore).slot).toBe('handed-over-value');

    const provider = meter<Provider>(new ClassProvider(), PROVIDER_OPERATIONS, count);
    expect(await provider.isRejected!({} as never, {} as never)).toBe(true);
    expect((await provider.obtain!({} as never, undefined)).value.reveal()).toBe('made-by-class');
    await expect(provider.verify({} as never, {} as never)).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    expect(counted).toEqual(['read:ok', 'obtain:ok', 'verify:VERIFY_FAILED']);
  });
});
