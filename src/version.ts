import { readFileSync } from 'node:fs';

/** What this build of rotad is: its package version and the Node.js running it. */
interface BuildInfo {
  version: string;
  node: string;
}

/** Read once from the package.json shipped beside `dist/` (also in the container image). */
export const BUILD_INFO: BuildInfo = {
  version: packageVersion(),
  node: process.version,
};

function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
