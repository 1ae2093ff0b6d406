import { randomBytes } from 'node:crypto';

/** A sortable, unique rotation id: `20261122T110000123Z-1a2b3c4d5e6f7a8b` (36 characters: also a valid AWS ClientRequestToken). */
export function newRotationId(now: number, random?: () => number): string {
  const suffix = random ? Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('') : randomBytes(8).toString('hex');
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${suffix}`;
}
