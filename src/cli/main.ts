#!/usr/bin/env node
// The entry point loads almost nothing before it has caught the daemon's signals (early-signals.ts).
import { bufferSignals } from '../daemon/early-signals.js';

if (process.argv[2] === 'run') bufferSignals();
// The pinned AWS SDK runs on Node 20; its notice about future SDK releases is not rotad's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `rotad status | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('./commands.js');
const { describeError, exitCodeOf } = await import('../errors.js');
const { out } = await import('./output.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { code, message } = describeError(error);
    out.error(`rotad: ${code}: ${message}`);
    process.exitCode = exitCodeOf(code);
  },
);
