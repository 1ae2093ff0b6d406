import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../../eslint-rules/import-graph.mjs';
import { ROOT } from '../helpers/paths.js';

describe('the import graph of src', () => {
  it('has no cycle, type-only imports included', () => {
    const graph = importGraph(ROOT);
    expect(graph.size).toBeGreaterThan(100);
    expect(
      [...graph.values()].flat().every((target) => graph.has(target)),
      'every relative import resolves to a module of src',
    ).toBe(true);
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
