import type { AdapterDefinition, AdapterDeps } from '../../adapters/definition.js';
import type { Notifier } from '../types.js';
import { LogNotifierOptions } from './schema.js';

/** Events that ask something of a person: logged at warn. */
const WARN_EVENTS = new Set([
  'action-required',
  'action-overdue',
  'request-withdrawn',
  'needs-attention',
  'rotation-aborted',
  'rotation-overdue',
  'expiry-warning',
  'credential-expired',
]);

function createLogNotifier(_options: LogNotifierOptions, deps: AdapterDeps): Notifier {
  const logger = deps.logger.child({ notifier: 'log' });
  return {
    notify: async (event) => {
      // A hand-over link opens the page that takes a token: it goes to people, never into logs.
      const { type, message, handoverUrl, ...facts } = event;
      const fields = {
        event: type,
        detail: message,
        ...facts,
        ...(handoverUrl === undefined ? {} : { handoverLink: 'sent to the other notifiers, not logged' }),
      };
      if (WARN_EVENTS.has(type)) logger.warn(fields, 'Rotation event');
      else logger.info(fields, 'Rotation event');
    },
  };
}

export const logNotifier = {
  type: 'log',
  schema: LogNotifierOptions,
  create: createLogNotifier,
} satisfies AdapterDefinition<typeof LogNotifierOptions, Notifier>;
