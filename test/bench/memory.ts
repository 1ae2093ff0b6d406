import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateFleet } from './store-runs.js';

export interface MemoryRun {
  rotations: number;
  /** Heap after a full collection and RSS, sampled after each tenth of the rotations. */
  samples: Array<{ rotations: number; heapMb: number; rssMb: number }>;
}

/**
 * `rounds` × `policies` consecutive rotations on the file store (each round a `rotad rotate --all`
 * request), sampling memory ten times. Flat means the last samples are no higher than the early
 * ones once the per-policy history (20 entries) is full.
 */
export async function memoryOverRotations(policies: number, rounds: number): Promise<MemoryRun> {
  const dir = await mkdtemp(join(tmpdir(), 'rotad-bench-memory-'));
  const samples: MemoryRun['samples'] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    await rotateFleet('file', dir, undefined, {
      count: policies,
      concurrency: 4,
      prefix: 'mem',
      rounds,
      later: 'request',
      onRound: (round) => {
        if (round % Math.max(1, Math.floor(rounds / 10)) !== 0) return;
        gc?.();
        const usage = process.memoryUsage();
        samples.push({ rotations: round * policies, heapMb: usage.heapUsed / 2 ** 20, rssMb: usage.rss / 2 ** 20 });
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { rotations: rounds * policies, samples };
}
