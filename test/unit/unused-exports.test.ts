import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unusedExports } from '../helpers/unused-exports.js';

describe('the exports of src', () => {
  it('are each imported somewhere (an export nobody imports is dead code or should not be exported)', () => {
    expect(unusedExports()).toEqual([]);
  }, 120_000);

  it('finds an export nobody imports (the check can fail)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rotad-exports-'));
    await mkdir(join(root, 'src'));
    await mkdir(join(root, 'test'));
    await writeFile(
      join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true }, include: ['src', 'test'] }),
    );
    await writeFile(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(root, 'src/a.ts'),
      'export const used = 1;\nexport const onlyHere = 2;\nexport type Shape = { n: number };\nexport const all = onlyHere + used;\n',
    );
    await writeFile(join(root, 'src/b.ts'), "export * from './c.js';\n");
    await writeFile(join(root, 'src/c.ts'), 'export const reExported = 3;\n');
    await writeFile(
      join(root, 'test/t.ts'),
      "import { used, type Shape } from '../src/a.js';\nimport * as b from '../src/b.js';\nexport const x: Shape = { n: used + b.reExported };\n",
    );
    expect(unusedExports(`${root}/`)).toEqual(['src/a.ts: all', 'src/a.ts: onlyHere']);
  });
});
