// Lint rule: a module of src may not be part of an import cycle (type-only imports included).
import { relative } from 'node:path';
import { cycles, importGraph } from './import-graph.mjs';

/** The cycles of the tree, computed once per lint run (every file of src is in the graph). */
let cached;

export const noImportCycle = {
  meta: { type: 'problem', docs: { description: 'no import cycles among the modules of src' }, schema: [] },
  create(context) {
    const root = context.cwd;
    cached ??= cycles(importGraph(root));
    const file = relative(root, context.filename);
    return {
      Program(node) {
        for (const cycle of cached.filter((c) => c.includes(file))) {
          context.report({ node, message: `import cycle: ${cycle.join(' → ')}` });
        }
      },
    };
  },
};
