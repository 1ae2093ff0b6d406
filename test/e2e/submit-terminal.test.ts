import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { capturedOutput, DaemonProcess, expectNoSecretsInOutput } from '../helpers/daemon.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { waitForEvent, writeSaasConfig } from '../helpers/saas.js';
import { tempDir } from '../helpers/workspace.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';

/** Runs `rotad submit` on a real pseudo-terminal (util-linux `script`), typing `token` once the prompt shows. */
function submitOnTerminal(config: string, policy: string, token: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve) => {
    const command = `${process.execPath} ${CLI} submit ${policy} --config ${config}`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let typed = false;
    const onData = (chunk: Buffer): void => {
      screen += chunk.toString();
      if (!typed && screen.includes('input hidden')) {
        typed = true;
        // Typed as soon as the prompt shows: rotad turns the terminal's echo off before printing it.
        child.stdin.write(`${token}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      capturedOutput.push(screen);
      resolve({ code, screen });
    });
  });
}

describe('rotad submit on a terminal', () => {
  it('prompts, reads the token with echo off, and accepts it', async () => {
    const gladly = await new GladlyServer('acme').start();
    gladly.addUser('api@acme.test');
    const dir = await tempDir();
    const config = await writeSaasConfig(
      dir,
      `
  - name: gladly-tty
    provider: { type: gladly, organization: acme, email: api@acme.test, baseUrl: "${gladly.url}" }
    schedule: { every: 90d }`,
    );
    const daemon = DaemonProcess.start(config);
    try {
      await waitForEvent(daemon, 'action-required');
      const token = gladly.createToken('api@acme.test').value;
      const { code, screen } = await submitOnTerminal(config, 'gladly-tty', token);
      expect(screen).toContain('Paste the new token for gladly-tty (input hidden)');
      expect(screen).toContain('token accepted');
      expect(screen.includes(token), 'the token was echoed on the terminal').toBe(false);
      expect(code).toBe(0);
      await daemon.waitFor((e) => e.msg === 'Rotation completed');
      expectNoSecretsInOutput([token]);
    } finally {
      await daemon.stop();
      await gladly.stop();
    }
  });
});
