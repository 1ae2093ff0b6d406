import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type ConfigPath = readonly PropertyKey[];

/** `policies[0].provider.type` for messages. */
export function formatPath(path: ConfigPath): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

/**
 * The YAML node a config path points at: the value at `path`, or with `keyOf` the key node named
 * `keyOf` inside the map at `path` (where an unknown key is reported). Falls back to the deepest
 * node that exists, so every problem still gets a position.
 */
export function locateNode(doc: Document, path: ConfigPath, keyOf?: string): Node | undefined {
  let node: unknown = doc.contents;
  for (const key of keyOf === undefined ? path : [...path, keyOf]) {
    const isLast = keyOf !== undefined && key === keyOf && node !== undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (!pair) break;
      node = isLast || pair.value === null ? pair.key : pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
    } else {
      break;
    }
  }
  return node as Node | undefined;
}

/** `line:col` (1-based) of a node, or of the document start when it has no range. */
export function position(node: Node | undefined, lines: LineCounter): string {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return `${line}:${col}`;
}
