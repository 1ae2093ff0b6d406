import { isScalar, parse, visit, type Document, type Node } from 'yaml';

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** A value that was nothing but one reference takes the YAML type of its text: `9750` is a number, `true` a boolean. */
function typed(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return typeof value === 'number' || typeof value === 'boolean' ? value : text;
  } catch {
    return text;
  }
}

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
      const whole = WHOLE_REFERENCE.test(node.value);
      const replaced = node.value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        unset.push({ name, node });
        return '';
      });
      node.value = whole ? typed(replaced) : replaced;
    },
  });
  return unset;
}
