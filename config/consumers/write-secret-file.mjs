#!/usr/bin/env node
// Example consumer for the `exec` consumer type: reads the new secret from stdin and installs it
// as a file an application reads (atomically, mode 0600). Usage: write-secret-file.mjs TARGET
//
// It installs only a complete value: rotad says in ROTAD_SECRET_BYTES how many bytes the secret
// has, and a shorter input (rotad killed while writing it) or an empty one is refused with exit
// code 3, leaving the installed file as it was. rotad retries the consumer with the same value.
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const target = process.argv[2];
if (!target) {
  console.error('usage: write-secret-file.mjs TARGET');
  process.exit(2);
}
const secret = readFileSync(0);
const expected = process.env.ROTAD_SECRET_BYTES === undefined ? undefined : Number(process.env.ROTAD_SECRET_BYTES);
if (secret.length === 0 || (expected !== undefined && secret.length !== expected)) {
  console.error(`refusing an incomplete secret (${secret.length} bytes read, ${expected ?? 'a non-empty value'} expected); ${target} is unchanged`);
  process.exit(3);
}
mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
const temp = `${target}.${process.pid}.tmp`;
writeFileSync(temp, secret, { mode: 0o600 });
renameSync(temp, target);
console.log(`installed credential of ${process.env.ROTAD_POLICY} (rotation ${process.env.ROTAD_ROTATION_ID})`);
