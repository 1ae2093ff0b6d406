import type { Readable } from 'node:stream';

/**
 * Reads one token from stdin. On a terminal it prompts on stderr and reads with echo off (raw
 * mode), so the token never shows on screen or in scrollback; from a pipe it reads everything.
 * Surrounding whitespace (the final newline) is dropped. Never from argv.
 */
export async function readToken(input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }, prompt: string): Promise<string> {
  if (!input.isTTY || !input.setRawMode) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  // Echo goes off before the prompt shows: whatever is typed once it is visible never echoes.
  input.setRawMode(true);
  process.stderr.write(prompt);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      input.setRawMode?.(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.trim());
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
