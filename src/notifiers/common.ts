import { z } from 'zod';
import { EVENT_TYPES } from './types.js';

/** Options every notifier has. */
export const NotifierCommon = {
  /** Only these event types reach this notifier. Default: all. */
  events: z.array(z.enum(EVENT_TYPES)).optional(),
};

/** How a notification headline reads, per event type. */
export const HEADLINES: Record<(typeof EVENT_TYPES)[number], string> = {
  'rotation-started': 'Rotation started',
  'rotation-succeeded': 'Rotation succeeded',
  'action-required': 'Action required',
  'action-overdue': 'Action overdue',
  'request-withdrawn': 'Request withdrawn: do not act on it',
  'revocation-confirmed': 'Old credential revoked',
  'needs-attention': 'Rotation needs attention',
  'rotation-rolled-back': 'Rotation rolled back',
  'rotation-aborted': 'Rotation abandoned',
  'rotation-overdue': 'Rotation overdue',
  'expiry-warning': 'Credential expires soon',
  'credential-expired': 'Credential expired',
};

/** Events a person must act on. */
export const ACTION_EVENTS = new Set([
  'action-required',
  'action-overdue',
  'request-withdrawn',
  'needs-attention',
  'rotation-overdue',
  'credential-expired',
  'expiry-warning',
]);
