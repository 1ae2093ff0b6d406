import { describe, expect, it } from 'vitest';
import { consumerRegistry } from '../../src/consumers/registry.js';
import { providerRegistry } from '../../src/providers/registry.js';
import { loadKits } from '../adapters/kit.js';

describe('test/adapters: one kit per registered provider and consumer', () => {
  it('each registry type has test/adapters/<kind>/<type>/kit.ts, and no kit names a type nobody registered', async () => {
    const kits = await loadKits();
    const registered = [...Object.keys(providerRegistry).map((t) => `providers/${t}`), ...Object.keys(consumerRegistry).map((t) => `consumers/${t}`)];
    expect([...kits.keys()].sort()).toEqual(registered.sort());
    for (const [where, kit] of kits) expect(`${kit.kind}/${kit.type}`).toBe(where);
  });
});
