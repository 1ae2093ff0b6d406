import { isScalar, visit, type Document, type Node } from 'yaml';

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface UnsetVariable {
  name: string;
  node: Node;
}

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` inside string scalars with the environment's
 * values, in place. Returns the references that are unset and have no default.
 */
export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): UnsetVariable[] {
  const unset: UnsetVariable[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${env:')) return;
      node.value = node.value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        unset.push({ name, node });
        return '';
      });
    },
  });
  return unset;
}
