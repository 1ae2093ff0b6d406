import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface JsonRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Serialised as JSON when present. */
  body?: unknown;
  /** A body already serialised (sent byte for byte, e.g. because it was signed); wins over `body`. */
  rawBody?: string;
  timeoutMs: number;
  /** PEM CA bundle for https:// (in addition to none: it replaces the system roots when set). */
  ca?: string | undefined;
  /** Aborts the request (the caller lost the policy's lease): it rejects at once, its socket closed. */
  signal?: AbortSignal | undefined;
}

export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  /** True when there was a body and it was not JSON (an HTML error page from a proxy, say). */
  malformed?: boolean;
}

/** A request that never reached an answer: refused, reset, timed out, TLS failure. */
export class NetworkError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'NetworkError';
  }
}

/**
 * One JSON request over node:http(s). Plain HTTP only when the URL says http://. Resolves with
 * any HTTP status; rejects with NetworkError only when no answer came.
 */
export function jsonRequest(options: JsonRequest): Promise<JsonResponse> {
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const send = options.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      options.url,
      {
        method: options.method,
        headers,
        timeout: options.timeoutMs,
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(new NetworkError(error.message, { cause: error })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          let malformed = false;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
            malformed = true;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, malformed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new NetworkError(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (options.signal?.aborted) return reject(new NetworkError('stopped: this rotad no longer holds the policy', { cause: error }));
      reject(error instanceof NetworkError ? error : new NetworkError(error.code ?? error.message, { cause: error }));
    });
    req.end(payload);
  });
}
