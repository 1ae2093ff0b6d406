import { describe, expect, it } from 'vitest';
import { pacedProvider, rateWindow } from '../../src/wiring/provider-limits.js';
import { Secret } from '../../src/secret.js';
import type { Provider } from '../../src/providers/types.js';
import { FakeClock } from '../helpers/engine-doubles.js';

describe('daemon.providerLimits perSecond', () => {
  it('turns a rate into whole calls per window', () => {
    expect(rateWindow(5)).toEqual({ limit: 5, windowMs: 1_000 });
    expect(rateWindow(0.5)).toEqual({ limit: 1, windowMs: 2_000 });
    expect(rateWindow(2.5)).toEqual({ limit: 2, windowMs: 800 });
  });

  it('spaces the calls of every policy of a type, and leaves other types and members alone', async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const provider = (): Provider =>
      ({
        obtain: async () => {
          calls.push(clock.now());
          return { value: new Secret('x') };
        },
        label: 'stand-in',
      }) as unknown as Provider;
    const limits = { http: { perSecond: 2 } };
    const [one, two] = [pacedProvider(provider(), 'http', limits, clock), pacedProvider(provider(), 'http', limits, clock)];
    const start = clock.now();
    for (let i = 0; i < 3; i += 1) {
      await one.obtain!({} as never, undefined);
      await two.obtain!({} as never, undefined);
    }
    // Two calls in any second, over both policies.
    expect(calls.map((t) => t - start)).toEqual([0, 0, 1_000, 1_000, 2_000, 2_000]);
    expect((one as unknown as { label: string }).label).toBe('stand-in');
    const unlimited = provider();
    expect(pacedProvider(unlimited, 'gladly', limits, clock)).toBe(unlimited);
  });
});
