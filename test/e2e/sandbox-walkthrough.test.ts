import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { waitForEvent } from '../helpers/saas.js';
import { tempDir } from '../helpers/workspace.js';

const run = promisify(execFile);
/** Where the README's lines keep state, and the sandbox's documented first port: the test moves both, so nothing of the reader's is touched. */
const README_STATE = 'state/gladly-example';
const README_BASE_PORT = 4701;

/** The commands of the README's sandbox walk-through, comments and blank lines left out. */
async function walkthrough(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- sandbox-walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- sandbox-walkthrough:end -->/.exec(readme)?.[1];
  expect(block, 'README.md has the sandbox walk-through').toBeDefined();
  return block!.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** A README value for a sandbox started on `basePort` instead of 4701: the same, on the moved port. */
function onPort(value: string, basePort: number): string {
  return value.replace(/127\.0\.0\.1:(\d+)/g, (_m, port: string) => `127.0.0.1:${basePort + Number(port) - README_BASE_PORT}`);
}

/** `npm run sandbox`, until it has printed its exports; resolves with them. */
function startSandbox(child: ChildProcess): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`npm run sandbox printed no walk-through pointer:\n${out}`)), 180_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('Walk-through:')) return;
      clearTimeout(timer);
      resolve(Object.fromEntries([...out.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!])));
    });
    child.on('exit', (code) => reject(new Error(`npm run sandbox exited with ${code}:\n${out}`)));
  });
}

describe('the README walk-through of an assisted Gladly rotation in the sandbox', () => {
  let sandbox: ChildProcess | undefined;
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    await daemon?.stop();
    // npm starts the sandbox as its child: stop the whole process group, so its ports are free again.
    if (sandbox?.pid !== undefined) process.kill(-sandbox.pid, 'SIGTERM');
  });

  it('works as written', async () => {
    const lines = await walkthrough();
    expect(lines[0]).toBe('npm run sandbox');
    // A reader's sandbox may be running, and their state/ is theirs: the sandbox starts on free
    // ports (SANDBOX_BASE_PORT) and rotad keeps its state in a directory of the test's own.
    const state = await tempDir();
    // Five ports in a row from a free one: another test may hold one of them, so a few bases are tried.
    let basePort = 0;
    let printed: Record<string, string> | undefined;
    for (let attempt = 1; printed === undefined; attempt += 1) {
      basePort = (await freePort()) + 10;
      sandbox = spawn('npm', ['run', '--silent', 'sandbox'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, SANDBOX_BASE_PORT: String(basePort) },
      });
      printed = await startSandbox(sandbox).catch((error: unknown) => {
        if (attempt >= 5 || !String(error).includes('is in use')) throw error;
        return undefined;
      });
    }
    // The health port and the state directory are the only changes: a test must not take 9750.
    const env: Record<string, string> = { ROTAD_HEALTH_PORT: '0', ROTAD_STATE_DIR: state };
    let created = 0;
    for (const line of lines.slice(1)) {
      if (line.startsWith('export ')) {
        for (const [name, value] of line
          .slice(7)
          .split(' ')
          .map((pair) => pair.split('=') as [string, string])) {
          expect(printed[name], `README exports ${name} as npm run sandbox prints it`).toBe(onPort(value, basePort));
          env[name] = printed[name]!;
        }
        continue;
      }
      const daemonLine = /^node dist\/cli\/main\.js run -c (\S+)$/.exec(line);
      if (daemonLine) {
        daemon = DaemonProcess.start(daemonLine[1]!, env);
        continue;
      }
      // Each step of the person follows rotad's request for it, as a reader waits for the log line.
      if (line.includes('create-token')) await waitForEvent(daemon!, 'action-required', created++ === 0 ? 0 : 1, 30_000);
      if (line.includes('delete-older-tokens')) {
        const request = await waitForEvent(daemon!, 'action-required', 2, 30_000);
        expect(request.detail).toMatch(/^Delete the Gladly API token of api-user@acme\.example .* that rotad no longer uses/);
      }
      if (line.includes(' status ')) await daemon!.waitForMessage('Rotation completed', () => true, 30_000, created - 1);
      const result = await run('bash', ['-c', line.replaceAll(README_STATE, state)], { cwd: ROOT, env: { ...process.env, ...env } });
      if (line.includes('submit')) expect(result.stdout).toMatch(/token accepted \(verified with the provider\) and staged/);
      if (line.includes('delete-older-tokens')) expect(result.stdout).toMatch(/deleted 1 token\(s\) of api-user@acme\.example/);
      if (line.includes(' status ')) expect(result.stdout).toMatch(/gladly-prod\s+idle\s/);
    }
    const completed = daemon!.entries.filter((e) => e.msg === 'Rotation completed');
    expect(completed).toHaveLength(2);
    expect(daemon!.entries.some((e) => e.msg === 'Rotation event' && e.event === 'revocation-confirmed')).toBe(true);
    const account = (await (await fetch(`${env.STACKONE_BASE_URL}/_admin/accounts/acc-gladly`)).json()) as { status: string };
    expect(account.status).toBe('active');
    expect((await daemon!.stop()).code).toBe(0);
  }, 300_000);
});
