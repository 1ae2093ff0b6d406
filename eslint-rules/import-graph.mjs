// The import graph of src, shared by the lint rule `rotad/no-import-cycle` and its unit test.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Every module of `<root>/src` and the modules it imports (`import`, `import type`,
 * `export … from`), as paths relative to `root`.
 * @param {string} root
 * @returns {Map<string, string[]>}
 */
export function importGraph(root) {
  const files = readdirSync(join(root, 'src'), { recursive: true })
    .filter((f) => String(f).endsWith('.ts'))
    .map((f) => join(root, 'src', String(f)));
  const graph = new Map();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)\.js'/gms)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
    graph.set(
      relative(root, file),
      targets.map((t) => relative(root, t)),
    );
  }
  return graph;
}

/**
 * The cycles of a graph (each once, closed: the first node repeated at the end), by depth-first search.
 * @param {Map<string, string[]>} graph
 * @returns {string[][]}
 */
export function cycles(graph) {
  const found = new Map();
  const state = new Map();
  const path = [];
  const visit = (node) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = path.slice(path.indexOf(next));
        found.set([...cycle].sort().join(' '), [...cycle, next]);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...found.values()];
}
