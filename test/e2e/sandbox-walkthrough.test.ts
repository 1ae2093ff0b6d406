import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { capturedOutput, DaemonProcess } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { waitForEvent } from '../helpers/saas.js';
import { eventually } from '../helpers/sinks.js';
import { tempDir } from '../helpers/workspace.js';

const run = promisify(execFile);
/** Where the README's lines keep state, and the sandbox's documented first port: the test moves both, so nothing of the reader's is touched. */
const README_STATE = 'state/gladly-example';
const README_BASE_PORT = 4701;
/** A step the reader does in a browser: the walk-through says it as a comment. */
const BROWSER_STEP = '# Browser:';

/** The commands of one README walk-through (between its markers), comments and blank lines left out, browser steps kept. */
async function walkthrough(marker: string): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const block = new RegExp(`<!-- ${marker}:start -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- ${marker}:end -->`).exec(readme)?.[1];
  expect(block, `README.md has the walk-through ${marker}`).toBeDefined();
  return block!.split('\n').filter((line) => line.trim() !== '' && (!line.startsWith('#') || line.startsWith(BROWSER_STEP)));
}

/** A README value for a sandbox started on `basePort` instead of 4701: the same, on the moved port. */
function onPort(value: string, basePort: number): string {
  return value.replace(/127\.0\.0\.1:(\d+)/g, (_m, port: string) => `127.0.0.1:${basePort + Number(port) - README_BASE_PORT}`);
}

