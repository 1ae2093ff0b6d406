import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../src/daemon/compact-heap.js';

describe('compactHeap', () => {
  it('collects garbage at once, without --expose-gc on the command line, and leaves gc unexposed', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `garbage-${i}` }));
    const withGarbage = process.memoryUsage().heapUsed;
    expect(garbage.length).toBe(200_000);
    garbage = undefined;
    compactHeap();
    // 200,000 objects and strings are well over 10 MB.
    expect(withGarbage - process.memoryUsage().heapUsed).toBeGreaterThan(10 * 2 ** 20);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
