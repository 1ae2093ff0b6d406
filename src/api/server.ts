import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ResolvedApi } from '../config/normalize.js';
import { durationMs } from '../duration-text.js';
import { RotadError } from '../errors.js';
import type { ControlPort } from './control-port.js';
import { registerControlRoutes } from './control-routes.js';
import { registerHandoverRoutes } from './handover-routes.js';
import { registerGithubLeakRoute } from './github-leaks.js';
import { registerGitguardianLeakRoute } from './gitguardian-leaks.js';
import { registerDashboard } from './dashboard/routes.js';
import { registerSlackInteractions } from './slack-interactions.js';
import { sendError } from './http-errors.js';
import { loadApiTokens } from './tokens.js';

/** The largest body any route takes (a token and a link secret with room to spare). */
const BODY_LIMIT_BYTES = 16 * 1024;
/** Headers must arrive within this (and the whole request within `requestTimeout`). */
const HEADERS_TIMEOUT_MS = 10_000;
/** An idle kept-alive connection is closed after this; a connection silent this long mid-request too. */
const KEEP_ALIVE_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;
/** How often the server looks for requests past their time (Node's default is 30 s). */
const CHECK_INTERVAL_MS = 1_000;

/**
 * The listener, with limits against clients that hold connections: headers and the whole request
 * within their time, idle connections closed, and at most `maxConnections` at once (more are closed
 * as they arrive). The health port is a server of its own, untouched by any of this.
 */
function limitedServer(api: ResolvedApi, https: HttpsOptions | undefined) {
  const requestTimeout = durationMs(api.requestTimeout);
  const limits = {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    keepAliveTimeout: KEEP_ALIVE_MS,
    connectionsCheckingInterval: CHECK_INTERVAL_MS,
  };
  return (handler: RequestListener): Server => {
    const server = https ? createHttpsServer({ ...https, ...limits }, handler) : createHttpServer(limits, handler);
    server.maxConnections = api.maxConnections;
    server.setTimeout(IDLE_TIMEOUT_MS, (socket) => socket.destroy());
    return server;
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new RotadError('CONFIG_INVALID', `daemon.api.tls.${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** What a framework error means for the caller, in the error catalogue's terms; never echoes the body. */
function requestError(error: FastifyError): { status: number; error: RotadError } | undefined {
  if (error.statusCode === 429) return { status: 429, error: new RotadError('RATE_LIMITED', error.message) };
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, error: new RotadError('REQUEST_INVALID', `the body is larger than ${BODY_LIMIT_BYTES} bytes`) };
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, error: new RotadError('REQUEST_INVALID', 'send the body as application/json') };
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return { status: error.statusCode, error: new RotadError('REQUEST_INVALID', 'the body is not valid JSON') };
  return undefined;
}

/**
 * Which addresses to trust for `X-Forwarded-For`: the first `hops` from the connection (the
 * ingress and proxies in front). fastify 5 treats a bare hop count as "trust nothing" (it cannot
 * check the peer), so the count is given as a function of the hop's position. Sound only when the
 * listener is reachable through those proxies alone (docs/api.md says so).
 */
function trustHops(hops: number): false | ((address: string, hop: number) => boolean) {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

/**
 * Starts the control API and hand-over page (`daemon.api`): fastify with helmet's headers (a strict
 * Content-Security-Policy, no framing, no referrer), `Cache-Control: no-store` on every answer, a
 * body limit, a rate limit per client, bearer tokens for /v1 and TLS (optionally mutual) from files.
 */
export async function startApiServer(api: ResolvedApi, control: ControlPort): Promise<{ port: number; close(): Promise<void> }> {
  const tokens = loadApiTokens(api);
  const https = api.tls && {
    cert: readPem(api.tls.cert, 'cert'),
    key: readPem(api.tls.key, 'key'),
    ...(api.tls.clientCa === undefined ? {} : { ca: readPem(api.tls.clientCa, 'clientCa'), requestCert: true, rejectUnauthorized: true }),
  };
  const options = {
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustHops(api.trustedProxies),
    serverFactory: limitedServer(api, https || undefined),
  };
  const app = Fastify(options as unknown as FastifyServerOptions) as unknown as FastifyInstance;
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(rateLimit, {
    global: true,
    max: api.requestsPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `too many requests from this client; retry in ${context.after}`,
    }),
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof RotadError) return sendError(reply, error);
    const known = requestError(error);
    if (known) return reply.code(known.status).send({ code: known.error.code, message: known.error.message });
    control.logger.error({ error: error.message }, 'Control API request failed');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error; see the daemon log' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: 'REQUEST_INVALID', message: 'no such endpoint; see docs/api.md' }));
  registerControlRoutes(app, tokens, control);
  registerHandoverRoutes(app, api, control);
  registerGithubLeakRoute(app, api, control);
  registerGitguardianLeakRoute(app, api, control);
  registerSlackInteractions(app, api, control);
  if (api.dashboard.enabled) registerDashboard(app, api, tokens, control);
  await app.listen({ host: api.host, port: api.port });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : api.port, close: () => app.close() };
}