/** `npm run sandbox` as a reader runs it, on free ports; `output` is everything it printed so far. */
class SandboxRun {
  output = '';
  constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      capturedOutput.push(chunk.toString());
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  /** Resolves with the exports it printed, once it has printed its walk-through pointer. */
  exports(): Promise<Record<string, string>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm run sandbox printed no walk-through pointer:\n${this.output}`)), 180_000);
      const check = (): void => {
        if (!this.output.includes('Walk-through:')) return;
        clearTimeout(timer);
        resolve(Object.fromEntries([...this.output.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!])));
      };
      this.child.stdout?.on('data', check);
      this.child.on('exit', (code) => reject(new Error(`npm run sandbox exited with ${code}:\n${this.output}`)));
    });
  }

  stop(): void {
    // npm starts the sandbox as its child: stop the whole process group, so its ports are free again.
    if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(-this.child.pid, 'SIGTERM');
  }
}

/** Starts the sandbox on six ports in a row from a free one; another test may hold one of them, so a few bases are tried. */
async function startSandbox(): Promise<{ sandbox: SandboxRun; printed: Record<string, string>; basePort: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const basePort = (await freePort()) + 10;
    const sandbox = new SandboxRun(
      spawn('npm', ['run', '--silent', 'sandbox'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, SANDBOX_BASE_PORT: String(basePort) },
      }),
    );
    const printed = await sandbox.exports().catch((error: unknown) => {
      if (attempt >= 5 || !String(error).includes('is in use')) throw error;
      return undefined;
    });
    if (printed) return { sandbox, printed, basePort };
  }
}

/** What a walk-through does around its lines: before a line runs, and with what it printed. */
interface Reader {
  before(line: string, daemon: DaemonProcess): Promise<void>;
  after(line: string, stdout: string): void;
  /** A browser step, with the sandbox whose output the reader reads. */
  browser?(sandbox: SandboxRun): Promise<void>;
}

/**
 * Runs a walk-through's lines: checks its exports against what the sandbox printed, starts the
 * daemon line as a process, runs the others with bash. `env` moves what a test must not share with
 * the reader (state directory, health and API ports).
 */
async function follow(lines: string[], env: Record<string, string>, reader: Reader): Promise<{ daemon: DaemonProcess; sandbox: SandboxRun }> {
  expect(lines[0]).toBe('npm run sandbox');
  const { sandbox, printed, basePort } = await startSandbox();
  running.push(() => sandbox.stop());
  expect(Object.keys(printed).length).toBeGreaterThan(0);
  let daemon: DaemonProcess | undefined;
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
      const started = DaemonProcess.start(daemonLine[1]!, env);
      running.push(() => void started.stop());
      daemon = started;
      continue;
    }
    await reader.before(line, daemon!);
    if (line.startsWith(BROWSER_STEP)) {
      await reader.browser!(sandbox);
      continue;
    }
    const result = await run('bash', ['-c', line.replaceAll(README_STATE, env.ROTAD_STATE_DIR!)], { cwd: ROOT, env: { ...process.env, ...env } });
    reader.after(line, result.stdout);
  }
  return { daemon: daemon!, sandbox };
}

/** Stops what a test started (sandbox, daemon), also when it failed. */
const running: Array<() => void> = [];
afterEach(() => {
  for (const stop of running.splice(0).reverse()) stop();
});

describe('the README walk-throughs in the sandbox', () => {
  it('an assisted Gladly rotation through rotad submit works as written', async () => {
    const lines = await walkthrough('sandbox-walkthrough');
    // A reader's sandbox may be running, and their state/ is theirs: rotad keeps its state in a
    // directory of the test's own, and its health port is not 9750.
    const env: Record<string, string> = { ROTAD_HEALTH_PORT: '0', ROTAD_STATE_DIR: await tempDir() };
    let created = 0;
    const { daemon } = await follow(lines, env, {
      before: async (line, daemon) => {
        // Each step of the person follows rotad's request for it, as a reader waits for the log line.
        if (line.includes('create-token')) await waitForEvent(daemon, 'action-required', created++ === 0 ? 0 : 1, 30_000);
        if (line.includes('delete-older-tokens')) {
          const request = await waitForEvent(daemon, 'action-required', 2, 30_000);
          expect(request.detail).toMatch(/^Delete the Gladly API token of api-user@acme\.example .* that rotad no longer uses/);
        }
        if (line.includes(' status ')) await daemon.waitForMessage('Rotation completed', () => true, 30_000, created - 1);
      },
      after: (line, stdout) => {
        if (line.includes('submit')) expect(stdout).toMatch(/token accepted \(verified with the provider\) and staged/);
        if (line.includes('delete-older-tokens')) expect(stdout).toMatch(/deleted 1 token\(s\) of api-user@acme\.example/);
        if (line.includes(' status ')) expect(stdout).toMatch(/gladly-prod\s+idle\s/);
      },
    });
    expect(daemon.entries.filter((e) => e.msg === 'Rotation completed')).toHaveLength(2);
    expect(daemon.entries.some((e) => e.msg === 'Rotation event' && e.event === 'revocation-confirmed')).toBe(true);
    const account = (await (await fetch(`${env.STACKONE_BASE_URL}/_admin/accounts/acc-gladly`)).json()) as { status: string };
    expect(account.status).toBe('active');
    expect((await daemon.stop()).code).toBe(0);
  }, 300_000);

  it('a token handed over through the page, from the link in the sandbox Slack message, works as written', async () => {
    const lines = await walkthrough('sandbox-handover-walkthrough');
    expect(lines.filter((line) => line.startsWith(BROWSER_STEP))).toHaveLength(1);
    const apiPort = await freePort();
    const env: Record<string, string> = {
      ROTAD_HEALTH_PORT: '0',
      ROTAD_STATE_DIR: await tempDir(),
      ROTAD_API_PORT: String(apiPort),
      ROTAD_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    };
    let token = '';
    let pageSaid = '';
    const browser = await launchChromium();
    running.push(() => void browser.close());
    const { daemon, sandbox } = await follow(lines, env, {
      before: async (line, daemon) => {
        if (line.includes('create-token')) await waitForEvent(daemon, 'action-required', 0, 30_000);
        if (line.includes(' status ')) await daemon.waitForMessage('Rotation completed', () => true, 30_000);
      },
      after: (line, stdout) => {
        if (line.includes('create-token')) token = stdout.trim();
        if (line.includes(' status ')) expect(stdout).toMatch(/gladly-prod\s+idle\s/);
      },
      browser: async (sandbox) => {
        // The reader opens the link of the Slack message the sandbox printed.
        let link: string | undefined;
        await eventually(() => (link = /^\s+Hand-over page: (\S+)$/m.exec(sandbox.output)?.[1]) !== undefined, 30_000);
        expect(link!.startsWith(`http://127.0.0.1:${apiPort}/`)).toBe(true);
        const page = await browser.newPage();
        await page.goto(link!);
        await page.waitForSelector('#request:not([hidden])', { timeout: 20_000 });
        await page.fill('#token', token);
        await page.click('button:has-text("Hand it over")');
        await page.waitForSelector('#status.accepted, #status.refused', { timeout: 20_000 });
        pageSaid = (await page.textContent('#status')) ?? '';
        await page.close();
      },
    });
    expect(pageSaid).toMatch(/accepted/i);
    expect(sandbox.output).toMatch(/Slack message \(\d\d:\d\d:\d\d UTC\):\n {2}:rotating_light: Action required: `gladly-prod`/);
    expect(daemon.entries.filter((e) => e.msg === 'Rotation completed')).toHaveLength(1);
    // The token went through a browser and a chat stand-in: neither the sandbox nor rotad printed it.
    expect(token).toMatch(/\S{16,}/);
    expect(sandbox.output).not.toContain(token);
    expect(daemon.lines.join('\n')).not.toContain(token);
    expect((await daemon.stop()).code).toBe(0);
  }, 300_000);
});
