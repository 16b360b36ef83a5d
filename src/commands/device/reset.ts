/**
 * `fido2-manage reset [--yes] [--no-replug]`: the guided reset of
 * src/operations/reset.ts, with the confirmation asked on the terminal and
 * each step of the replug said on stderr.
 */
import { confirmOnTerminal } from '../terminal-question.js';
import type { DiscoveryDeps } from '../../devices/discovery.js';
import { guidedReset, RESET_ERASES, type ReplugEvent } from '../../operations/reset.js';
import { onInterrupt } from '../interrupt.js';
import { currentKeyContext } from '../key-context.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { notice, report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { withSession } from '../session.js';
import { formatDevice } from './list.js';

export { RESET_ERASES };

export interface ResetOptions {
  yes?: boolean;
  /** commander's --no-replug sets this to false. */
  replug?: boolean;
}

/** Test seams: the device list, how keys open, and the clock of the replug watch. */
export interface ResetDeps extends DiscoveryDeps {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  replugTimeoutMs?: number;
  /** Stands in for the TCP "is it listening" probe. */
  tcpUp?: (host: string, port: number) => Promise<boolean>;
}

function confirmed(yes: boolean | undefined): Promise<boolean> {
  return confirmOnTerminal(yes, `A reset erases ${RESET_ERASES}. It cannot be undone.`, `reset erases ${RESET_ERASES}; pass --yes to confirm when not on a terminal.`, { typeYes: true });
}

function sayReplug(e: ReplugEvent): void {
  if (e.phase === 'waiting-unplug' && e.kind === 'usb') notice(`Unplug the key now (${formatDevice(e.device)}), then plug it back in.`);
  else if (e.phase === 'waiting-unplug' && e.kind === 'card') notice(`Take the key off the reader (${e.reader}), then put it back on.`);
  else if (e.phase === 'waiting-unplug') {
    notice(`Restart the software key at ${e.selector} now: its power cycle stands in for unplugging it (for \`fido2-manage sim\`, kill -USR1 its process).`);
  } else if (e.phase === 'unplugged') notice('The key is out. Plug it back in now, and touch it when it blinks.');
}

export async function runReset(o: ResetOptions, g: GlobalOptions, deps: ResetDeps = {}): Promise<void> {
  // Ctrl-C until the key is open ends the wait (exit 130, nothing sent); from then on the session handles it.
  // On several keys at once the run's own Ctrl-C handling covers this key (key-context.ts).
  const many = currentKeyContext();
  const interrupt = many ? { signal: many.signal, dispose: () => undefined } : onInterrupt();
  try {
    const result = await guidedReset(g.device, {
      ...deps,
      timeoutMs: timeoutMs(g),
      signal: interrupt.signal,
      noReplug: o.replug === false,
      describe: formatDevice,
      confirm: () => confirmed(o.yes),
      onReplug: sayReplug,
      onLongTouch: (what) => notice(`This key needs a long touch for a reset: ${what}.`),
      onWaiting: (n, skipped, watching) => {
        for (const s of skipped) notice(`Not asked: ${s}`);
        if (n === 0 && watching) notice('Put the key on a PC/SC reader (or plug it in) to use it...');
        else notice(n === 1 ? 'Touch the key to use it...' : `Touch the key you mean (${n} keys are waiting for a touch)...`);
      },
      run: (open, fn) => {
        interrupt.dispose();
        return withSession(g, fn, open ? { open } : {});
      },
    });
    report(g.json, { device: result.device, reset: true, ...beforeAfter(result.before, result.after) }, 'The key was reset: no PIN, no passkeys, no fingerprints, default settings.');
  } finally {
    interrupt.dispose();
  }
}
