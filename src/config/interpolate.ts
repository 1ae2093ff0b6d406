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

interface UnsetVariable {
  name: string;
  node: Node;
}

interface Interpolation {
  /** References that are unset and have no default. */
  unset: UnsetVariable[];
  /** Every value taken from the environment, by variable name: never to be repeated in a message. */
  substituted: Array<{ name: string; value: string }>;
}

/**
 * Replaces `${env:NAME}` and `${env:NAME:-default}` inside string scalars with the environment's
 * values, in place. Keys are left as written (a key from the environment makes no sense, and an
 * unknown-key message would repeat it). A plain scalar that is nothing but one reference takes the
 * YAML type of its value; a quoted one stays a string.
 */
export function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): Interpolation {
  const result: Interpolation = { unset: [], substituted: [] };
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || !isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${env:')) return;
      const whole = WHOLE_REFERENCE.test(node.value);
      const replaced = node.value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') {
          result.substituted.push({ name, value });
          return value;
        }
        if (fallback !== undefined) return fallback;
        result.unset.push({ name, node });
        return '';
      });
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      node.value = whole && !quoted ? typed(replaced) : replaced;
    },
  });
  return result;
}

/** `message` with every value that came from the environment replaced by its reference. */
export function hideEnvValues(message: string, substituted: Interpolation['substituted']): string {
  return [...substituted]
    .sort((a, b) => b.value.length - a.value.length)
    .reduce((text, { name, value }) => (value.length >= 3 ? text.split(value).join(`\${env:${name}}`) : text), message);
}
