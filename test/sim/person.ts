import { RotadError } from '../../src/errors.js';
import { handOver } from '../../src/handover/take-token.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { Secret } from '../../src/secret.js';
import { recordRequest, snoozeRequest } from '../../src/control/update-state.js';
import { simPolicyRuntime, type Shared } from './replica.js';
import { DELETE_REQUEST, type UiLedger, type UiToken } from './ui-provider.js';

/**
 * Where a token the person made stands, as the person knows it: never handed over, being handed
 * over (answer awaited), taken by rotad, turned away with "delete it", or deleted.
 */
type Status = 'in-hand' | 'handing' | 'taken' | 'told-delete' | 'deleted';

interface Held {
  token: UiToken;
  rotationId: string;
  status: Status;
  /** Hand-overs of this token awaiting their answer. */
  inFlight: number;
}

/** What the person did in one run, for the report. */
export interface PersonCounts {
  created: number;
  handOvers: number;
  taken: number;
  refused: number;
  notTaken: number;
  deletions: number;
  wrongDeletions: number;
  ignored: number;
  replayedLinks: number;
  tamperedLinks: number;
  raced: number;
  withdrawnInTime: number;
  /** Deletions of a token a rollback restored, asked before the rollback and done before its withdrawal was read. */
  overtaken: number;
  /** "Remind me in 4 h" pressed on a request (Slack). */
  snoozes: number;
  /** "I deleted it" pressed after a deletion (Slack): rotad looks at once. */
  deletedClicks: number;
}

/** What the person's world can tell about rotad, for the invariants checked at the moment a person acts. */
export interface PersonHooks {
  /** A hand-over was taken: a daemon replica is woken, as the page and `rotad submit` do. */
  wake(policy: string): void;
  violation(message: string): void;
  /** Why rotad needs this value now (the current credential, the pending one of its live rotation), or undefined. */
  inUse(policy: string, value: string): string | undefined;
  /** Whether a rollback of the policy is under way (its withdrawal notices may not have reached the person yet). */
  rollingBack(policy: string): boolean;
}

type Plan = 'handover-link' | 'replay' | 'tamper' | 'cli' | 'race' | 'two';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * The person an assisted rotation asks: reads every notification, creates tokens in the provider's
 * UI (one, sometimes two, sometimes late, sometimes not at all until a reminder), hands them over
 * through the page and `rotad submit` (sometimes both at once, through an old link or a mistyped
 * one), deletes the token a request names (sometimes the wrong one of their own first), and
 * follows every answer: a token rotad did not take is deleted, a withdrawn request is dropped.
 * Once `diligent` (the run heals), every request is followed promptly and without mistakes.
 */
export class Person {
  diligent = false;
  readonly counts: PersonCounts = {
    created: 0,
    handOvers: 0,
    taken: 0,
    refused: 0,
    notTaken: 0,
    deletions: 0,
    wrongDeletions: 0,
    ignored: 0,
    replayedLinks: 0,
    tamperedLinks: 0,
    raced: 0,
    withdrawnInTime: 0,
    overtaken: 0,
    snoozes: 0,
    deletedClicks: 0,
  };
  /** Every token the person made, by value. */
  readonly held = new Map<string, Held>();
  /** Tokens taken per link id and per rotation: a link is used at most once, a request takes one token. */
  readonly takenPerLink = new Map<string, Set<string>>();
  readonly takenPerRotation = new Map<string, Set<string>>();
  readonly #messages: RotationEvent[] = [];
  /** Requests to create (policy/rotation) the person is working on, or has served. */
  readonly #episodes = new Set<string>();
  /** Token ids with a deletion planned. */
  readonly #deleting = new Set<string>();
  #calls = 0;
  #garbage = 0;

  constructor(
    readonly shared: Shared,
    readonly ledger: UiLedger,
    readonly hooks: PersonHooks,
  ) {}

  /** A notification reaches the person. */
  read(event: RotationEvent): void {
    const index = this.#messages.push(event) - 1;
    const rotationId = event.rotationId ?? '';
    if (event.type === 'request-withdrawn') return this.#dropUnhanded(event.policy, rotationId);
    if (event.type !== 'action-required') return;
    const deletion = DELETE_REQUEST.exec(event.message);
    if (deletion) return this.#onDeleteRequest(event, index, deletion[1]!);
    if (event.message.includes('Create a token for')) this.#onCreateRequest(event, index);
  }

