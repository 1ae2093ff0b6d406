import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../src/rotation/steps.js';
import { ROOT } from '../helpers/paths.js';

describe('docs/design.md and the protocol table of the engine', () => {
  it('lists every step with what undoes it, in the words of src/rotation/steps.ts', async () => {
    const design = await readFile(`${ROOT}docs/design.md`, 'utf8');
    const rows = [...design.matchAll(/^\| (\w+) \| ([^|]+) \|$/gm)].filter(([, step]) => step! in STEPS).map(([, step, undo]) => [step, undo!.trim()]);
    expect(rows).toEqual(Object.entries(STEPS).map(([step, { undo }]) => [step, undo]));
  });
});
