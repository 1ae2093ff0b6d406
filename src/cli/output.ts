import { scrub } from '../secret.js';

/** Everything the CLI prints goes through here: secrets are scrubbed by value as a last line of defence. */
export const out = {
  line(text = ''): void {
    process.stdout.write(`${scrub(text)}\n`);
  },
  error(text: string): void {
    process.stderr.write(`${scrub(text)}\n`);
  },
};

export { isoSeconds as iso } from '../duration.js';