  get #world() {
    return this.shared.world;
  }

  #later(minMs: number, maxMs: number, label: string, act: () => void): void {
    const delay = this.diligent ? this.#world.between(SECOND, 20 * SECOND) : this.#world.between(minMs, maxMs);
    this.#world.at(this.#world.now + delay, 'person', label, act);
  }

  /** Whether a request (the message at `index`) was withdrawn by a later message. */
  #withdrawn(policy: string, rotationId: string, index: number): boolean {
    return this.#messages.some((m, i) => i > index && m.type === 'request-withdrawn' && m.policy === policy && m.rotationId === rotationId);
  }

  #onCreateRequest(event: RotationEvent, index: number): void {
    const episode = `${event.policy}/${event.rotationId}`;
    if (this.#episodes.has(episode)) return;
    if (!this.diligent && this.#world.chance(0.15)) {
      this.counts.ignored += 1;
      return;
    }
    this.#episodes.add(episode);
    // Some press "Remind me in 4 h" first (and act anyway, sooner or later).
    if (this.#world.chance(0.2)) this.#later(SECOND, MINUTE, 'person presses "Remind me in 4 h"', () => this.#snooze(event.policy, event.rotationId ?? ''));
    this.#later(5 * SECOND, 8 * MINUTE, 'person creates', () => this.#create(event.policy, event.rotationId ?? '', index));
  }

  #create(policy: string, rotationId: string, index: number): void {
    if (this.#withdrawn(policy, rotationId, index)) {
      this.counts.withdrawnInTime += 1;
      return;
    }
    const tokens: Held[] = [];
    for (let n = !this.diligent && this.#world.chance(0.2) ? 2 : 1; n > 0; n -= 1) {
      const held: Held = { token: this.ledger.create(policy, this.#world.now), rotationId, status: 'in-hand', inFlight: 0 };
      this.held.set(held.token.value, held);
      this.#world.log(`person created ${held.token.id} for ${policy}`);
      tokens.push(held);
      this.counts.created += 1;
    }
    this.#later(SECOND, 2 * MINUTE, 'person hands over', () => this.#handOverPlanned(policy, rotationId, index, tokens));
  }

  /** The links the person was sent for a policy, oldest first. */
  #links(policy: string, rotationId?: string): string[] {
    return this.#messages
      .filter((m) => m.policy === policy && m.handoverUrl !== undefined && (rotationId === undefined || m.rotationId === rotationId))
      .map((m) => m.handoverUrl!);
  }

  #handOverPlanned(policy: string, rotationId: string, index: number, tokens: Held[]): void {
    if (this.#withdrawn(policy, rotationId, index)) return this.#dropUnhanded(policy, rotationId);
    const latest = this.#links(policy, rotationId).at(-1);
    const plans: Plan[] = this.diligent
      ? ['handover-link', 'cli']
      : ['handover-link', 'handover-link', 'handover-link', 'replay', 'tamper', 'cli', 'cli', 'race', 'race', 'two'];
    const plan = latest === undefined && (this.diligent || this.#world.chance(0.7)) ? 'cli' : plans[this.#world.between(0, plans.length - 1)]!;
    const [first, second] = tokens as [Held, Held | undefined];
    if (!this.diligent && this.#world.chance(0.1)) this.#attempt(policy, undefined, latest); // a mistyped token first
    switch (plan) {
      case 'handover-link':
        return this.#attempt(policy, first, latest);
      case 'cli':
        return this.#attempt(policy, first, undefined);
      case 'replay': {
        const links = this.#links(policy);
        const old = links[this.#world.between(0, Math.max(0, links.length - 1))];
        this.counts.replayedLinks += 1;
        return this.#attempt(policy, first, old ?? latest);
      }
      case 'tamper':
        this.counts.tamperedLinks += 1;
        return this.#attempt(policy, first, latest && `${latest.slice(0, -2)}xx`);
      case 'race':
      case 'two':
        this.counts.raced += 1;
        this.#attempt(policy, first, latest);
        return this.#attempt(policy, plan === 'two' && second ? second : first, undefined);
    }
  }

  /**
   * One hand-over, as the page or `rotad submit` makes it (`held` undefined: a mistyped value).
   * The person acts on the answer; without one (the command was interrupted, the page hung), they
   * hand the same token over again a few minutes later.
   */
  #attempt(policy: string, held: Held | undefined, url: string | undefined, tries = 1): void {
    const world = this.#world;
    this.#calls += 1;
    this.counts.handOvers += 1;
    const actor = `person.${this.#calls}`;
    const runtime = simPolicyRuntime(this.shared, { actor, owner: `sim-${actor}` }, policy);
    const value = held?.token.value ?? `mistyped-${(this.#garbage += 1)}`;
    const link = url === undefined ? undefined : parseLink(url);
    // Links are random (their ids and secrets are not from the seed): the trace names them by the message that carried them.
    const carried = url === undefined ? undefined : this.#messages.findIndex((m) => m.handoverUrl === url);
    world.log(
      `${actor} hands over ${held?.token.id ?? 'a mistyped token'} for ${policy} ${url ? `through the link of message ${carried}` : 'with rotad submit'}`,
    );
    if (held) {
      held.status = 'handing';
      held.inFlight += 1;
    }
    if (!this.diligent && world.chance(0.1)) world.at(world.now + world.between(0, 2 * SECOND), 'person', 'interrupt', () => world.crash(actor));
    let answered = false;
    /** The attempt is over for the person: answered, or given up on. */
    const over = (): void => {
      if (!answered && held) held.inFlight -= 1;
      answered = true;
    };
    const again = (): void => {
      if (held && held.status === 'handing' && tries < 30) this.#attempt(policy, held, undefined, tries + 1);
    };
    world.at(world.now + 5 * MINUTE, 'person', 'no answer', () => {
      if (answered) return;
      over();
      again();
    });
    handOver(runtime, new Secret(value), runtime.retry, link ? 'handover-link' : 'cli', link && { ...link, maxTries: 3 }).then(
      (outcome) => {
        over();
        world.log(`${actor} -> ${outcome.accepted ? 'taken' : `refused: ${outcome.reason}`}`);
        if (!held) return;
        if (outcome.accepted) return this.#taken(policy, held, outcome.rotationId, link?.id);
        // Taken by an earlier request: the answer says to keep it, or not to delete it before asked.
        if (outcome.reason.includes('keep it') || outcome.reason.includes('do not delete it')) return;
        // The provider does not take it (the person deleted it by mistake): it is dropped, and the next reminder starts over.
        this.counts.refused += 1;
        this.#episodes.delete(`${policy}/${held.rotationId}`);
        this.#delete(held, 'refused');
      },
      (error: unknown) => {
        over();
        const message = error instanceof Error ? error.message : String(error);
        world.log(`${actor} -> ${message.slice(0, 160)}`);
        if (!held) return;
        if (error instanceof RotadError && message.includes('was not taken')) return this.#notTaken(policy, held);
        this.#later(30 * SECOND, 3 * MINUTE, 'person hands over again', again);
      },
    );
  }

  #taken(policy: string, held: Held, rotationId: string, linkId: string | undefined): void {
    held.status = 'taken';
    this.counts.taken += 1;
    const record = (map: Map<string, Set<string>>, key: string): void => {
      const values = map.get(key) ?? new Set<string>();
      values.add(held.token.value);
      map.set(key, values);
      if (values.size > 1) this.hooks.violation(`${values.size} different tokens were taken for ${map === this.takenPerLink ? 'link' : 'rotation'} ${key}`);
    };
    record(this.takenPerRotation, rotationId);
    if (linkId !== undefined) record(this.takenPerLink, linkId);
    this.hooks.wake(policy);
    this.#dropUnhanded(policy, held.rotationId);
  }

  /** rotad answered that it did not take the token, and to delete it: it must not be one rotad keeps. */
  #notTaken(policy: string, held: Held): void {
    this.counts.notTaken += 1;
    // Handed over another way too: that answer decides (the message says to keep a token taken elsewhere).
    if (held.status === 'taken' || held.inFlight > 0) return;
    held.status = 'told-delete';
    const why = this.hooks.inUse(policy, held.token.value);
    if (why !== undefined) this.hooks.violation(`a person was told to delete ${held.token.id} of ${policy}, which rotad keeps as ${why}`);
    this.#episodes.delete(`${policy}/${held.rotationId}`);
    this.#later(5 * SECOND, 3 * MINUTE, 'person deletes a token not taken', () => this.#delete(held, 'not taken'));
  }

  /** Tokens made for a request and never handed over: the person deletes them (a withdrawal says so; a taken token makes them spare). */
  #dropUnhanded(policy: string, rotationId: string): void {
    for (const held of this.held.values()) {
      if (held.token.policy !== policy || held.rotationId !== rotationId || held.status !== 'in-hand') continue;
      this.#later(5 * SECOND, 3 * MINUTE, 'person deletes a spare token', () => {
        if (held.status === 'in-hand') this.#delete(held, 'spare');
      });
    }
  }

  #onDeleteRequest(event: RotationEvent, index: number, id: string): void {
    const token = this.ledger.byId(id);
    const why = token && this.hooks.inUse(event.policy, token.value);
    if (why !== undefined) this.hooks.violation(`a person was asked to delete ${id} of ${event.policy}, which rotad keeps as ${why}`);
    if (token === undefined || token.deleted || this.#deleting.has(id)) return;
    if (!this.diligent && this.#world.chance(0.1)) {
      this.counts.ignored += 1;
      return;
    }
    this.#deleting.add(id);
    this.#later(5 * SECOND, 8 * MINUTE, 'person deletes as asked', () => {
      this.#deleting.delete(id);
      if (this.#withdrawn(event.policy, event.rotationId ?? '', index)) {
        this.counts.withdrawnInTime += 1;
        return;
      }
      if (!this.diligent && this.#world.chance(0.1)) {
        // The wrong one: a loose token of their own (or none at all); the request stays open and is reminded.
        this.counts.wrongDeletions += 1;
        const loose = [...this.held.values()].find((h) => h.token.policy === event.policy && (h.status === 'in-hand' || h.status === 'told-delete'));
        if (loose) this.#delete(loose, 'wrong');
        return;
      }
      this.#delete(this.held.get(token.value) ?? { token, rotationId: event.rotationId ?? '', status: 'taken', inFlight: 0 }, 'asked');
      // Half of them press "I deleted it": rotad looks at once instead of at the next check.
      if (this.#world.chance(0.5)) this.#later(SECOND, 30 * SECOND, 'person presses "I deleted it"', () => this.#deletedIt(event.policy));
    });
  }

  /** "Remind me in 4 h", as the Slack button does it: the request's next reminder moves. */
  #snooze(policy: string, rotationId: string): void {
    // Pressed once the run healed, it would hold the request past the run's end: a diligent person acts instead.
    if (this.diligent) return;
    const actor = `person.${(this.#calls += 1)}`;
    this.counts.snoozes += 1;
    void snoozeRequest(simPolicyRuntime(this.shared, { actor, owner: `sim-${actor}` }, policy), rotationId, this.#world.now + 4 * HOUR).catch(() => undefined);
  }

  /** "I deleted it", as the Slack button does it: a request recorded, a replica woken. */
  #deletedIt(policy: string): void {
    const actor = `person.${(this.#calls += 1)}`;
    this.counts.deletedClicks += 1;
    void recordRequest(simPolicyRuntime(this.shared, { actor, owner: `sim-${actor}` }, policy), this.#world.now, 'slack:sim')
      .then(() => this.hooks.wake(policy))
      .catch(() => undefined);
  }

  #delete(held: Held, why: string): void {
    if (held.token.deleted) return;
    const inUse = this.hooks.inUse(held.token.policy, held.token.value);
    if (inUse !== undefined && why === 'asked' && this.hooks.rollingBack(held.token.policy)) this.counts.overtaken += 1;
    else if (inUse !== undefined) this.hooks.violation(`a person deleted ${held.token.id} of ${held.token.policy} (${why}), which rotad keeps as ${inUse}`);
    held.token.deleted = true;
    held.status = 'deleted';
    this.counts.deletions += 1;
    this.#world.log(`person deleted ${held.token.id} of ${held.token.policy} (${why})`);
  }
}

/** A hand-over link as sent: `<publicUrl>/handover/<id>#<secret>`. */
function parseLink(url: string): { id: string; secret: string } {
  const match = /\/handover\/([^#]+)#(.*)$/.exec(url);
  return { id: match?.[1] ?? '', secret: match?.[2] ?? '' };
}
