import { RotadError } from '../errors.js';
import { matchesSelector, type Selector } from '../labels.js';
import type { PolicyRuntime } from '../rotation/context.js';

/** Which policies a command or an API call names: by name, all of them, or those whose labels match a selector. */
export interface Selection {
  names?: readonly string[] | undefined;
  all?: boolean | undefined;
  selector?: Selector | undefined;
}

/**
 * The policies of `selection`, in config order. Unknown names are an error that lists the known
 * ones; a selector that matches nothing is an error that says which labels exist, so a typo is
 * never read as "nothing to do".
 */
export function selectPolicies(policies: ReadonlyMap<string, PolicyRuntime>, selection: Selection): PolicyRuntime[] {
  const { names = [], all = false, selector } = selection;
  if (all) return [...policies.values()];
  if (selector) {
    const matched = [...policies.values()].filter((p) => matchesSelector(selector, p.settings.labels));
    if (matched.length === 0)
      throw new RotadError('POLICY_NOT_FOUND', `no policy matches the selector '${selector.text}' (labels in use: ${labelsInUse(policies)})`);
    return matched;
  }
  return names.map((name) => {
    const policy = policies.get(name);
    if (!policy) throw new RotadError('POLICY_NOT_FOUND', `no policy named '${name}' (known: ${[...policies.keys()].join(', ')})`);
    return policy;
  });
}

/** `team=support, vendor=gladly, …` (each pair once), or `none`. */
function labelsInUse(policies: ReadonlyMap<string, PolicyRuntime>): string {
  const pairs = new Set<string>();
  for (const policy of policies.values()) for (const [key, value] of Object.entries(policy.settings.labels)) pairs.add(`${key}=${value}`);
  return pairs.size === 0 ? 'none' : [...pairs].sort().slice(0, 20).join(', ');
}
