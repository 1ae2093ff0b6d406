import type { AdapterDefinition } from '../../adapters/definition.js';
import { durationMs } from '../../duration-text.js';
import { RotadError } from '../../errors.js';
import { registerSecretValue } from '../../secret.js';
import { HEADLINES } from '../common.js';
import { secretFrom } from '../http-post.js';
import type { Notifier, RotationEvent } from '../types.js';
import { EmailNotifierOptions } from './schema.js';

function emailText(event: RotationEvent): { subject: string; text: string } {
  const lines = [
    event.message,
    '',
    event.handoverUrl && `One-time hand-over page: ${event.handoverUrl}\n`,
    `Policy:   ${event.policy}`,
    event.rotationId && `Rotation: ${event.rotationId}`,
    event.phase && `Phase:    ${event.phase}`,
    event.code && `Code:     ${event.code}`,
    event.expiresAt !== undefined && `Expires:  ${new Date(event.expiresAt).toISOString()}`,
    `At:       ${new Date(event.at).toISOString()}`,
    '',
    'rotad status shows every policy; docs/errors.md explains each code.',
  ].filter((line) => line !== undefined && line !== false);
  return { subject: `[rotad] ${HEADLINES[event.type]}: ${event.policy}`, text: lines.join('\n') };
}

function createEmailNotifier(options: EmailNotifierOptions): Notifier {
  const timeoutMs = durationMs(options.timeout);
  return {
    notify: async (event) => {
      let auth: { user: string; pass: string } | undefined;
      if (options.username) {
        const pass = secretFrom(options.passwordEnv, () => undefined, 'the SMTP password');
        registerSecretValue(pass);
        auth = { user: options.username, pass };
      }
      // Loaded at the first mail: a daemon without an email notifier never needs it.
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport({
        host: options.host,
        port: options.port,
        secure: options.secure,
        auth,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
      try {
        await transport.sendMail({ from: options.from, to: options.to, ...emailText(event) });
      } catch (error) {
        throw new RotadError('NOTIFIER_FAILED', `SMTP ${options.host}:${options.port}: ${(error as { code?: string }).code ?? (error as Error).message}`, {
          retryable: true,
        });
      } finally {
        transport.close();
      }
    },
  };
}

export const emailNotifier = {
  type: 'email',
  schema: EmailNotifierOptions,
  create: createEmailNotifier,
  requiredEnv: (options) =>
    options.username === undefined ? [] : [{ key: ['passwordEnv'], name: options.passwordEnv, what: `the SMTP password of ${options.username}` }],
} satisfies AdapterDefinition<typeof EmailNotifierOptions, Notifier>;
