import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Webhook bodies (a GitHub delivery carries its repository object): up to this. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * A POST route that gets its JSON body as the text sent: a webhook's signature is over those
 * bytes, which a parse and a new serialisation would not give back.
 */
export function rawJsonPost(app: FastifyInstance, path: string, handle: (raw: string, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post(path, { bodyLimit: WEBHOOK_BODY_LIMIT }, (request, reply) => handle(typeof request.body === 'string' ? request.body : '', request, reply));
  });
}
