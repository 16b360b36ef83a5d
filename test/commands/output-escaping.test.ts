import { afterEach, describe, expect, it, vi } from 'vitest';
import { keyName, progressText } from '../../src/commands/fleet/progress.js';
import { type KeyContext, runInKeyContext } from '../../src/commands/key-context.js';
import { notice, printJson, printLine, report } from '../../src/commands/output.js';
import { processPinIo } from '../../src/commands/pin-input.js';
import type { Target } from '../../src/fleet/selection.js';

const HOSTILE = 'bob\x1b[2J\nforged\u202e';
const SHOWN = 'bob\\x1b[2J\\x0aforged\\u202e';

afterEach(() => vi.restoreAllMocks());

function captured(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  return out;
}

describe('the output layer escapes text, not JSON', () => {
  it('printLine, report and notice on one key', () => {
    const out = captured();
    printLine(`Name: ${HOSTILE}`);
    report(false, {}, `Deleted ${HOSTILE}.`);
    notice(`Touch ${HOSTILE}`);
    printJson({ name: HOSTILE });
    expect(out.slice(0, 3)).toEqual([`Name: ${SHOWN}\n`, `Deleted ${SHOWN}.\n`, `Touch ${SHOWN}\n`]);
    // JSON keeps the exact string (printJson names the command, none here).
    expect(JSON.parse(out[3]!)).toEqual({ command: null, name: HOSTILE });
  });

  it('what a key prints on several keys is captured escaped, for the per-key table', async () => {
    const k: KeyContext = { signal: new AbortController().signal, io: processPinIo(), json: [], lines: [], notices: [], onTouch: () => undefined };
    await runInKeyContext(k, async () => {
      printLine(HOSTILE);
      notice(HOSTILE);
      printJson({ name: HOSTILE });
    });
    expect(k.lines).toEqual([SHOWN]);
    expect(k.notices).toEqual([SHOWN]);
    expect(k.json).toEqual([{ name: HOSTILE }]);
  });

  it('the live progress lines escape a key\'s label and detail', () => {
    const target = { number: 1, label: HOSTILE, selector: 'x' } as unknown as Target;
    expect(keyName(target)).toBe(`key 1 (${SHOWN})`);
    expect(progressText({ target, phase: 'failed', detail: HOSTILE } as Parameters<typeof progressText>[0])).toBe(`key 1 (${SHOWN}): failed: ${SHOWN}`);
  });
});
