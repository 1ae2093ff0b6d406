import { randomBytes } from 'node:crypto';

/** A sortable, unique rotation id: `20261122T110000123Z-1a2b3c4d5e6f7a8b` (36 characters: also a valid AWS ClientRequestToken). */
export function newRotationId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(8).toString('hex')}`;
}
