import { currentKeyContext } from './key-context.js';
import { printable } from './terminal-text.js';

let commandName: string | null = null;

/** The command being run, as typed ("info", "credentials list"); the CLI sets it once it has read the arguments. */
export function setJsonCommand(name: string | null): void {
  commandName = name;
}

/**
 * Every document names its command in `command`, after `ok` and `device`, in one place
 * so that no command can spell it differently (docs/schemas/ checks it).
 */
export function withCommand(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { ok, device, ...rest } = value as Record<string, unknown>;
  return { ok, device, command: commandName, ...rest };
}

/** Stable JSON on stdout: two-space indent, one document per command. */
export function printJson(value: unknown): void {
  const k = currentKeyContext();
  // One key of many: the fleet envelope carries `command` once.
  if (k) return void k.json.push(value);
  process.stdout.write(`${JSON.stringify(withCommand(value), null, 2)}\n`);
}

/**
 * One line of text for people. Every line is escaped (terminal-text.ts): the
 * tool prints its own line breaks as separate lines, so a control character
 * here can only have come from a key or a website. JSON keeps exact strings.
 */
export function printLine(text = ''): void {
  const line = printable(text);
  const k = currentKeyContext();
  if (k) return void k.lines.push(line);
  process.stdout.write(`${line}\n`);
}

/** Progress and prompts go to stderr so stdout stays parseable. */
export function notice(text: string): void {
  const line = printable(text);
  const k = currentKeyContext();
  if (k) return void k.notices.push(line);
  process.stderr.write(`${line}\n`);
}

/** Prints a command's result: the object as JSON, or the sentence for people. */
export function report(json: boolean | undefined, result: Record<string, unknown>, text: string): void {
  if (json) printJson({ ok: true, ...result });
  else printLine(text);
}

/**
 * A reader that stops early (`| head`) closes stdout under us. The command
 * still finishes what it does on the key; only its remaining output is
 * dropped, instead of an EPIPE crash mid-command. Any other write error
 * (a full disk) ends the run with one line.
 */
export function tolerateClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    process.stderr.write(`fido2-manage: cannot write the output (${e.code ?? e.message}); check where stdout goes.\n`);
    process.exit(1);
  });
}
