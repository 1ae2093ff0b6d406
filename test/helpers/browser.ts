import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Debian Chromium (test/servers/install.sh installs it; ROTAD_CHROMIUM names another
 * binary). Background networking is off: this machine reaches only 127.0.0.1.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.ROTAD_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
