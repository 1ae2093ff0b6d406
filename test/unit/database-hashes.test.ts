import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grantsFor, nativePasswordHash } from '../../src/providers/mysql/index.js';
import { scramVerifier } from '../../src/providers/postgres/scram.js';

describe('password hashes the database providers send instead of passwords', () => {
  it("mysql_native_password: MySQL's documented PASSWORD('password')", () => {
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  it('SCRAM-SHA-256: the verifier of RFC 7677\'s example ("pencil", its salt) signs its exchange as the RFC\'s server does, and checks its client proof', () => {
    const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const [, keys] = verifier.split('$4096:W22ZaJ0SNY7soEsUEjb6gQ==$');
    const [storedKey, serverKey] = keys!.split(':').map((k) => Buffer.from(k, 'base64'));
    const authMessage = [
      'n=user,r=rOprNGfwEbeRWgbNEkqO',
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    ].join(',');
    expect(createHmac('sha256', serverKey!).update(authMessage).digest('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    const clientSignature = createHmac('sha256', storedKey!).update(authMessage).digest();
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ clientSignature[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey!)).toBe(true);
  });
});

describe("mysql's copy of the first account's grants for the second", () => {
  it('replaces the grantee, leaves out USAGE and the password clause', () => {
    const grants = [
      "GRANT USAGE ON *.* TO `orders`@`%` IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
      'GRANT SELECT, INSERT ON `shopdb`.* TO `orders`@`%`',
      "GRANT SELECT ON `other`.`t` TO `orders`@`%` IDENTIFIED BY PASSWORD '*AB'",
    ];
    expect(grantsFor(grants, '`orders`@`%`', '`orders_alt`@`%`')).toEqual([
      'GRANT SELECT, INSERT ON `shopdb`.* TO `orders_alt`@`%`',
      'GRANT SELECT ON `other`.`t` TO `orders_alt`@`%`',
    ]);
  });
});
