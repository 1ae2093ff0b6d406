import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/secret.js';
import { gitguardianSignatureValid, hmslHash } from '../../src/vendors/gitguardian.js';
import { cachedHmslHash, hmslHashesWarm, warmHmslHashes } from '../../src/control/hmsl-cache.js';

describe('GitGuardian: HasMySecretLeaked hash and webhook signature', () => {
  it("hashes as GitGuardian's own examples show (ggshield hmsl decrypt)", async () => {
    expect(await hmslHash(new Secret('sup3rstr0ngpass1ForGG'))).toBe('d775db0302080c1b7516109e929dd4b214a0f353ed3b66ff2e56c47d55a102ed');
    expect(await hmslHash(new Secret('hjshnk5ex5u34565AWS654/JKGjhz545d89sjkja'))).toBe('e9b39209f72228f30b60c19493a3f756ac97dc02ae7f52db2a3abbe3c3269339');
  });

  it('checks the signature over timestamp and token, and nothing else passes', () => {
    // HMAC-SHA256 keyed "1700000000" + "token", of the body '{"a":1}'.
    const good = 'sha256=' + createHmac('sha256', '1700000000token').update('{"a":1}').digest('hex');
    expect(gitguardianSignatureValid('token', '1700000000', '{"a":1}', good)).toBe(true);
    expect(gitguardianSignatureValid('token', '1700000001', '{"a":1}', good)).toBe(false);
    expect(gitguardianSignatureValid('other', '1700000000', '{"a":1}', good)).toBe(false);
    expect(gitguardianSignatureValid('token', '1700000000', '{"a":2}', good)).toBe(false);
    expect(gitguardianSignatureValid('token', '1700000000', '{"a":1}', good.slice(7))).toBe(false);
    expect(gitguardianSignatureValid('token', '1700000000', '{"a":1}', undefined)).toBe(false);
  });
});

describe('HasMySecretLeaked hashes made in the background', () => {
  it('keeps the hash of each credential the daemon read, by policy and rotation, for the next report', async () => {
    const value = new Secret('sup3rstr0ngpass1ForGG');
    warmHmslHashes('payments', [{ value, rotationId: 'r-1' }, undefined]);
    warmHmslHashes('payments', [{ value, rotationId: 'r-1' }]);
    await hmslHashesWarm();
    // Made already: the report takes the kept hash and hashes nothing (a different value here proves it).
    expect(await cachedHmslHash('payments', 'r-1', new Secret('another value'))).toBe('d775db0302080c1b7516109e929dd4b214a0f353ed3b66ff2e56c47d55a102ed');
    expect(await cachedHmslHash('payments', 'r-2', new Secret('another value'))).not.toBe('d775db0302080c1b7516109e929dd4b214a0f353ed3b66ff2e56c47d55a102ed');
  });
});
