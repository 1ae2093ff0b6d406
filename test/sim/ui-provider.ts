import { RotadError } from '../../src/errors.js';
import type { Provider } from '../../src/providers/types.js';
import { Secret } from '../../src/secret.js';
import { providerFaults, type Caller } from './parts.js';
import type { World } from './world.js';

/** A token a person made in the provider's UI. `id` is what the UI lists; `value` is the secret. */
export interface UiToken {
  id: string;
  value: string;
  policy: string;
  createdAt: number;
  deleted: boolean;
}

/**
 * A SaaS whose tokens only a person creates and deletes, in its UI (Gladly, Gorgias): the API can
 * only tell whether a token works. Every token ever made, and whether it is deleted.
 */
export class UiLedger {
  readonly tokens = new Map<string, UiToken>();
  #count = 0;

  create(policy: string, at: number): UiToken {
    this.#count += 1;
    const token = { id: `tok${this.#count}`, value: `ui-secret-${this.#count}-${policy}`, policy, createdAt: at, deleted: false };
    this.tokens.set(token.value, token);
    return token;
  }

  byId(id: string): UiToken | undefined {
    return [...this.tokens.values()].find((t) => t.id === id);
  }

  works(value: string, policy: string): boolean {
    const token = this.tokens.get(value);
    return token !== undefined && !token.deleted && token.policy === policy;
  }
}

/** What a deletion request names, as the person reads it: the token to delete and the one to keep. */
export const DELETE_REQUEST = /Delete token (tok\d+); keep token (tok\d+|none)/;

/** The assisted provider over the world's network: no create, no revoke; checks a token, names tokens by id. */
export function uiProvider(world: World, caller: Caller, ledger: UiLedger, faultRate: () => number): Provider {
  const request = (summary: string) => ({ summary, account: 'api@acme.test', url: 'https://provider.test/settings/api', steps: ['Open API tokens'] });
  const works = (label: string, policy: string, value: string): Promise<boolean> =>
    world.io(caller.actor, `provider.${label}(${policy})`, async () => ledger.works(value, policy), providerFaults(faultRate()));
  return {
    steps: { obtain: 'a person creates a token', verify: 'read with it', revoke: 'a person deletes it' },
    assisted: {
      createRequest: (ctx) => request(`Create a token for ${ctx.policy}`),
      accept: async (ctx, value) => {
        if (!(await works('accept', ctx.policy, value.reveal()))) throw new RotadError('SUBMISSION_REFUSED', 'the provider does not accept this token');
        return { value: new Secret(value.reveal()), id: ledger.tokens.get(value.reveal())!.id };
      },
      deleteRequest: (_ctx, old, keep) => request(`Delete token ${old.id ?? '?'}; keep token ${keep?.id ?? 'none'}`),
    },
    verify: async (ctx, credential) => {
      if (!(await works('verify', ctx.policy, credential.value.reveal()))) throw new RotadError('VERIFY_FAILED', 'the provider does not accept this token');
    },
    isRejected: async (ctx, credential) => !(await works('check', ctx.policy, credential.value.reveal())),
  };
}
