import { formatDuration } from '../duration.js';
import type { PersonRequest } from '../providers/types.js';
import type { StepContext } from './context.js';
import type { Assist } from '../policy-state.js';
import { momentForPerson, nextAskTime } from '../timing/ask-window.js';
import { LINKS_KEPT, mintLink, type MintedLink } from './handover-link.js';
import { askedPerson, escalatedRequest, rotationAlertKey } from '../history-trail.js';

/**
 * A hand-over link for a message asking for a new token, when the daemon serves the hand-over page
 * (daemon.api.publicUrl). It lasts until the request's deadline; one sent after the deadline (an
 * overdue reminder) lasts until the next reminder.
 */
function linkFor(ctx: StepContext, action: Assist['action'], now: number, deadline: number): MintedLink | undefined {
  const { runtime } = ctx;
  if (action !== 'create' || runtime.handoverUrl === undefined) return undefined;
  return mintLink(runtime.handoverUrl, runtime.name, now < deadline ? deadline : now + runtime.settings.assist.remindMs);
}

/** The request as a person reads it: what, who, where, the steps, the warning, how to hand over. */
function describeRequest(ctx: StepContext, request: PersonRequest, action: Assist['action'], deadline: number, linked = false): string {
  const { name, configPath } = ctx.runtime;
  const lines = [request.summary, `Sign in as: ${request.account}`, `Where: ${request.url}`, ...request.steps.map((step, i) => `${i + 1}. ${step}`)];
  if (request.warning) lines.push(`Warning: ${request.warning}`);
  const submit = `rotad submit ${name}${configPath ? ` -c ${configPath}` : ''}`;
  const handOver = linked ? `Then hand it over on the one-time page linked with this message, or with ${submit}` : `Then hand it over: ${submit}`;
  lines.push(
    action === 'create'
      ? `${handOver}  (paste the token; it is never echoed). A wrong token is refused with the reason and the request stays open.`
      : 'rotad confirms the deletion itself by checking that the old token is rejected; nothing to hand over.',
  );
  lines.push(`Please act by ${momentForPerson(deadline, ctx.runtime.settings.assist.timezone)}.`);
  return lines.join('\n');
}

/**
 * Opens, reminds and escalates one request to a person, and tells the engine when to look again.
 * The request is recorded in the policy state before anyone is notified, so a restart neither
 * repeats nor forgets it. The deadline is the configured span, or the current credential's expiry
 * when that comes first.
 */
export async function askPerson(
  ctx: StepContext,
  action: Assist['action'],
  request: PersonRequest,
  expiresAt: number | undefined,
  refusal?: string,
): Promise<{ waitUntil: number }> {
  const pacing = pacingOf(ctx);
  const open = ctx.state.assist?.action === action ? ctx.state.assist : undefined;
  if (open !== undefined && open.asked) return followUp(ctx, { action, request, refusal }, open, pacing);
  const askAt = pacing.askable(pacing.now);
  if (askAt > pacing.now) {
    // Outside the hours a person may be asked: the request is recorded now and made at askAt.
    if (open === undefined) await recordForLater(ctx, action, askAt, refusal, pacing);
    return { waitUntil: askAt };
  }
  return ask(ctx, { action, request, refusal }, expiresAt, pacing);
}

interface Pacing {
  timing: StepContext['runtime']['settings']['assist'];
  now: number;
  /** The first moment from `at` on when a person may be asked (`askWithin`); an escalation does not wait. */
  askable: (at: number) => number;
  /** When to look again at a request: its next reminder, its deadline, or the next check for a hand-over. */
  nextLook: (assist: Omit<Assist, 'nextLookAt'>) => number;
}

function pacingOf(ctx: StepContext): Pacing {
  const timing = ctx.runtime.settings.assist;
  const now = ctx.runtime.clock.now();
  // An incident asks at once, whatever the ask hours.
  const askable = (at: number): number => (timing.window && !ctx.state.incident ? nextAskTime(timing.window, at) : at);
  const nextLook = (a: Omit<Assist, 'nextLookAt'>): number =>
    Math.min(askable(reminderAt(a, timing.remindMs)), a.escalated ? Infinity : a.deadline, now + timing.checkMs);
  return { timing, now, askable, nextLook };
}

/** When the next reminder of an open request is due: when a person asked for it ("Remind me in 4 h"), else on the usual pace. */
const reminderAt = (assist: Pick<Assist, 'remindedAt' | 'remindAt'>, remindMs: number): number => assist.remindAt ?? assist.remindedAt + remindMs;

