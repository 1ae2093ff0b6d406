import { DurationText } from '../duration-text.js';
import { z } from 'zod';
import { EnvName } from '../env-name.js';

/** What an API token may do: read status, request rotations, hand tokens over, roll back, ask for incident rotations, report leaks. */
const API_SCOPES = ['read', 'rotate', 'submit', 'rollback', 'incident', 'leak'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A bearer token of the control API: its value comes from a file or the environment, never from the YAML. */
const ApiToken = z
  .strictObject({
    /** Who holds it; the audit trail records it as the actor (`api:<name>`). */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: 'expected a name of lowercase letters, digits, ".", "_" and "-"' }),
    /** File holding the token (a mounted Kubernetes secret); relative to the config file. */
    file: z.string().min(1).optional(),
    /** Environment variable holding the token. */
    env: EnvName.optional(),
    scopes: z.array(z.enum(API_SCOPES)).min(1, { error: `give at least one scope of ${API_SCOPES.join(', ')}` }),
  })
  .refine((token) => (token.file === undefined) !== (token.env === undefined), {
    error: 'set exactly one of file or env (the token itself never goes in the YAML)',
  });

/** A Slack user (U…, W…) or user group (S…) id. */
const SlackId = z.string().regex(/^[UWS][A-Z0-9]{6,}$/, { error: 'a Slack user id (U…, W…) or user group id (S…), as shown in the profile or group details' });

export const ApiOptions = z.strictObject({
  /** Listen address. Default: 127.0.0.1 (put an ingress or proxy in front to expose it). */
  host: z.string().default('127.0.0.1'),
  /** TCP port, separate from daemon.health. Default: 9760. */
  port: z.int().min(0).max(65535).default(9760),
  /**
   * The address people open, as they reach it (the ingress), e.g. https://rotad.example.com.
   * Hand-over links in notifications start with it; without it no link is sent.
   */
  publicUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// address' }).optional(),
  /** Serve HTTPS with this certificate and key (PEM files, relative to the config file). */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      /** Require client certificates signed by this CA (mutual TLS). */
      clientCa: z.string().min(1).optional(),
    })
    .optional(),
  tokens: z.array(ApiToken).default([]),
  /** Refused tokens one hand-over link takes before it is locked. Default: 5. */
  handoverTries: z.int().min(1).max(20).default(5),
  /**
   * Trust X-Forwarded-For from this many proxies in front (the ingress), so that rate limits apply
   * per person, not per ingress. Default: 0 (the connection's address).
   */
  trustedProxies: z.int().min(0).max(5).default(0),
  /** Requests one client address may make per minute (the page and the API together). Default: 60. */
  requestsPerMinute: z.int().min(1).max(10_000).default(60),
  /**
   * Connections the listener holds at once; more are closed as they arrive (the health port and
   * rotations are not affected). Default: 256.
   */
  maxConnections: z.int().min(1).max(100_000).default(256),
  /**
   * The longest a client may take to send one whole request, headers and body (slower ones are
   * cut off, so slow senders cannot hold connections). Default: 15s.
   */
  requestTimeout: DurationText.default('15s'),
  /**
   * The read-only web dashboard at /ui/ (docs/api.md, "Dashboard"): sign in with an API token of
   * scope read; rotate and roll back from it with tokens that have those scopes.
   */
  dashboard: z
    .strictObject({
      /** Serve it. Default: true (it shows nothing without a token). */
      enabled: z.boolean().default(true),
      /** How long a sign-in lasts (a session is kept in the daemon's memory: a restart signs everyone out). Default: 8h. */
      session: DurationText.default('8h'),
    })
    .default({ enabled: true, session: '8h' }),
  /**
   * Slack buttons (docs/chat-ops.md): clicks on rotad's messages arrive at POST
   * /v1/slack/interactions, signed with the Slack app's signing secret; each action is allowed to
   * the Slack users (U…, W…) and user groups (S…) listed under the API scope it needs.
   */
  slack: z
    .strictObject({
      /** Environment variable with the app's signing secret. */
      signingSecretEnv: EnvName,
      /** Environment variable with the app's bot token: needed to read the members of the user groups listed (usergroups:read). */
      botTokenEnv: EnvName.optional(),
      /** Slack's Web API. Default: https://slack.com/api. */
      apiUrl: z.url({ protocol: /^https?$/ }).default('https://slack.com/api'),
      /** Who may press which button, by API scope: submit ("Remind me", "I deleted it"), rotate ("Rotate now"), rollback ("Roll back"). */
      allow: z
        .strictObject({
          submit: z.array(SlackId).default([]),
          rotate: z.array(SlackId).default([]),
          rollback: z.array(SlackId).default([]),
        })
        .default({ submit: [], rotate: [], rollback: [] }),
    })
    .refine((s) => s.botTokenEnv !== undefined || ![...s.allow.submit, ...s.allow.rotate, ...s.allow.rollback].some((id) => id.startsWith('S')), {
      error: 'a user group (S…) in allow needs botTokenEnv, to read its members',
    })
    .optional(),
  /**
   * GitHub secret scanning: alerts arrive as webhooks at POST /v1/leaks/github (signed with the
   * webhook's secret); rotad reads the leaked value from the alert with a token that may read
   * secret scanning alerts, matches it and rotates (docs/incidents.md).
   */
  github: z
    .strictObject({
      /** Environment variable with the webhook's secret (X-Hub-Signature-256 is checked with it). */
      webhookSecretEnv: EnvName,
      /** Environment variable with a token that may read secret scanning alerts (fine-grained: "Secret scanning alerts: read"). */
      tokenEnv: EnvName,
      /** The REST API, e.g. https://github.example.com/api/v3 for GitHub Enterprise Server. Default: GitHub.com's. */
      apiUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default('https://api.github.com'),
    })
    .optional(),
  /**
   * GitGuardian: incidents arrive from a custom webhook at POST /v1/leaks/gitguardian (signed with
   * its signature token); rotad matches the incident's HasMySecretLeaked hash against every
   * credential it manages, so no value leaves GitGuardian (docs/incidents.md).
   */
  gitguardian: z
    .strictObject({
      /** Environment variable with the custom webhook's signature token (Gitguardian-Signature is checked with it). */
      signatureTokenEnv: EnvName,
    })
    .optional(),
});
export type ApiOptions = z.infer<typeof ApiOptions>;
