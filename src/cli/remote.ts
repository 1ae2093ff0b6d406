import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ERROR_CODES, RotadError, type ErrorCode } from '../errors.js';
import { registerSecretValue } from '../secret.js';

/** A daemon's control API, as `--server URL` names it, with the caller's token and CA. */
export interface RemoteDaemon {
  url: URL;
  token: string;
  ca?: Buffer | undefined;
  /** A client certificate and key, for a daemon that asks for one (daemon.api.tls.clientCa). */
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

/** Where the CLI's TLS material comes from (--ca-file, --cert-file, --key-file). */
interface TlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** The token from --token-file, else $ROTAD_API_TOKEN; never from the command line. */
export function remoteDaemon(server: string, tokenFile: string | undefined, tls: TlsFiles, env: NodeJS.ProcessEnv = process.env): RemoteDaemon {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new RotadError('USAGE_INVALID', `--server ${server} is not a URL; expected e.g. https://rotad.internal:9760`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RotadError('USAGE_INVALID', `--server must be an http:// or https:// URL, got ${url.protocol}`);
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new RotadError('USAGE_INVALID', `cannot read ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const token = (tokenFile === undefined ? env.ROTAD_API_TOKEN : read(tokenFile, '--token-file'))?.trim();
  if (!token) throw new RotadError('USAGE_INVALID', '--server needs an API token: set ROTAD_API_TOKEN or pass --token-file FILE');
  registerSecretValue(token);
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new RotadError('USAGE_INVALID', '--cert-file and --key-file go together');
  const pem = (path: string | undefined, what: string): Buffer | undefined => (path === undefined ? undefined : Buffer.from(read(path, what)));
  return { url, token, ca: pem(tls.ca, '--ca-file'), cert: pem(tls.cert, '--cert-file'), key: pem(tls.key, '--key-file') };
}

/** An error body of the API (`{ code, message }`) as the error it stands for. */
function errorOf(status: number, body: unknown): RotadError {
  const { code, message } = (body ?? {}) as { code?: string; message?: string };
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) && typeof message === 'string')
    return new RotadError(code as ErrorCode, message);
  return new RotadError('SERVER_UNREACHABLE', `the server answered HTTP ${status} without a rotad error body; is --server the rotad API?`);
}

/** Calls one endpoint; resolves with the JSON answer of a 2xx (or of `accept`ed statuses), rejects with the API's error otherwise. */
export function callDaemon(remote: RemoteDaemon, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const target = new URL(path.replace(/^\//, ''), remote.url.href.endsWith('/') ? remote.url : `${remote.url.href}/`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        headers: {
          authorization: `Bearer ${remote.token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        ...(remote.ca ? { ca: remote.ca } : {}),
        ...(remote.cert && remote.key ? { cert: remote.cert, key: remote.key } : {}),
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(
              new RotadError(
                'SERVER_UNREACHABLE',
                `${target.origin} answered HTTP ${response.statusCode} with a body that is not JSON; is --server the rotad API?`,
              ),
            );
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(errorOf(status, parsed));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new RotadError(
          'SERVER_UNREACHABLE',
          `cannot reach ${target.origin}: ${error.code ?? error.message}${error.code?.startsWith('ERR_TLS') || error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || error.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || error.code === 'SELF_SIGNED_CERT_IN_CHAIN' ? ' (pass the CA that signed its certificate with --ca-file)' : ''}`,
        ),
      ),
    );
    req.end(payload);
  });
}
