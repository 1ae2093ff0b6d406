import { randomProvider } from './random/index.js';

/** Every provider type, by the `type:` that selects it in YAML (= its folder under providers/). */
export const providerRegistry = {
  random: randomProvider,
} as const;

export type ProviderType = keyof typeof providerRegistry;
