import { execConsumer } from './exec/index.js';
import { httpConsumer } from './http/index.js';

/** Every consumer type, by the `type:` that selects it in YAML (= its folder under consumers/). */
export const consumerRegistry = {
  exec: execConsumer,
  http: httpConsumer,
} as const;

export type ConsumerType = keyof typeof consumerRegistry;
