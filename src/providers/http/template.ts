import { Secret } from '../../secret.js';

/** What a template may name. Secrets stay wrapped until the request is built. */
export interface TemplateValues {
  policy: string;
  rotationId: string;
  /** The credential in use (auth for create and revoke). */
  current?: Secret | undefined;
  /** The credential being verified or revoked. */
  credential?: Secret | undefined;
  credentialId?: string | undefined;
  vars: Record<string, string>;
}

const TEMPLATE_VARIABLE = /\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}/g;
const SECRET_VARIABLES = new Set(['current', 'credential']);
const PLAIN_VARIABLES = new Set(['policy', 'rotationId', 'credential.id']);

/** A problem with the variables one template names, or undefined; secrets may not go into URLs. */
export function templateProblem(text: string, vars: Record<string, string>, inUrl: boolean): string | undefined {
  for (const [, name] of text.matchAll(TEMPLATE_VARIABLE)) {
    if (name === undefined) continue;
    if (SECRET_VARIABLES.has(name)) {
      if (inUrl) return `{{${name}}} is a secret and may not appear in a URL (URLs reach logs); put it in a header or the body`;
      continue;
    }
    if (PLAIN_VARIABLES.has(name)) continue;
    if (name.startsWith('vars.') && name.slice(5) in vars) continue;
    return `unknown template variable {{${name}}} (known: current, credential, credential.id, policy, rotationId, vars.<name> from vars:)`;
  }
  return undefined;
}

/** Fills one template; a secret variable with no value is an error the caller reports. */
export function fill(text: string, values: TemplateValues): string {
  return text.replace(TEMPLATE_VARIABLE, (_match, name: string) => {
    const value = lookup(name, values);
    if (value === undefined) throw new Error(`no value for {{${name}}}`);
    return value instanceof Secret ? value.reveal() : value;
  });
}

function lookup(name: string, values: TemplateValues): string | Secret | undefined {
  switch (name) {
    case 'policy':
      return values.policy;
    case 'rotationId':
      return values.rotationId;
    case 'current':
      return values.current;
    case 'credential':
      return values.credential;
    case 'credential.id':
      return values.credentialId;
    default:
      return name.startsWith('vars.') ? values.vars[name.slice(5)] : undefined;
  }
}

/** Fills every string inside a JSON body (keys are left alone). */
export function fillBody(body: unknown, values: TemplateValues): unknown {
  if (typeof body === 'string') return fill(body, values);
  if (Array.isArray(body)) return body.map((item) => fillBody(item, values));
  if (typeof body === 'object' && body !== null) return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, fillBody(v, values)]));
  return body;
}

/** Every string leaf of a body, for validation. */
export function stringsOf(body: unknown): string[] {
  if (typeof body === 'string') return [body];
  if (Array.isArray(body)) return body.flatMap(stringsOf);
  if (typeof body === 'object' && body !== null) return Object.values(body).flatMap(stringsOf);
  return [];
}

/** The value at a dot path (`data.token`, `items.0.id`) of a parsed JSON answer. */
export function atPath(body: unknown, path: string): unknown {
  let node = body;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
