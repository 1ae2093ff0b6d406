import type { StoredCredential } from '../../stores/types.js';
import { checkTokenShape, isoDay, refuse, refusedUnless } from '../submission.js';
import type { AssistedSteps } from '../types.js';
import type { AppToken, CutoverApi } from './api.js';
import type { CutoverProviderOptions } from './schema.js';

const TOKEN_FORMAT = { regex: /^[0-9a-f]{48}$/i, text: '48 hexadecimal characters (a Cutover user app token)' };

/** The label the person is asked to give the new token, so rotad can find its id. */
function tokenLabel(policy: string, rotationId: string): string {
  return `rotad ${policy} ${rotationId}`.slice(0, 100);
}

/** The token's own entry: by the label rotad asked for, else the newest one not in use. */
function identify(tokens: AppToken[], label: string, current: StoredCredential | undefined): AppToken | undefined {
  return (
    tokens.find((t) => t.label === label) ??
    tokens.filter((t) => t.id !== current?.id && (current === undefined || t.createdAt >= current.createdAt)).sort((a, b) => b.createdAt - a.createdAt)[0]
  );
}

/** What a Cutover admin is asked to do, and how the token they hand over is checked and identified. */
export function cutoverPersonSteps(options: CutoverProviderOptions, api: CutoverApi): AssistedSteps {
  const ui = options.uiUrl ?? options.coreUrl ?? options.baseUrl;
  return {
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
      const tokens = await refusedUnless(() => api.listTokens(value, ctx.signal), {
        provider: 'Cutover',
        question: `was it created for ${options.userName} (user ${options.userId}) on ${ui}?`,
      });
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
  };
}
