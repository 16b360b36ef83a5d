/**
 * Live progress on a terminal: one line per key, redrawn in place as its state
 * changes ("key 3 (serial 1234): touch it"). Off a terminal, only touch
 * requests and failures are written, one line each, so logs stay readable.
 */
import type { FleetEvent } from '../../fleet/runner.js';
import type { Target } from '../../fleet/selection.js';
import { printable } from '../terminal-text.js';

export function keyName(t: Target): string {
  return printable(`key ${t.number} (${t.serial ? `serial ${t.serial}` : t.label})`);
}

const WORDS: Record<FleetEvent['phase'], string> = {
  queued: 'waiting for a free slot',
  waiting: 'waiting',
  working: 'working',
  touch: 'touch it',
  done: 'done',
  failed: 'failed',
};

export function progressText(e: FleetEvent): string {
  const base = WORDS[e.phase];
  return `${keyName(e.target)}: ${e.detail !== undefined ? `${base}: ${printable(e.detail)}` : base}`;
}

export interface Progress {
  onEvent(e: FleetEvent): void;
  /** Clears the live lines so the result table follows them cleanly. */
  finish(): void;
  /**
   * Runs `ask` (a prompt on the terminal) with the live lines cleared and not
   * redrawn, so they cannot draw over the question; they come back below it.
   */
  whilePaused<T>(ask: () => Promise<T>): Promise<T>;
}

export function progressDisplay(targets: readonly Target[], stream: NodeJS.WriteStream = process.stderr): Progress {
  const lines = targets.map((t) => `${keyName(t)}: waiting for a free slot`);
  if (!stream.isTTY) {
    return {
      onEvent: (e) => {
        if (e.phase === 'touch' || e.phase === 'waiting') stream.write(`${progressText(e)}\n`);
      },
      finish: () => undefined,
      whilePaused: (ask) => ask(),
    };
  }
  let drawn = 0;
  let paused = 0;
  let timer: NodeJS.Timeout | undefined;
  const width = (): number => Math.max(20, (stream.columns || 80) - 1);
  const clear = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = (): void => {
    timer = undefined;
    if (paused > 0) return;
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const l of lines) out += `\r\x1b[2K${l.slice(0, width())}\n`;
    drawn = lines.length;
    stream.write(out);
  };
  return {
    onEvent: (e) => {
      lines[e.target.number - 1] = progressText(e);
      // A touch request is drawn at once; other changes at most every 50 ms.
      if (e.phase === 'touch') draw();
      else timer ??= setTimeout(draw, 50);
    },
    finish: clear,
    whilePaused: async (ask) => {
      if (paused++ === 0) clear();
      try {
        return await ask();
      } finally {
        if (--paused === 0) draw();
      }
    },
  };
}
