import type { FastifyReply } from 'fastify';
import { describeError, type ErrorCode } from '../errors.js';
import { scrub } from '../secret.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  API_UNAUTHORIZED: 401,
  API_FORBIDDEN: 403,
  REQUEST_INVALID: 400,
  USAGE_INVALID: 400,
  RATE_LIMITED: 429,
  POLICY_NOT_FOUND: 404,
  HANDOVER_LINK_INVALID: 410,
  SUBMISSION_REFUSED: 422,
  POLICY_SUSPENDED: 409,
  ROTATION_IN_PROGRESS: 409,
  ROLLBACK_UNSAFE: 409,
  STORE_CONFLICT: 409,
  STORE_UNREACHABLE: 503,
  STORE_BUSY: 503,
};

/** The HTTP status of an error code: 4xx for what the caller must change, 503 for a store that is down, else 500. */
export function httpStatusOf(code: string): number {
  return STATUS[code as ErrorCode] ?? 500;
}

/** Sends `{ code, message }` (the error catalogue's code, a secret-free message) with the code's status. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { code, message } = describeError(error);
  return reply
    .code(httpStatusOf(code))
    .type('application/json')
    .send({ code, message: scrub(message) });
}
