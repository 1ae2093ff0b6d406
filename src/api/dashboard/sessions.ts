import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiScope } from '../../config/api-options.js';

/** A signed-in person: the API token they signed in with (its name and scopes), and the form secret of the session. */
export interface Session {
  tokenName: string;
  scopes: readonly ApiScope[];
  /** Sent with every form of the session and checked on every POST (with SameSite=Strict and the Origin check). */
  formSecret: string;
  expiresAt: number;
}

/** Sessions kept at most; the oldest goes first (a sign-in flood cannot grow the daemon's memory). */
const MAX_SESSIONS = 1_000;

/**
 * The dashboard's sign-ins, in the daemon's memory only: the cookie holds a random id, never the
 * API token, and a restart signs everyone out. Each lasts `ttlMs` from sign-in.
 */
export class Sessions {
  readonly #byId = new Map<string, Session>();

  constructor(private readonly ttlMs: number) {}

  open(tokenName: string, scopes: readonly ApiScope[], now: number): { id: string; session: Session } {
    this.#sweep(now);
    while (this.#byId.size >= MAX_SESSIONS) this.#byId.delete(this.#byId.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const session = { tokenName, scopes, formSecret: randomBytes(24).toString('base64url'), expiresAt: now + this.ttlMs };
    this.#byId.set(id, session);
    return { id, session };
  }

  get(id: string | undefined, now: number): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#byId.get(id);
    if (session === undefined || session.expiresAt <= now) {
      this.#byId.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.#byId.delete(id);
  }

  #sweep(now: number): void {
    for (const [id, session] of this.#byId) if (session.expiresAt <= now) this.#byId.delete(id);
  }
}

/** Whether a form's secret is the session's, compared in constant time. */
export function formSecretMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.formSecret);
  return a.length === b.length && timingSafeEqual(a, b);
}
