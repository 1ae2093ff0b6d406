import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { runCli } from '../../../helpers/daemon.js';
import { freePort } from '../../../helpers/ports.js';
import { waitForEvent } from '../../../helpers/saas.js';
import { eventually, HttpSink } from '../../../helpers/sinks.js';
import { callContext, credential, MATRIX_TIMEOUT, provider } from '../../helpers.js';
import type { AdapterKit, ExampleRun } from '../../kit.js';
import { GladlyServer } from './stand-in.js';

/** A Gladly example whose token a person hands over with rotad submit and rotad passes to StackOne (gladly.yaml, stackone-account.yaml). */
export function gladlyToStackOne(file: string, policy: string, user: string): ExampleRun {
  return {
    files: [file],
    run: async ({ sandbox, start, submit, completed }) => {
      const { daemon, env } = await start(file, {
        GLADLY_BASE_URL: sandbox.gladly.url,
        STACKONE_BASE_URL: sandbox.stackone.url,
        STACKONE_API_KEY: sandbox.env.STACKONE_API_KEY!,
      });
      try {
        await waitForEvent(daemon, 'action-required');
        await submit(file, env, policy, sandbox.gladly.createToken(user).value);
        await completed(daemon, policy);
        expect(sandbox.stackone.accounts.get('acc-gladly')).toMatchObject({ status: 'active' });
      } finally {
        expect((await daemon.stop()).code).toBe(0);
      }
    },
  };
}

export const kit: AdapterKit = {
  kind: 'providers',
  type: 'gladly',
  faultCase: async () => {
    const server = await new GladlyServer('acme').start();
    server.addUser('api@acme.test');
    const token = server.createToken('api@acme.test').value;
    const gladly = provider({ type: 'gladly', organization: 'acme', email: 'api@acme.test', baseUrl: server.url, timeout: MATRIX_TIMEOUT });
    return { name: 'gladly verify', role: 'provider', server, call: () => gladly.verify(callContext, credential(token)), stop: () => server.stop() };
  },
  examples: [
    gladlyToStackOne('config/examples/gladly.yaml', 'gladly-prod', 'api-user@acme.example'),
    {
      // The link in the Slack message takes the token; the CLI reaches the daemon with --server.
      files: ['config/examples/handover-page.yaml'],
      run: async ({ sandbox, start, completed, secrets }) => {
        const slack = await new HttpSink().start();
        const port = await freePort();
        const opsToken = randomBytes(32).toString('hex');
        secrets.push(opsToken);
        const { daemon } = await start('config/examples/handover-page.yaml', {
          GLADLY_BASE_URL: sandbox.gladly.url,
          SLACK_WEBHOOK_URL: slack.url,
          ROTAD_OPS_TOKEN: opsToken,
          ROTAD_API_PORT: String(port),
          ROTAD_PUBLIC_URL: `http://127.0.0.1:${port}`,
        });
        try {
          await eventually(() => slack.received.length > 0, 20_000);
          const message = JSON.stringify(slack.json()[0]);
          const link = /<(http:\/\/127\.0\.0\.1:\d+\/handover\/[^|#]+#[^|]+)\|Open the one-time hand-over page>/.exec(message)?.[1];
          expect(link, message).toBeDefined();
          const [address, secret] = link!.split('#');
          const token = sandbox.gladly.createToken('api-user@acme.example').value;
          secrets.push(token);
          const answer = await fetch(address!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret, token }) });
          expect(answer.status).toBe(200);
          await completed(daemon, 'gladly-prod');
          const status = await runCli(['status', '--server', `http://127.0.0.1:${port}`, '--json'], { ROTAD_API_TOKEN: opsToken });
          expect(JSON.parse(status.stdout)).toMatchObject([{ policy: 'gladly-prod', phase: 'idle' }]);
        } finally {
          expect((await daemon.stop()).code).toBe(0);
          await slack.stop();
        }
      },
    },
  ],
};
