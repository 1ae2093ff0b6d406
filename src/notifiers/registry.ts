import { logNotifier } from './log/index.js';

/** Every notifier type, by the `type:` that selects it in YAML (= its folder under notifiers/). */
export const notifierRegistry = {
  log: logNotifier,
} as const;

export type NotifierType = keyof typeof notifierRegistry;