type Asking = { action: Assist['action']; request: PersonRequest; refusal: string | undefined };

/** A request recorded now, to be made when the ask window opens. */
async function recordForLater(ctx: StepContext, action: Assist['action'], askAt: number, refusal: string | undefined, { timing }: Pacing): Promise<void> {
  const waiting = {
    action,
    requestedAt: askAt,
    deadline: askAt + timing.deadlineMs,
    remindedAt: askAt,
    reminders: 0,
    escalated: false,
    asked: false,
    refusal,
    links: [],
  };
  await ctx.save({ assist: { ...waiting, nextLookAt: askAt } });
  ctx.logger.info({ action, askAt: new Date(askAt).toISOString(), askWithin: timing.window?.text }, 'Request to a person waits for the ask window');
}

/** Opens the request: recorded (with its link's hash) before the message goes out, so a link in a message always works. */
async function ask(ctx: StepContext, { action, request, refusal }: Asking, expiresAt: number | undefined, pacing: Pacing): Promise<{ waitUntil: number }> {
  const { runtime } = ctx;
  const { now, timing } = pacing;
  const deadline = Math.min(now + timing.deadlineMs, expiresAt ?? Infinity);
  const minted = linkFor(ctx, action, now, deadline);
  const base = {
    action,
    requestedAt: now,
    deadline,
    remindedAt: now,
    reminders: 0,
    escalated: false,
    asked: true,
    refusal,
    links: minted ? [minted.link] : [],
  };
  const assist: Assist = { ...base, nextLookAt: pacing.nextLook(base) };
  await ctx.save({ assist, trail: askedPerson(ctx.state.trail, { action, account: request.account, at: now }) });
  ctx.logger.warn({ action, deadline: new Date(deadline).toISOString() }, 'Waiting for a person');
  await runtime.notify({
    type: 'action-required',
    rotationId: ctx.rotationId,
    phase: action === 'create' ? 'obtain' : 'revoke',
    deadline,
    handoverUrl: minted?.url,
    message: describeRequest(ctx, request, action, deadline, minted !== undefined),
  });
  return { waitUntil: assist.nextLookAt };
}

/** An open request: escalated once its deadline passes, reminded on its pace (each reminder with a new link). */
async function followUp(ctx: StepContext, { action, request, refusal }: Asking, open: Assist, pacing: Pacing): Promise<{ waitUntil: number }> {
  const { runtime } = ctx;
  const { now, timing } = pacing;
  const events: Array<Parameters<typeof runtime.notify>[0]> = [];
  let next: Omit<Assist, 'nextLookAt'> = refusal === undefined ? open : { ...open, refusal };
  let trail = ctx.state.trail;
  if (!open.escalated && now >= open.deadline) {
    next = { ...next, escalated: true };
    trail = escalatedRequest(trail);
    events.push({
      type: 'action-overdue',
      rotationId: ctx.rotationId,
      phase: action === 'create' ? 'obtain' : 'revoke',
      alertKey: rotationAlertKey(ctx.rotationId),
      deadline: open.deadline,
      message: `a person was asked ${formatDuration(now - open.requestedAt)} ago and has not acted yet:\n${describeRequest(ctx, request, action, open.deadline)}`,
    });
  }
  // An incident that arrived after the last reminder is told at once.
  const incidentNews = ctx.state.incident !== undefined && ctx.state.incident.at > open.remindedAt;
  if (incidentNews || now >= pacing.askable(reminderAt(open, timing.remindMs))) {
    const minted = linkFor(ctx, action, now, open.deadline);
    next = {
      ...next,
      remindedAt: now,
      remindAt: undefined,
      reminders: open.reminders + 1,
      links: minted ? [...open.links, minted.link].slice(-LINKS_KEPT) : open.links,
    };
    events.push({
      type: 'action-required',
      rotationId: ctx.rotationId,
      phase: action === 'create' ? 'obtain' : 'revoke',
      deadline: open.deadline,
      handoverUrl: minted?.url,
      message: `Reminder ${open.reminders + 1}: ${describeRequest(ctx, request, action, open.deadline, minted !== undefined)}`,
    });
  }
  const assist: Assist = { ...next, nextLookAt: pacing.nextLook(next) };
  await ctx.save({ assist, trail });
  for (const event of events) await runtime.notify(event);
  return { waitUntil: assist.nextLookAt };
}
