import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, runCli } from '../helpers/daemon.js';
import { waitForEvent, writeSaasConfig } from '../helpers/saas.js';
import { readPolicy } from '../helpers/store.js';
import { tempDir } from '../helpers/workspace.js';
import { CutoverServer } from '../adapters/providers/cutover/stand-in.js';

const CORE = 'https://acme.cutover.com';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

describe('assist.askWithin, with the real daemon', () => {
  const cutover = new CutoverServer(CORE);
  beforeAll(async () => {
    await cutover.start();
  });
  afterAll(async () => {
    await cutover.stop();
  });

  it('outside the hours the request is recorded, not sent, and status says when; inside them it goes out', async () => {
    const dir = await tempDir();
    // A window on another weekday than today: the person must not be asked now.
    const day = DAYS[(new Date().getUTCDay() + 3) % 7]!;
    const config = await writeSaasConfig(
      dir,
      `
  - name: cutover-runbooks
    provider: { type: cutover, baseUrl: "${cutover.url}", coreUrl: "${CORE}", userId: 42, userName: rotad-bot }
    schedule: { every: 90d }
    assist: { askWithin: "${day} 09:00-10:00 UTC" }`,
    );
    const daemon = DaemonProcess.start(config);
    try {
      const waiting = await daemon.waitForMessage('Request to a person waits for the ask window');
      const askAt = Date.parse(String(waiting.askAt));
      expect(new Date(askAt).getUTCDay()).toBe(DAYS.indexOf(day));
      expect(new Date(askAt).toISOString()).toMatch(/T09:00:00\.000Z$/);
      const { state } = await readPolicy(dir, 'cutover-runbooks');
      expect(state.assist).toMatchObject({ asked: false, requestedAt: askAt });
      const status = await runCli(['status', '--config', config]);
      expect(status.stdout).toContain(`asks at ${new Date(askAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}, the next time assist.askWithin allows`);

      // The hours widened to every day, all day: reloaded, and a look at waiting rotations sends it now.
      await writeFile(config, (await readFile(config, 'utf8')).replace(`askWithin: "${day} 09:00-10:00 UTC"`, 'askWithin: "Mon-Sun 00:00-24:00 UTC"'));
      daemon.signal('SIGHUP');
      await daemon.waitForMessage('Configuration reloaded');
      daemon.signal('SIGUSR2');
      const request = await waitForEvent(daemon, 'action-required');
      expect(request.detail).toContain('Label it exactly:');
      expect((await readPolicy(dir, 'cutover-runbooks')).state.assist).toMatchObject({ asked: true });
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
    expect(daemon.entries.filter((e) => e.event === 'action-required')).toHaveLength(1);
  });
});
