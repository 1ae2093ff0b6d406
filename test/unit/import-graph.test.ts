import { describe, expect, it } from 'vitest';
import { FLOORS, floorViolations, roomGraph } from '../../eslint-rules/floors.mjs';
import { cycles, importGraph } from '../../eslint-rules/import-graph.mjs';
import { readFile } from 'node:fs/promises';
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

  it('imports only down the floors: no cycle between rooms, no import up or sideways', () => {
    const graph = importGraph(ROOT);
    expect(cycles(roomGraph(graph)).map((cycle) => cycle.join(' → '))).toEqual([]);
    expect(floorViolations(graph)).toEqual([]);
  });

  it('finds an import up a floor, sideways on one, and a room on no floor (the check can fail)', () => {
    const graph = new Map([
      ['src/timing/schedule.ts', ['src/scheduler/scheduler.ts', 'src/errors.ts']],
      ['src/providers/gladly/index.ts', ['src/consumers/registry.ts', 'src/stores/types.ts']],
      ['src/attic/old.ts', []],
    ]);
    expect(floorViolations(graph)).toEqual([
      'src/timing/schedule.ts → src/scheduler/scheduler.ts',
      'src/providers/gladly/index.ts → src/consumers/registry.ts',
      'src/attic/old.ts: room attic is on no floor (eslint-rules/floors.mjs)',
    ]);
  });

  it('docs/design.md maps every floor as eslint-rules/floors.mjs has them', async () => {
    const design = await readFile(`${ROOT}docs/design.md`, 'utf8');
    for (const [level, floor] of FLOORS.entries()) {
      const rooms = floor.rooms.map((room) => (room === '.' ? '`src/*.ts`' : `\`${room}/\``)).join(', ');
      expect(design, `floor ${level}`).toContain(`| ${level} | ${rooms} |`);
    }
  });
});
