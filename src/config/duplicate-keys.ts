import { isMap, isScalar, visit, type Document, type Node } from 'yaml';

/**
 * The second (and later) occurrences of a key in any map. The yaml parser reports duplicates at
 * the start of the enclosing map; a person needs the position of the repeated key itself.
 */
export function duplicateKeys(doc: Document): Array<{ key: string; node: Node }> {
  const found: Array<{ key: string; node: Node }> = [];
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) found.push({ key: String(pair.key.value), node: pair.key });
        seen.add(pair.key.value);
      }
    },
  });
  return found;
}
