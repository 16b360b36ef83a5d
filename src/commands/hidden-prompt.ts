import { Fido2Error } from '../errors.js';
import { EMPTY_LINE, editLine, type LineState } from './line-editor.js';

/**
 * Reads one line from the terminal without echoing it. Written by hand because
 * readline echoes input; a PIN must never appear on screen or in scrollback.
 * The editing keys are line-editor.ts.
 */
export function hiddenPrompt(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    // Raw before the question shows, so a Ctrl-C typed at the visible prompt arrives here as \u0003.
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    output.write(question);
    input.resume();
    input.setEncoding('utf8');
    let line: LineState = EMPTY_LINE;
    const finish = (err?: Error): void => {
      input.setRawMode(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      process.removeListener('SIGINT', onSigint);
      output.write('\n');
      if (err) reject(err);
      else resolve(line.value);
    };
    const onData = (chunk: string): void => {
      const { state, end } = editLine(line, chunk);
      line = state;
      if (end?.kind === 'enter') return finish();
      if (end?.kind === 'cancel') return finish(new Fido2Error('cancelled', 'Cancelled; nothing was changed.'));
      if (end?.kind === 'refused') {
        return finish(
          new Fido2Error('usage', `The PIN typed included ${end.reason}, which the hidden prompt cannot edit with; nothing was sent to the key. Run the command again and type the PIN (Backspace, Ctrl-U and Ctrl-W work).`),
        );
      }
    };
    // A SIGINT from elsewhere (kill -INT) also ends the prompt, instead of leaving it waiting.
    const onSigint = (): void => finish(new Fido2Error('cancelled', 'Cancelled; nothing was changed.'));
    process.on('SIGINT', onSigint);
    input.on('data', onData);
  });
}
