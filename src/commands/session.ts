import { onInterrupt } from './interrupt.js';
import { openChannel } from '../devices/discovery.js';
import type { KeyChannel } from '../ctap/channel.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { Fido2Error } from '../errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { notice } from './output.js';
import { withDeviceLock } from './device-lock.js';
import { currentKeyContext } from './key-context.js';
import { keyStateFromInfo } from '../operations/settings-plan.js';
import { ChangeGuard } from './change-guard.js';
import { exitCodeFor } from '../exit-codes.js';

/** One open key for the life of one command. */
export interface Session {
  device: KeyChannel;
  ctap: Ctap2;
  label: string;
}

/**
 * Opens the selected key, runs `fn`, and always closes it. Ctrl-C aborts the
 * pending CTAPHID transaction (the HID layer sends CTAPHID_CANCEL) so the key
 * stops waiting for a touch; a second Ctrl-C quits at once. The whole run
 * holds the key's cross-process lock (device-lock.ts).
 */
export interface SessionOptions {
  /** Opens the key another way than by g.device (the guided reset opens the key that came back). */
  open?: (log: ((line: string) => void) | undefined) => Promise<KeyChannel>;
}

export async function withSession<T>(g: GlobalOptions, fn: (s: Session) => Promise<T>, so: SessionOptions = {}): Promise<T> {
  const many = currentKeyContext();
  if (many) return withKeySession(g, many, fn);
  let guard: ChangeGuard | undefined;
  const interrupt = onInterrupt(() => {
    if (!guard?.applied.length) return undefined;
    process.stderr.write(`fido2-manage: quit at once after the key had applied ${guard.applied.join(', ')}; check it with \`fido2-manage info\`.\n`);
    return exitCodeFor('partial');
  });
  let touchAsked = false;
  const onKeepalive = (status: 'processing' | 'upneeded'): void => {
    if (status === 'upneeded' && !touchAsked) {
      touchAsked = true;
      notice('Touch your security key...');
    }
  };
  const log = g.verbose ? (line: string) => process.stderr.write(`[ctaphid] ${line}\n`) : undefined;
  try {
    const run = async (open: () => Promise<KeyChannel>): Promise<T> => {
      let device: KeyChannel | undefined;
      try {
        device = await open();
        if (interrupt.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
        // The guard hands each request the Ctrl-C signal, or not once the key has applied a change (change-guard.ts).
        const g2 = (guard = new ChangeGuard(device, interrupt.signal));
        const ctap = new Ctap2(g2, { onKeepalive });
        try {
          const d = device;
          const result = await underOwnIdentity(g, ctap, interrupt.signal, () => fn({ device: d, ctap, label: d.label }));
          if (g2.pastPointOfNoReturn) notice(g2.finishedNotice());
          return result;
        } catch (e) {
          if (g2.pastPointOfNoReturn && e instanceof Fido2Error && e.kind === 'cancelled') throw await g2.cancelledAfterChange(e);
          throw e;
        }
      } finally {
        await device?.close().catch(() => undefined);
      }
    };
    // The key that came back from a replug, or the one touched, is only known once opened: no lock to take first.
    if (so.open) return await run(() => so.open!(log));
    if (g.device?.trim().toLowerCase() === 'touch') {
      const { chooseByTouch } = await import('./device/select.js');
      return await run(async () => (await chooseByTouch([], g, { signal: interrupt.signal, ...(log ? { log } : {}) })).device);
    }
    // Closed before the lock is released, so the next run never meets this connection.
    return await withDeviceLock(g.device, { timeoutMs: timeoutMs(g), signal: interrupt.signal }, (selector) =>
      run(() => openChannel(selector, { timeoutMs: timeoutMs(g), log, signal: interrupt.signal })),
    );
  } finally {
    interrupt.dispose();
  }
}

/** One key of a many-key run: Ctrl-C is handled once for all keys, touch requests go to its progress line. */
async function withKeySession<T>(g: GlobalOptions, k: NonNullable<ReturnType<typeof currentKeyContext>>, fn: (s: Session) => Promise<T>): Promise<T> {
  const log = g.verbose ? (line: string) => process.stderr.write(`[ctaphid ${g.device}] ${line}\n`) : undefined;
  // Each key of the run under its own cross-process lock, as a single-key run would be.
  return withDeviceLock(g.device, { timeoutMs: timeoutMs(g), signal: k.signal }, (selector) => withOpenKey(selector, g, k, fn, log));
}

async function withOpenKey<T>(
  selector: string | undefined,
  g: GlobalOptions,
  k: NonNullable<ReturnType<typeof currentKeyContext>>,
  fn: (s: Session) => Promise<T>,
  log: ((line: string) => void) | undefined,
): Promise<T> {
  const device = await openChannel(selector, { timeoutMs: timeoutMs(g), log, signal: k.signal });
  try {
    if (k.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled before this key was started; nothing was changed on it.');
    const ctap = new Ctap2(device, { signal: k.signal, onKeepalive: (st) => st === 'upneeded' && k.onTouch() });
    const getInfo = ctap.getInfo.bind(ctap);
    ctap.getInfo = async () => {
      const info = await getInfo();
      k.aaguid ??= info.aaguid;
      k.before ??= keyStateFromInfo(info);
      return info;
    };
    try {
      return await underOwnIdentity(g, ctap, k.signal, () => fn({ device, ctap, label: device.label }));
    } finally {
      // The state after, for the per-key results; a key that is gone or speaks only U2F has none.
      if (k.before !== undefined) k.after = await getInfo().then(keyStateFromInfo, () => undefined);
    }
  } finally {
    await device.close().catch(() => undefined);
  }
}

/**
 * Runs `fn` also under the key's own-identity lock when a kept persistent
 * token recognises the key (src/fleet/identity-lock.ts): another fido2-manage
 * reaching the same key by another transport waits. `--device sim` is private
 * to this run; without kept tokens nothing is sent.
 */
async function underOwnIdentity<T>(g: GlobalOptions, ctap: Ctap2, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (g.device?.trim().toLowerCase() === 'sim') return fn();
  const { identifier, withIdentityLock } = await import('../fleet/identity-lock.js');
  const keyId = await identifier()(ctap);
  const onWait = (): void => notice(`Another fido2-manage is using this key (key ${keyId}) by another way in; waiting up to ${timeoutMs(g) / 1000} s for it to finish...`);
  return withIdentityLock(keyId, { timeoutMs: timeoutMs(g), signal, onWait }, fn);
}
