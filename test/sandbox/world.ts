import { CutoverServer } from '../adapters/providers/cutover/stand-in.js';
import { GladlyServer } from '../adapters/providers/gladly/stand-in.js';
import { GorgiasServer } from '../adapters/providers/gorgias/stand-in.js';
import { StackOneServer } from '../adapters/consumers/stackone-account/stand-in.js';
import { SlackServer } from '../adapters/notifiers/slack/stand-in.js';
import { TokensApiServer } from '../adapters/providers/http/stand-in.js';

/** Where `npm run sandbox` listens: this port and the next five (SANDBOX_BASE_PORT overrides it). */
export const SANDBOX_BASE_PORT = 4701;

/** The StackOne API key the sandbox's StackOne accepts (a stand-in, not a secret). */
export const SANDBOX_STACKONE_KEY = 'sandbox-stackone-key';

/** The control-API token config/examples/handover-page.yaml reads, for a try-out (production: openssl rand -hex 32). */
export const SANDBOX_OPS_TOKEN = 'sandbox-ops-token-not-a-secret';

/**
 * The SaaS stand-ins the examples in config/examples talk to, seeded with the organization,
 * users, webhook and linked account those files name. Used by `npm run sandbox` (fixed ports, so
 * the README's exports are right) and by the example tests (free ports).
 */
export interface Sandbox {
  gladly: GladlyServer;
  gorgias: GorgiasServer;
  cutover: CutoverServer;
  stackone: StackOneServer;
  acme: TokensApiServer;
  /** Slack's incoming webhook, for config/examples/handover-page.yaml: `npm run sandbox` prints what arrives. */
  slack: SlackServer;
  /** The environment the example configs read, for these servers. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Fixed ports from `basePort` on (Gladly, Gorgias, Cutover, StackOne, the token API, Slack), or free ones with 0. */
export async function startSandbox(basePort = 0): Promise<Sandbox> {
  const gladly = new GladlyServer('acme');
  const gorgias = new GorgiasServer('acme');
  const cutover = new CutoverServer('https://acme.cutover.com');
  const stackone = new StackOneServer(SANDBOX_STACKONE_KEY);
  const acme = new TokensApiServer();
  const slack = new SlackServer();
  const servers = [gladly, gorgias, cutover, stackone, acme, slack];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    await Promise.all(servers.map((server, i) => server.start(basePort === 0 ? 0 : basePort + i)));
  } catch (error) {
    await stop();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE' ? `a sandbox port (${basePort}–${basePort + servers.length - 1}) is in use: is another sandbox running?` : String(error),
      { cause: error },
    );
  }
  for (const user of ['api-user@acme.example', 'stackone@acme.example']) gladly.addUser(user);
  gladly.webhooks.set('wh-orders', { id: 'wh-orders', url: 'https://hooks.acme.example/orders', enabled: true });
  stackone.accounts.set('acc-gladly', { id: 'acc-gladly', provider: 'gladly', credentials: {}, status: 'inactive' });
  const bootstrap = acme.create('bootstrap').value;
  return {
    gladly,
    gorgias,
    cutover,
    stackone,
    acme,
    slack,
    stop,
    env: {
      GLADLY_BASE_URL: gladly.url,
      GORGIAS_BASE_URL: gorgias.url,
      CUTOVER_BASE_URL: cutover.url,
      STACKONE_BASE_URL: stackone.url,
      STACKONE_API_KEY: SANDBOX_STACKONE_KEY,
      ACME_BASE_URL: acme.url,
      ACME_BOOTSTRAP_TOKEN: bootstrap,
      SLACK_WEBHOOK_URL: slack.webhookUrl,
      ROTAD_OPS_TOKEN: SANDBOX_OPS_TOKEN,
      // Minutes of grace and checks are right for production, long for a try-out.
      GLADLY_GRACE: '5s',
    },
  };
}
