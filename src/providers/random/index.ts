import { randomInt } from 'node:crypto';
import { RotadError } from '../../errors.js';
import { Secret } from '../../secret.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { ALPHABETS, RandomProviderOptions } from './schema.js';

/** Draws `length` characters uniformly from `alphabet` with the CSPRNG (no modulo bias). */
function randomString(length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function createRandomProvider(options: RandomProviderOptions): Provider {
  const alphabet = ALPHABETS[options.alphabet];
  return {
    steps: {
      obtain: `generate ${options.length} random ${options.alphabet} characters${options.encoding === 'base64' ? ', base64-encoded' : ''}`,
      verify: 'check the staged value has the configured length and alphabet',
      revoke: 'nothing to revoke: the old value is simply no longer handed out',
    },
    obtain: async () => {
      const drawn = randomString(options.length, alphabet);
      const value = options.encoding === 'base64' ? Buffer.from(drawn).toString('base64') : drawn;
      return { value: new Secret(value) };
    },
    // A generated secret has no remote side to ask; check that the stored value is the promised shape.
    verify: async (_ctx, credential) => {
      const value = credential.value.reveal();
      const drawn = options.encoding === 'base64' ? Buffer.from(value, 'base64').toString() : value;
      if (drawn.length !== options.length || [...drawn].some((c) => !alphabet.includes(c))) {
        throw new RotadError('VERIFY_FAILED', `stored value does not match the random policy (length ${options.length}, ${options.alphabet})`);
      }
    },
  };
}

export const randomProvider = {
  type: 'random',
  /** Its credentials come from an API or a generator, never from a person. */
  assisted: false,
  schema: RandomProviderOptions,
  create: createRandomProvider,
} satisfies ProviderDefinition<typeof RandomProviderOptions>;
