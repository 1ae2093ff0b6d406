import type { AdapterDeps } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { z } from 'zod';
import { callFor, failure, isRefused, send, type ApiRequest, type ApiTarget } from '../../http/api-call.js';
import type { Secret } from '../../secret.js';
import type { StoredCredential } from '../../stores/types.js';
import { endpoint } from '../../http/dns-label.js';
import { checkTokenShape, isoDay, refuse, refusedUnless } from '../submission.js';
import type { Provider, ProviderDefinition } from '../types.js';
import { CutoverProviderOptions } from './schema.js';

const TOKEN_FORMAT = { regex: /^[0-9a-f]{48}$/i, text: '48 hexadecimal characters (a Cutover user app token)' };

/** One entry of `GET /core/users/{id}/user_app_tokens` (JSON:API). */
interface AppToken {
  id: string;
  label: string;
  createdAt: number;
  expiresAt: number | undefined;
}

/** `GET …/user_app_tokens`: a JSON:API list; ids may be numbers; a token without a readable creation date makes the list unusable. */
const TokenList = z.object({
  data: z.array(
    z.object({
      id: z.union([z.string(), z.number()]),
      attributes: z.object({
        label: z.string().nullish(),
        created_at: z.string().refine((text) => !Number.isNaN(Date.parse(text))),
        expires_at: z.string().nullish(),
      }),
    }),
  ),
});

function appTokens(list: z.infer<typeof TokenList>): AppToken[] {
  return list.data.map(({ id, attributes: a }) => {
    const expires = typeof a.expires_at === 'string' ? Date.parse(a.expires_at) : NaN;
    return { id: String(id), label: a.label ?? '', createdAt: Date.parse(a.created_at), expiresAt: Number.isNaN(expires) ? undefined : expires };
  });
}

/** The label the person is asked to give the new token, so rotad can find its id. */
function tokenLabel(policy: string, rotationId: string): string {
  return `rotad ${policy} ${rotationId}`.slice(0, 100);
}

function createCutoverProvider(options: CutoverProviderOptions, deps: AdapterDeps): Provider {
  const target: ApiTarget = { name: 'Cutover', role: 'provider', timeoutMs: durationMs(options.timeout), clock: deps.clock };
  const ui = options.uiUrl ?? options.coreUrl ?? options.baseUrl;
  const tokensPath = `/core/users/${encodeURIComponent(options.userId)}/user_app_tokens`;
  const request = (method: string, path: string, token: Secret): ApiRequest => ({
    method,
    url: endpoint(options.baseUrl, path),
    headers: {
      authorization: `Bearer ${token.reveal()}`,
      ...(options.coreUrl ? { 'core-url': options.coreUrl } : {}),
      ...(options.apiVersion ? { 'api-version': options.apiVersion } : {}),
    },
  });

  const listTokens = async (token: Secret, signal: AbortSignal): Promise<AppToken[]> => {
    const req = request('GET', tokensPath, token);
    const { body } = await callFor(target, req, TokenList, 'a JSON:API list of user app tokens (data[].id, attributes.created_at)', signal);
    return appTokens(body);
  };

  /** The token's own entry: by its recorded id, else by the label rotad asked for, else the newest one not in use. */
  const identify = (tokens: AppToken[], label: string, current: StoredCredential | undefined): AppToken | undefined =>
    tokens.find((t) => t.label === label) ??
    tokens.filter((t) => t.id !== current?.id && (current === undefined || t.createdAt >= current.createdAt)).sort((a, b) => b.createdAt - a.createdAt)[0];

  return {
    steps: {
      obtain: `ask a person to create a user app token for ${options.userName} (Access Management → Users → User App Tokens), then take it from rotad submit`,
      verify: `GET ${tokensPath} with the new token; its id and expires_at come from that list`,
      revoke: `DELETE ${tokensPath}/{old id} with the new token, then confirm the old token gets 401`,
    },
    assisted: {
      createRequest: (ctx) => ({
        summary: `Create a new Cutover user app token for ${options.userName} for policy ${ctx.policy}.`,
        account: 'a Cutover admin who manages users',
        url: ui,
        steps: [
          `Sign in to ${ui}.`,
          `Open Access Management → Users → ${options.userName} → User App Tokens → Create.`,
          `Label it exactly: ${tokenLabel(ctx.policy, ctx.rotationId)}`,
          'Copy the token (48 hexadecimal characters; Cutover shows it only once). Do not delete the old token: rotad deletes it once every consumer has the new one.',
        ],
      }),
      accept: async (ctx, value, current) => {
        checkTokenShape(value, current, TOKEN_FORMAT);
        const tokens = await refusedUnless(
          () => listTokens(value, ctx.signal),
          `check that the token was created for ${options.userName} (user ${options.userId}) on ${ui}`,
        );
        const mine = identify(tokens, tokenLabel(ctx.policy, ctx.rotationId), current);
        if (!mine) throw refuse(`the token works, but no new token of ${options.userName} is listed; was it created for user ${options.userId}?`);
        if (mine.expiresAt !== undefined && mine.expiresAt <= ctx.clock.now()) throw refuse(`the token expired at ${isoDay(mine.expiresAt)}`);
        ctx.logger.info({ credentialId: mine.id, expiresAt: mine.expiresAt }, 'Handed-over Cutover token verified');
        return { value, id: mine.id, expiresAt: mine.expiresAt };
      },
      deleteRequest: (_ctx, old, current) => ({
        summary: `Delete the Cutover user app token of ${options.userName} that rotad no longer uses; rotad could not tell its id.`,
        account: 'a Cutover admin who manages users',
        url: ui,
        steps: [
          `Open Access Management → Users → ${options.userName} → User App Tokens.`,
          `Delete the token created around ${isoDay(old.createdAt)}. Keep ${current?.id ? `token ${current.id}` : current ? `the token created around ${isoDay(current.createdAt)}` : 'the token in use'}: it is in use now.`,
        ],
      }),
    },
    verify: async (ctx, credential) => {
      const tokens = await listTokens(credential.value, ctx.signal);
      if (credential.id !== undefined && !tokens.some((t) => t.id === credential.id)) {
        throw new RotadError('VERIFY_FAILED', `token ${credential.id} is not among the user app tokens of user ${options.userId}`);
      }
    },
    revoke: async (ctx, old, current) => {
      if (old.id === undefined || current === undefined) return 'ask-person';
      const req = request('DELETE', `${tokensPath}/${encodeURIComponent(old.id)}`, current.value);
      const response = await send(target, req, ctx.signal);
      if (response.status === 404) return undefined; // already gone
      if (response.status < 200 || response.status > 299) throw failure(target, req, response);
      ctx.logger.info({ credentialId: old.id }, 'Old Cutover token deleted');
      return undefined;
    },
    isRejected: (ctx, credential) => isRefused(target, request('GET', tokensPath, credential.value), [401], ctx.signal),
  };
}

export const cutoverProvider = {
  type: 'cutover',
  /** A person creates its tokens (the engine asks for them early enough before an expiry). */
  assisted: true,
  schema: CutoverProviderOptions,
  create: createCutoverProvider,
} satisfies ProviderDefinition<typeof CutoverProviderOptions>;
