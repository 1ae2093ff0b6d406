import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../src/compact-heap.js';

describe('compactHeap', () => {
  it('collects garbage at once, without --expose-gc on the command line, and leaves gc unexposed', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    const makeGarbage = (): number => Array.from({ length: 400_000 }, (_, i) => ({ i, text: `garbage-${i}` })).length;
    expect(makeGarbage()).toBe(400_000);
    const withGarbage = process.memoryUsage().heapUsed;
    compactHeap();
    // 400,000 objects and strings are well over 10 MB.
    expect(withGarbage - process.memoryUsage().heapUsed).toBeGreaterThan(10 * 2 ** 20);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
