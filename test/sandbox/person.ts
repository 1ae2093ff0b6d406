// `npm run sandbox:person -- PROVIDER ACTION ARGS`: what the person asked by rotad does in the
// vendor's UI, done against the sandbox (`npm run sandbox`) through its admin routes.
const [provider, action, ...args] = process.argv.slice(2);

function baseUrl(name: string): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: export the lines npm run sandbox printed`);
  return url;
}

async function admin(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}/_admin/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: the sandbox answered ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

type Token = { id: string; name?: string; label?: string; createdAt?: string; created_at?: string; expires_at?: string };

const ACTIONS: Record<string, (...a: string[]) => Promise<string>> = {
  'gladly create-token': async (email) => ((await admin(baseUrl('GLADLY_BASE_URL'), 'POST', `users/${email}/tokens`)) as { token: string }).token,
  'gladly tokens': async (email) =>
    ((await admin(baseUrl('GLADLY_BASE_URL'), 'GET', `users/${email}/tokens`)) as Token[]).map((t) => `${t.id}  ${t.name}  created ${t.createdAt}`).join('\n'),
  'gladly delete-older-tokens': async (email) => {
    const tokens = (await admin(baseUrl('GLADLY_BASE_URL'), 'GET', `users/${email}/tokens`)) as Token[];
    const older = tokens.slice(0, -1);
    for (const token of older) await admin(baseUrl('GLADLY_BASE_URL'), 'DELETE', `users/${email}/tokens/${token.id}`);
    return `deleted ${older.length} token(s) of ${email}; kept ${tokens.at(-1)?.id ?? 'none'}`;
  },
  'gorgias reset': async (email) => ((await admin(baseUrl('GORGIAS_BASE_URL'), 'POST', `users/${email}/reset`)) as { key: string }).key,
  'cutover create-token': async (user, label, days) =>
    (
      (await admin(baseUrl('CUTOVER_BASE_URL'), 'POST', `users/${user}/tokens`, { label, expiresInDays: days === undefined ? undefined : Number(days) })) as {
        token: string;
      }
    ).token,
  'cutover tokens': async (user) =>
    ((await admin(baseUrl('CUTOVER_BASE_URL'), 'GET', `users/${user}/tokens`)) as Token[])
      .map((t) => `${t.id}  ${t.label}  expires ${t.expires_at}`)
      .join('\n'),
};

const run = ACTIONS[`${provider} ${action}`];
if (!run || args.some((a) => a === '')) {
  process.stderr.write(`usage: npm run --silent sandbox:person -- ${Object.keys(ACTIONS).join(' | ')} ARGS (see npm run sandbox)\n`);
  process.exit(2);
}
run(...args).then(
  (text) => process.stdout.write(`${text}\n`),
  (error: unknown) => {
    process.stderr.write(`sandbox:person: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
