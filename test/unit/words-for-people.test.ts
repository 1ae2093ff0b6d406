import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, RotadError } from '../../src/errors.js';
import { refusedUnless } from '../../src/providers/submission.js';
import { momentForPerson } from '../../src/timing/ask-window.js';

const config = (assist: string): string => `version: 1
stores:
  local: { type: file, path: s.enc, key: { env: ROTAD_KEY } }
defaults:
  assist: ${assist}
policies:
  - name: p1
    provider: { type: random, length: 20 }
    schedule: { every: 30d }
`;

describe('words a support person reads', () => {
  it('gives a deadline in the person’s own time zone, with UTC beside', () => {
    const at = Date.parse('2026-12-07T13:30:00Z');
    expect(momentForPerson(at)).toBe('Mon, 7 Dec 2026, 13:30 UTC');
    expect(momentForPerson(at, 'Europe/Berlin')).toBe('Mon, 7 Dec 2026, 14:30 CET (13:30 UTC)');
    expect(momentForPerson(at, 'America/New_York')).toBe('Mon, 7 Dec 2026, 08:30 GMT-5 (13:30 UTC)');
  });

  it("takes the zone from assist.timezone, else askWithin's, else UTC; an unknown zone is a config error", () => {
    const env = { ROTAD_KEY: 'set' };
    const zoneOf = (assist: string): string | undefined => parseConfig(config(assist), 'rotad.yaml', env).policies[0]!.assist.timezone;
    expect(zoneOf('{ remindEvery: 1d }')).toBe('UTC');
    expect(zoneOf("{ askWithin: 'Mon-Fri 09:00-17:00 Europe/Paris' }")).toBe('Europe/Paris');
    expect(zoneOf("{ askWithin: 'Mon-Fri 09:00-17:00 Europe/Paris', timezone: America/Chicago }")).toBe('America/Chicago');
    let problems: readonly string[] = [];
    try {
      parseConfig(config('{ timezone: Mars/Olympus }'), 'rotad.yaml', env);
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.join('\n')).toContain("defaults.assist.timezone: unknown timezone 'Mars/Olympus'");
  });

  it('says first, in plain words, that the provider did not accept a token, and the technical reason after', async () => {
    const rejected = refusedUnless(
      async () => {
        throw new RotadError('PROVIDER_REJECTED', 'Gladly answered 401 on the organization check');
      },
      { provider: 'Gladly', question: 'was it created while signed in as api-user@acme.example?' },
    );
    await expect(rejected).rejects.toMatchObject({
      code: 'SUBMISSION_REFUSED',
      message:
        'Gladly did not accept this token: was it created while signed in as api-user@acme.example?\nTechnical reason: Gladly answered 401 on the organization check.',
    });
  });
});
