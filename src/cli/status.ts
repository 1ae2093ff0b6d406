import { systemClock } from '../clock.js';
import { describeError } from '../errors.js';
import { silentLogger } from '../observability/logger.js';
import { formatDuration } from '../duration.js';
import { nextDue } from '../scheduler/next-run.js';
import { loadForCommand } from './config-arg.js';
import { openRuntime } from './open-runtime.js';
import { iso, out } from './output.js';
import { waitsFor } from './waits-for.js';

export interface PolicyStatus {
  policy: string;
  phase: string;
  rotationId?: string | undefined;
  credentialAgeMs?: number | undefined;
  lastRotatedAt?: string | undefined;
  nextRotationAt?: string | undefined;
  nextReason?: string | undefined;
  /** When no run is due by itself: what the policy waits for (a command, a person). */
  waitsFor?: string | undefined;
  /** `suspend: true`: nothing starts or goes on. */
  suspended?: boolean | undefined;
  needsAttention: boolean;
  attention?: { code: string; message: string; phase: string } | undefined;
  error?: string | undefined;
  /** The daemon working on the rotation right now, and until when its lease runs (a killed one's runs out by itself). */
  heldBy?: { owner: string; until: string } | undefined;
  /** Set while the rotation waits for a person: who, for what, since when, until when. */
  waitingFor?: { action: 'create' | 'delete'; account: string; summary: string; since: string; deadline: string; reminders: number; lastRefusal?: string | undefined; asked: boolean } | undefined;
}

/** The NEXT ROTATION cell: a time and why, who is asked, or what it waits for. */
function nextColumn(r: PolicyStatus): string {
  if (r.error !== undefined) return 'unknown (store not readable)';
  if (r.suspended) return 'suspended';
  if (r.waitingFor) return `waits for ${r.waitingFor.account}`;
  if (r.nextRotationAt) return `${r.nextRotationAt} (${r.nextReason})`;
  return r.needsAttention ? 'on rotad rotate (stopped)' : 'on rotad rotate';
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

/** `rotad status`: each policy's phase, credential age, last and next rotation, and attention. */
export async function statusCommand(path: string, json: boolean): Promise<number> {
  const config = await loadForCommand(path, json);
  if (!config) return 2;
  const runtime = openRuntime(config);
  const now = Date.now();
  const rows: PolicyStatus[] = [];
  try {
    for (const policy of config.policies) {
      try {
        const { store, ref } = runtime.policies.get(policy.name)!;
        const snapshot = await store.read(ref);
        const { state } = snapshot;
        const due = policy.suspended ? undefined : nextDue(policy.timing, state, now, snapshot.current);
        const { provider } = runtime.policies.get(policy.name)!;
        let waitingFor: PolicyStatus['waitingFor'];
        if (state.assist && provider.assisted) {
          const ctx = { policy: policy.name, rotationId: state.rotationId ?? '', logger: silentLogger(), clock: systemClock, signal: new AbortController().signal };
          const request = state.assist.action === 'create'
            ? provider.assisted.createRequest(ctx, snapshot.current)
            : provider.assisted.deleteRequest(ctx, snapshot.previous ?? snapshot.current!, snapshot.current);
          waitingFor = { action: state.assist.action, account: request.account, summary: request.summary, since: iso(state.assist.requestedAt), deadline: iso(state.assist.deadline), reminders: state.assist.reminders, lastRefusal: state.assist.refusal, asked: state.assist.asked };
        }
        rows.push({
          policy: policy.name,
          phase: state.phase,
          rotationId: state.rotationId,
          credentialAgeMs: snapshot.current ? now - snapshot.current.createdAt : undefined,
          lastRotatedAt: state.lastRotatedAt === undefined ? undefined : iso(state.lastRotatedAt),
          nextRotationAt: due ? iso(due.at) : undefined,
          nextReason: due?.reason,
          waitsFor: due ? undefined : waitsFor(policy, snapshot),
          suspended: policy.suspended,
          needsAttention: state.attention !== undefined,
          heldBy: state.lease && state.lease.until > now ? { owner: state.lease.owner, until: iso(state.lease.until) } : undefined,
          waitingFor,
          attention: state.attention && { code: state.attention.code, message: state.attention.message, phase: state.attention.phase },
        });
      } catch (error) {
        rows.push({ policy: policy.name, phase: 'unknown', needsAttention: true, error: describeError(error).message });
      }
    }
  } finally {
    await runtime.close();
  }
  if (json) {
    out.line(JSON.stringify(rows, null, 2));
  } else {
    const table = [['POLICY', 'PHASE', 'AGE', 'LAST ROTATION', 'NEXT ROTATION', 'ATTENTION']].concat(
      rows.map((r) => [r.policy, r.phase, r.credentialAgeMs === undefined ? '-' : formatDuration(r.credentialAgeMs), r.lastRotatedAt ?? 'never', nextColumn(r), r.needsAttention ? 'YES' : '-']),
    );
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) out.line(pad(row, widths));
    for (const r of rows.filter((row) => row.heldBy)) {
      out.line(`\n${r.policy}: worked on by ${r.heldBy!.owner} (lease until ${r.heldBy!.until}; if that daemon is gone, another resumes the rotation then)`);
    }
    for (const r of rows.filter((row) => row.waitingFor)) {
      const w = r.waitingFor!;
      const when = w.asked ? `asked ${w.since}, deadline ${w.deadline}, ${w.reminders} reminder(s) sent` : `asks at ${w.since}, the next time assist.askWithin allows, deadline ${w.deadline}`;
      out.line(`\n${r.policy}: rotad waits for a person (${w.account}) to ${w.action === 'create' ? 'create a new token and hand it over with rotad submit ' + r.policy : 'delete the old token'}; ${when}.\n  ${w.summary}${w.lastRefusal ? `\n  Last handed-over token was refused: ${w.lastRefusal}` : ''}`);
    }
    for (const r of rows.filter((row) => row.needsAttention)) {
      const then = r.waitsFor ? `\n  next: ${r.waitsFor}` : '';
      out.line(`\n${r.policy}: ${r.error === undefined ? `${r.attention?.code} in phase ${r.attention?.phase}: ${r.attention?.message}${then}` : `cannot read its store: ${r.error}`}`);
    }
  }
  return rows.some((r) => r.error !== undefined) ? 1 : 0;
}
