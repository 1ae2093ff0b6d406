import { describe, expect, it } from 'vitest';
import { honouredLink } from '../../src/handover/request.js';
import { handOver } from '../../src/handover/take-token.js';
import { hashLinkSecret, mintLink, policyOfLink, secretMatches } from '../../src/rotation/handover-link.js';
import type { RotationEvent } from '../../src/notifiers/types.js';
import { runRotation } from '../../src/rotation/engine.js';
import { scrub } from '../../src/secret.js';
import { Secret } from '../../src/secret.js';
import { assistedProvider, FakeClock, MemoryStore, policyRuntime } from '../helpers/engine-doubles.js';

const HOUR = 3_600_000;

describe('hand-over links', () => {
  it('carry the secret only in the fragment, keep only its hash, and name their policy', () => {
    const { link, url } = mintLink('https://rotad.example', 'gladly-prod', 1000);
    const [address, secret] = url.split('#');
    expect(address).toBe(`https://rotad.example/handover/${link.id}`);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link.hash).toBe(hashLinkSecret(secret!));
    expect(JSON.stringify(link)).not.toContain(secret!);
    expect(policyOfLink(link.id)).toBe('gladly-prod');
    expect(secretMatches(link, secret!)).toBe(true);
    expect(secretMatches(link, `${secret!.slice(0, -1)}x`)).toBe(false);
    expect(secretMatches(link, '')).toBe(false);
    // The secret is known to the scrubber: a log line that carried it by mistake would not show it.
    expect(scrub(`opened ${url}`)).not.toContain(secret!);
    for (const bad of ['gladly-prod', 'gladly-prod.short', '../etc.AAAAAAAAAAAAAAAA', 'Gladly.AAAAAAAAAAAAAAAA', '']) expect(policyOfLink(bad)).toBeUndefined();
    expect(policyOfLink('a.b.c.AAAAAAAAAAAAAAAA')).toBe('a.b.c');
  });

  it('are minted with the request and each reminder, at most three kept, lasting until the deadline (or the next reminder once it has passed)', async () => {
    const events: RotationEvent[] = [];
    const clock = new FakeClock();
    const store = new MemoryStore([]);
    const runtime = {
      ...policyRuntime({ store, provider: assistedProvider(new Set()), clock, events, assist: { remindMs: 4 * HOUR, deadlineMs: 10 * HOUR, checkMs: 60_000 } }),
      handoverUrl: 'https://rotad.example',
    };
    const signal = new AbortController().signal;
    const start = clock.now();
    await runRotation(runtime, 'schedule', signal);
    for (let i = 0; i < 4; i += 1) {
      clock.time += 4 * HOUR;
      await runRotation(runtime, 'resume', signal);
    }
    const asks = events.filter((e) => e.type === 'action-required');
    expect(asks).toHaveLength(5);
    const urls = asks.map((e) => e.handoverUrl!);
    expect(new Set(urls).size).toBe(5);
    for (const event of asks) expect(event.message).toContain('one-time page linked with this message');
    const links = store.state.assist!.links;
    expect(links.map((l) => l.id)).toEqual(urls.slice(-3).map((u) => u.split('/handover/')[1]!.split('#')[0]));
    // Sent at +8h (before the 10h deadline): until the deadline; at +12h and +16h: until the next reminder.
    expect(links.map((l) => l.expiresAt - start)).toEqual([10 * HOUR, 16 * HOUR, 20 * HOUR]);
    // Not a link in any other event, and none for the request to delete the old token.
    expect(events.filter((e) => e.type !== 'action-required').every((e) => e.handoverUrl === undefined)).toBe(true);
  });

  it('count refused tokens per link and lock it at the last try; a locked, expired or forged link is refused without asking the provider', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore([]);
    const live = new Set<string>();
    let asked = 0;
    const provider = assistedProvider(live);
    const accept = provider.assisted!.accept;
    provider.assisted!.accept = async (...args) => {
      asked += 1;
      return accept(...args);
    };
    const runtime = {
      ...policyRuntime({ store, provider, clock, assist: { remindMs: 4 * HOUR, deadlineMs: 10 * HOUR, checkMs: 60_000 } }),
      handoverUrl: 'https://rotad.example',
    };
    const events: RotationEvent[] = [];
    runtime.notify = async (event) => {
      events.push({ ...event, policy: 'p', at: clock.now() });
    };
    await runRotation(runtime, 'schedule', new AbortController().signal);
    const [address, secret] = events.find((e) => e.type === 'action-required')!.handoverUrl!.split('#');
    const use = { id: address!.split('/handover/')[1]!, secret: secret!, maxTries: 2 };
    const retry = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 };

    await expect(handOver(runtime, new Secret('wrong-1'), retry, 'handover-link', { ...use, secret: `${secret}x` })).rejects.toMatchObject({
      code: 'HANDOVER_LINK_INVALID',
    });
    expect(asked).toBe(0);
    expect(await handOver(runtime, new Secret('wrong-1'), retry, 'handover-link', use)).toMatchObject({ accepted: false, triesLeft: 1 });
    expect(await handOver(runtime, new Secret('wrong-2'), retry, 'handover-link', use)).toMatchObject({ accepted: false, triesLeft: 0 });
    expect(store.state.assist!.links[0]).toMatchObject({ refused: 2, locked: true });
    expect(store.state.assist!.refusal).toBe('the provider does not know this token');
    live.add('right');
    await expect(handOver(runtime, new Secret('right'), retry, 'handover-link', use)).rejects.toThrow(/locked after 2 refused tokens/);
    expect(asked).toBe(2);
    expect(store.pending).toBeUndefined();

    // The next reminder brings a new link, which works; after the deadline it would not have.
    clock.time += 4 * HOUR;
    await runRotation(runtime, 'resume', new AbortController().signal);
    const [address2, secret2] = events
      .filter((e) => e.type === 'action-required')
      .at(-1)!
      .handoverUrl!.split('#');
    const fresh = { id: address2!.split('/handover/')[1]!, secret: secret2!, maxTries: 2 };
    const snapshot = await store.read();
    expect(() => honouredLink(runtime, snapshot, fresh, clock.now() + 7 * HOUR)).toThrow(/this link expired/);
    expect(await handOver(runtime, new Secret('right'), retry, 'handover-link', fresh)).toMatchObject({ accepted: true, rotationId: store.state.rotationId });
    expect(store.pending?.value.reveal()).toBe('right');
    // The same token again (a second click, a lost answer) is taken already; any other is refused before the provider is asked.
    expect(await handOver(runtime, new Secret('right'), retry, 'handover-link', fresh)).toMatchObject({ accepted: true, rotationId: store.state.rotationId });
    live.add('second');
    await expect(handOver(runtime, new Secret('second'), retry, 'handover-link', fresh)).rejects.toThrow(/this link was used/);
    expect(asked).toBe(3);
    expect(store.pending?.value.reveal()).toBe('right');
  });
});
