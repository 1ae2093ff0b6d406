import { execConsumer } from './exec/index.js';
import { gladlyWebhookConsumer } from './gladly-webhook/index.js';
import { httpConsumer } from './http/index.js';
import { kubernetesRolloutConsumer } from './kubernetes-rollout/index.js';
import { kubernetesSecretConsumer } from './kubernetes-secret/index.js';
import { stackOneAccountConsumer } from './stackone-account/index.js';
import { storeConsumer } from './store/index.js';

/** Every consumer type, by the `type:` that selects it in YAML (= its folder under consumers/). */
export const consumerRegistry = {
  exec: execConsumer,
  http: httpConsumer,
  'gladly-webhook': gladlyWebhookConsumer,
  'stackone-account': stackOneAccountConsumer,
  store: storeConsumer,
  'kubernetes-secret': kubernetesSecretConsumer,
  'kubernetes-rollout': kubernetesRolloutConsumer,
} as const;
