import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiScope } from '../config/api-options.js';
import type { ResolvedApi } from '../config/normalize.js';
import { RotadError } from '../errors.js';
import { registerSecretValue } from '../secret.js';

/** A caller of the control API: the token's name (the audit trail's actor) and what it may do. */
export interface ApiCaller {
  name: string;
  scopes: readonly ApiScope[];
}

interface KnownToken extends ApiCaller {
  digest: Buffer;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Reads each token from its file or environment variable; a missing or empty one stops the start with its name. */
export function loadApiTokens(api: ResolvedApi, env: NodeJS.ProcessEnv = process.env): KnownToken[] {
  return api.tokens.map((token) => {
    let value: string | undefined;
    if (token.file !== undefined) {
      try {
        value = readFileSync(token.file, 'utf8').trim();
      } catch (error) {
        throw new RotadError(
          'CONFIG_INVALID',
          `daemon.api.tokens ${token.name}: cannot read ${token.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    } else {
      value = env[token.env!]?.trim();
    }
    const where = token.file ?? `environment variable ${token.env}`;
    if (!value) throw new RotadError('CONFIG_INVALID', `daemon.api.tokens ${token.name}: ${where} is empty or unset`);
    if (value.length < 16)
      throw new RotadError(
        'CONFIG_INVALID',
        `daemon.api.tokens ${token.name}: the token in ${where} is shorter than 16 characters; use a random one (openssl rand -hex 32)`,
      );
    registerSecretValue(value);
    return { name: token.name, scopes: token.scopes, digest: digest(value) };
  });
}

/**
 * The caller a bearer token belongs to, or undefined. Every known token is compared, each in
 * constant time on digests of equal length, so the answer's timing tells nothing about a token.
 */
export function authenticate(tokens: readonly KnownToken[], authorization: string | undefined): ApiCaller | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(authorization ?? '');
  if (!match) return undefined;
  const given = digest(match[1]!);
  let found: KnownToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(token.digest, given)) found = token;
  }
  return found && { name: found.name, scopes: found.scopes };
}
