// Prints the largest functions of src (lines from the first to the last line of each function,
// methods, arrow functions and closures included; a function's lines include the functions inside it).
// Usage: node scripts/function-sizes.mjs [count]
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const count = Number(process.argv[2] ?? 10);
const files = readdirSync(join(root, 'src'), { recursive: true })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(root, 'src', file));

const sizes = [];
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const nameOf = (node) => {
    if (node.name) return node.name.getText(source);
    if (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent)) return node.parent.name.getText(source);
    return '(anonymous)';
  };
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      sizes.push({ lines: last - first + 1, where: `${relative(root, file)}:${first + 1}`, name: nameOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
sizes.sort((a, b) => b.lines - a.lines);
const median = sizes[Math.floor(sizes.length / 2)]?.lines;
console.log(`${sizes.length} functions in ${files.length} files; median ${median} lines`);
for (const { lines, where, name } of sizes.slice(0, count)) console.log(`${String(lines).padStart(4)}  ${name}  ${where}`);
