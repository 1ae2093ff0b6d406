import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * Headless Debian Chromium (test/servers/install.sh installs it; ROTAD_CHROMIUM names another
 * binary). Background networking is off: this machine reaches only 127.0.0.1.
 */
const LAUNCH = {
  executablePath: process.env.ROTAD_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
};

export function launchChromium(): Promise<Browser> {
  return chromium.launch(LAUNCH);
}

/** Chromium with a profile in `dir`, so that what it keeps on disk (history, caches) can be searched afterwards. */
export function launchChromiumProfile(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, LAUNCH);
}
