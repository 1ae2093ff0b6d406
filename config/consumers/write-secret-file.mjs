#!/usr/bin/env node
// Example consumer for the `exec` consumer type: reads the new secret from stdin and installs it
// as a file an application reads (atomically, mode 0600). Usage: write-secret-file.mjs TARGET
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const target = process.argv[2];
if (!target) {
  console.error('usage: write-secret-file.mjs TARGET');
  process.exit(2);
}
const secret = readFileSync(0, 'utf8');
mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
const temp = `${target}.${process.pid}.tmp`;
writeFileSync(temp, secret, { mode: 0o600 });
renameSync(temp, target);
console.log(`installed credential of ${process.env.ROTAD_POLICY} (rotation ${process.env.ROTAD_ROTATION_ID})`);
