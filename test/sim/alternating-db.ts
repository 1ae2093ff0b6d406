import { RotadError } from '../../src/errors.js';
import type { Provider } from '../../src/providers/types.js';
import { Secret } from '../../src/secret.js';
import type { StoredCredential } from '../../src/stores/types.js';
import { providerFaults, type Caller, type Delivery, type Ledger, type SideEffectCheck } from './parts.js';
import type { World } from './world.js';

const MINUTE = 60_000;
type RoleName = 'app' | 'app_alt';

/** One login role of a policy: the password that logs in now (a ledger token), and whether it may log in. */
interface Role {
  password?: string | undefined;
  login: boolean;
}

/** A small stable hash: how late an application lets go of a session is fixed by the seed's run, not by extra random draws. */
function fnv(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

/**
 * A database with two login roles per policy (the postgres and mysql providers' alternating-users
 * strategy), over the shared ledger: each password set is a token, revoked when it is replaced or
 * its role disabled. Applications are the consumers: each holds a session on the role it was last
 * handed, and lets go of the session on the role before that late (up to 10 minutes; one in ten
 * not until the run heals, when every application is restarted). Its checks: a role is disabled only with no session left on it, never
 * both roles at once, and never the current credential's.
 */
export class AlternatingDatabase {
  readonly roles = new Map<string, Record<RoleName, Role>>();
  /** Revokes refused because sessions of the old role were open. */
  sessionWaits = 0;
  /** Roles disabled. */
  disabled = 0;
  /** When the run healed: every application has let go of its old sessions by then (they were restarted). */
  #healedAt = Infinity;

  constructor(
    private readonly world: World,
    private readonly ledger: Ledger,
    private readonly deliveries: readonly Delivery[],
    private readonly check: SideEffectCheck,
    /** The store's current credential of a policy (what applications are being handed). */
    private readonly currentOf: (policy: string) => StoredCredential | undefined,
  ) {}

  heal(): void {
    this.#healedAt = this.world.now;
  }

  #of(policy: string): Record<RoleName, Role> {
    let roles = this.roles.get(policy);
    if (!roles) {
      roles = { app: { login: true }, app_alt: { login: true } };
      this.roles.set(policy, roles);
    }
    return roles;
  }

  /** Open sessions on `role`: each application's session on the role it was last handed, and its earlier ones until it lets go. */
  sessionsOn(policy: string, role: string): string[] {
    const open: string[] = [];
    const byConsumer = new Map<string, Delivery[]>();
    for (const d of this.deliveries) if (d.policy === policy) byConsumer.set(d.consumer, [...(byConsumer.get(d.consumer) ?? []), d]);
    for (const [consumer, handed] of byConsumer) {
      handed.forEach((delivery, i) => {
        const roleHanded = this.#roleHanded(delivery);
        if (roleHanded !== role) return;
        const next = handed[i + 1];
        if (next === undefined) return void open.push(`${consumer} (in use)`);
        const lets = fnv(`${consumer}:${delivery.value}`);
        const endsAt = Math.min(lets % 10 === 0 ? Infinity : next.at + (lets % 10) * MINUTE, Math.max(next.at, this.#healedAt));
        if (this.world.now < endsAt) open.push(`${consumer} (late)`);
      });
    }
    return open;
  }

  /** Which role a delivered value belongs to: recorded with its token when its password was set. */
  #roleHanded(delivery: Delivery): string | undefined {
    return this.ledger.tokens.get(delivery.value)?.creator.split('@')[1];
  }

  provider(caller: Caller, faultRate: () => number): Provider {
    const io = <T>(what: string, policy: string, run: () => Promise<T>): Promise<T> =>
      this.world.io(caller.actor, `db.${what}(${policy})`, run, providerFaults(faultRate()));
    const target = (current: StoredCredential | undefined): RoleName => (current?.id === 'app_alt' ? 'app' : 'app_alt');
    return {
      steps: { obtain: 'generate a password', verify: 'set it on the role not in use, log in', revoke: 'disable the old role once no session is left' },
      // A password is generated here and set at verify, after it is stored: obtain has no side effect (the token is not live yet).
      obtain: async (ctx, current) => {
        const role = target(current);
        const value = this.ledger.create(ctx.policy, ctx.rotationId, `${caller.actor}@${role}`);
        const token = this.ledger.tokens.get(value)!;
        token.answered = true;
        token.revoked = true;
        return { value: new Secret(value), id: role };
      },
      // As the database providers (providers/database-accounts.ts): log in first; when refused, set the password (with LOGIN), then log in.
      verify: (ctx, credential) =>
        io('verify', ctx.policy, async () => {
          const name = credential.id as RoleName;
          const role = this.#of(ctx.policy)[name];
          const value = credential.value.reveal();
          if (role.login && role.password === value) return;
          this.check(caller, ctx.policy, 'db.setPassword');
          if (!this.check.recorded(ctx.policy, value)) this.check.violation(`a password was set on ${name} of ${ctx.policy} before it was stored`);
          const current = this.currentOf(ctx.policy);
          if (current?.id === name && current.value.reveal() !== value)
            this.check.violation(`the password of ${name}, the role in use by ${ctx.policy}, was replaced`);
          const replaced = role.password === undefined ? undefined : this.ledger.tokens.get(role.password);
          if (replaced) replaced.revoked = true;
          role.password = value;
          role.login = true;
          this.ledger.tokens.get(value)!.revoked = false;
        }),
      // As the database providers: the current role is left alone; the other is disabled once no session of it is left.
      revoke: async (ctx, old, current) => {
        const name = old.id as RoleName;
        if (name === current?.id) return undefined;
        // A password that does not log in (never set: created and not stored; or replaced) leaves nothing to disable.
        const works = await io('login', ctx.policy, async () => this.#of(ctx.policy)[name].login && this.#of(ctx.policy)[name].password === old.value.reveal());
        if (!works) return undefined;
        const open = await io('sessions', ctx.policy, async () => this.sessionsOn(ctx.policy, name));
        if (open.length > 0) {
          this.sessionWaits += 1;
          throw new RotadError('CREDENTIAL_IN_USE', `sessions of ${name} still open: ${open.join(', ')}`, { retryable: true, retryAfterMs: 5_000 });
        }
        // Still this process's policy after the looks above (a stalled process must not act on what it saw).
        await ctx.keepLease?.();
        return io('disable', ctx.policy, async () => {
          this.check(caller, ctx.policy, 'db.disable');
          const roles = this.#of(ctx.policy);
          const still = this.sessionsOn(ctx.policy, name);
          if (still.length > 0) this.check.violation(`${name} of ${ctx.policy} disabled while ${still.join(', ')} held a session on it`);
          const other = roles[name === 'app' ? 'app_alt' : 'app'];
          if (!other.login) this.check.violation(`both roles of ${ctx.policy} disabled`);
          if (this.currentOf(ctx.policy)?.id === name) this.check.violation(`${name}, the role of the current credential of ${ctx.policy}, disabled`);
          roles[name].login = false;
          const token = roles[name].password === undefined ? undefined : this.ledger.tokens.get(roles[name].password);
          if (token) token.revoked = true;
          this.disabled += 1;
          return undefined;
        });
      },
      isRejected: (ctx, credential) =>
        io('login', ctx.policy, async () => {
          const role = this.#of(ctx.policy)[credential.id as RoleName];
          return !role.login || role.password !== credential.value.reveal();
        }),
    };
  }
}
