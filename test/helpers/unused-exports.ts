import { dirname, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './paths.js';

/**
 * The exports of `src` that no module of the project imports (src, tests, bench and sandbox
 * included), found with the compiler's own symbols: an import, a re-export, `import * as`, a
 * dynamic `import()` or an `import('…')` type marks what it names as used. What is exported only
 * to be used in its own file is reported too: it should not be exported.
 */
export function unusedExports(root = ROOT): string[] {
  const configPath = `${root}tsconfig.json`;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  const used = new Set<ts.Symbol>();
  const original = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const markModule = (specifier: ts.Node): void => {
    const module = checker.getSymbolAtLocation(specifier);
    if (module) for (const symbol of checker.getExportsOfModule(module)) used.add(original(symbol));
  };
  const markName = (name: ts.Node): void => {
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol) used.add(original(symbol));
  };
  const projectFiles = program.getSourceFiles().filter((file) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/'));
  for (const file of projectFiles) {
    const visit = (node: ts.Node): void => {
      if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node)) markName(node.name);
      else if (ts.isImportClause(node) && node.name) markName(node.name);
      else if (ts.isNamespaceImport(node)) markModule(node.parent.parent.moduleSpecifier);
      else if (ts.isNamespaceExport(node) && node.parent.moduleSpecifier) markModule(node.parent.moduleSpecifier);
      else if (ts.isExportDeclaration(node) && !node.exportClause && node.moduleSpecifier) markModule(node.moduleSpecifier);
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) markModule(node.arguments[0]);
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) markModule(node.argument.literal);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const unused: string[] = [];
  const src = `${root}src/`;
  for (const file of projectFiles.filter((f) => f.fileName.startsWith(src))) {
    const module = checker.getSymbolAtLocation(file);
    if (!module) continue;
    for (const symbol of checker.getExportsOfModule(module)) {
      if (!used.has(original(symbol))) unused.push(`${relative(dirname(configPath), file.fileName)}: ${symbol.name}`);
    }
  }
  return unused.sort();
}
