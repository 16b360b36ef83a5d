import { Fido2Error } from '../errors.js';

/**
 * Reads one line from the terminal without echoing it. Written by hand because
 * readline echoes input; a PIN must never appear on screen or in scrollback.
 */
export function hiddenPrompt(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    // Raw before the question shows, so a Ctrl-C typed at the visible prompt arrives here as \u0003.
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    output.write(question);
    input.resume();
    input.setEncoding('utf8');
    let value = '';
    const finish = (err?: Error): void => {
      input.setRawMode(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      process.removeListener('SIGINT', onSigint);
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new Fido2Error('cancelled', 'Cancelled; nothing was changed.'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    // A SIGINT from elsewhere (kill -INT) also ends the prompt, instead of leaving it waiting.
    const onSigint = (): void => finish(new Fido2Error('cancelled', 'Cancelled; nothing was changed.'));
    process.on('SIGINT', onSigint);
    input.on('data', onData);
  });
}
