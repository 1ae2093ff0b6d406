import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { closeServer, listenLocal } from './ports.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as sent (signatures are over these bytes). */
  body: string;
}

/** A local HTTP server that records every request and answers with the next status of `statuses` (then 204). */
export class HttpSink {
  readonly received: Received[] = [];
  statuses: number[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => {
        body += c.toString();
      });
      request.on('end', () => {
        this.received.push({ path: request.url ?? '', headers: request.headers, body });
        response.writeHead(this.statuses.shift() ?? 204).end();
      });
    });
    this.url = await listenLocal(this.#server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  json(): Array<Record<string, unknown>> {
    return this.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }
}

/** A local SMTP server that accepts every message and keeps its raw text. */
export class SmtpSink {
  readonly messages: string[] = [];
  #server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<this> {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData: (stream, _session, callback) => {
        let text = '';
        stream.on('data', (c: Buffer) => {
          text += c.toString();
        });
        stream.on('end', () => {
          this.messages.push(text);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** Polls until `done()` (which may be async) or the timeout. */
export async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
