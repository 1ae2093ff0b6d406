// `npm run sandbox`: the SaaS stand-ins of the test suite on fixed ports of 127.0.0.1, seeded for
// the examples in config/examples, until Ctrl-C. Prints the environment to export and how to act
// as the person an assisted rotation asks.
import { SANDBOX_BASE_PORT, startSandbox } from './world.js';

const sandbox = await startSandbox(Number(process.env.SANDBOX_BASE_PORT ?? SANDBOX_BASE_PORT)).catch((error: unknown) => {
  process.stderr.write(`sandbox: ${(error as Error).message}\n`);
  process.exit(1);
});
const { env } = sandbox;
const person = 'npm run --silent sandbox:person --';
const cli = 'node dist/cli/main.js';
process.stdout.write(`rotad sandbox: SaaS stand-ins on 127.0.0.1, as the provider pages describe them (Ctrl-C stops them)
  Gladly     ${env.GLADLY_BASE_URL}  organization acme; API users api-user@acme.example, stackone@acme.example; webhook wh-orders
  Gorgias    ${env.GORGIAS_BASE_URL}  account acme; any user email gets a key on reset
  Cutover    ${env.CUTOVER_BASE_URL}  Core-Url https://acme.cutover.com; user 42
  StackOne   ${env.STACKONE_BASE_URL}  linked account acc-gladly
  token API  ${env.ACME_BASE_URL}  (the http provider's example)
  Slack      ${env.SLACK_WEBHOOK_URL}  incoming webhook: each message rotad posts is printed below, with its hand-over link

Export these in each terminal you run rotad in:
${Object.entries(env)
  .map(([name, value]) => `export ${name}=${value}`)
  .join('\n')}

Act as the person rotad asks (each prints only what the vendor's UI would show):
  ${person} gladly create-token EMAIL            create an API token (pipe it into ${cli} submit POLICY -c FILE)
  ${person} gladly tokens EMAIL                  list the user's tokens (id, name, created)
  ${person} gladly delete-older-tokens EMAIL     delete every token but the newest, as rotad's request asks
  ${person} gorgias reset EMAIL                  reset the user's REST API key (the old one stops working)
  ${person} cutover create-token 42 LABEL        create a user app token with the label rotad asks for
  ${person} cutover tokens 42                    list the user's tokens
Walk-through: README.md, "Try the SaaS examples in the sandbox".
`);

// What a Slack channel would show: the message's text, which carries the hand-over link.
sandbox.slack.onMessage = (message) => {
  const at = new Date().toISOString().slice(11, 19);
  process.stdout.write(`\nSlack message (${at} UTC):\n${message.text.replace(/^/gm, '  ')}\n`);
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void sandbox.stop().then(() => process.exit(0));
  });
}
