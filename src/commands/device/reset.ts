/**
 * The guided reset (authenticatorReset, CTAP 2.1 §6.6). Most keys accept a
 * reset only within seconds of power-up and only with a touch, so the person
 * is walked through unplugging the key and plugging it back in, and the reset
 * goes out the moment the same key is back.
 */
import { CtapError } from '../../ctap/errors.js';
import { Status } from '../../ctap/status.js';
import { confirmOnTerminal } from '../terminal-question.js';
import { Fido2Error } from '../../errors.js';
import type { CtapHidDevice } from '../../transports/ctaphid/ctaphid.js';
import { type DeviceInfo, type DiscoveryDeps, listDevices, openDevice, parseDeviceSelector, selectHidDevice } from '../../devices/discovery.js';
import { openWhenSettled, waitForReplug } from '../../devices/replug.js';
import { canConnect } from '../../transports/tcp/tcp-probe.js';
import { explain } from '../../operations/explain.js';
import { resetIdentity } from '../../operations/reset-identity.js';
import { onInterrupt } from '../interrupt.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { notice, report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { withSession } from '../session.js';
import { formatDevice } from './list.js';

export const RESET_ERASES =
  'every passkey and other credential, the PIN, enrolled fingerprints, large blobs, the always-UV setting and the minimum PIN length';

/** At least this long to unplug the key, and again to plug it back in. */
const REPLUG_TIMEOUT_MS = 60_000;

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

type Target =
  | { kind: 'sim' }
  | { kind: 'tcp'; selector: string; host: string; port: number }
  | { kind: 'hid'; device: DeviceInfo };

async function resolveTarget(g: GlobalOptions, deps: ResetDeps): Promise<Target> {
  const parsed = parseDeviceSelector(g.device);
  if (parsed.kind === 'sim') return { kind: 'sim' };
  if (parsed.kind === 'tcp') return { kind: 'tcp', selector: g.device!.trim(), host: parsed.host, port: parsed.port };
  if (parsed.kind === 'touch') {
    const { chooseByTouch } = await import('./select.js');
    const { key, device } = await chooseByTouch([], g, deps);
    await device.close().catch(() => undefined);
    // Candidates for a bare --device touch are the attached HID keys, so the choice has its list entry.
    return { kind: 'hid', device: { ...key, vendorId: key.vendorId ?? 0, productId: key.productId ?? 0 } };
  }
  // With several keys attached and none chosen this refuses, listing them.
  return { kind: 'hid', device: await selectHidDevice(parsed, deps) };
}

/** The replug wait, ended by Ctrl-C like every other wait (exit 130, one message and one JSON document): nothing was sent yet. */
async function replugInterruptible(target: Target, g: GlobalOptions, deps: ResetDeps): ReturnType<typeof replug> {
  const interrupt = onInterrupt();
  try {
    return await replug(target, g, deps, interrupt.signal);
  } finally {
    interrupt.dispose();
  }
}

/** Walks the person through the replug; resolves with a way to open the key that came back. */
async function replug(target: Target, g: GlobalOptions, deps: ResetDeps, signal: AbortSignal): Promise<(log?: (l: string) => void) => Promise<CtapHidDevice>> {
  const base = { ...deps, timeoutMs: timeoutMs(g) };
  const watch = {
    signal,
    timeoutMs: deps.replugTimeoutMs ?? Math.max(REPLUG_TIMEOUT_MS, timeoutMs(g)),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    onRemoved: () => notice('The key is out. Plug it back in now, and touch it when it blinks.'),
  };
  if (target.kind === 'hid') {
    notice(`Unplug the key now (${formatDevice(target.device)}), then plug it back in.`);
    const back = await waitForReplug(target.device, { ...watch, list: () => listDevices(deps) });
    return (log) => openWhenSettled(() => openDevice(back.path, { ...base, ...(log ? { log } : {}) }), watch);
  }
  if (target.kind === 'tcp') {
    const up = deps.tcpUp ?? canConnect;
    const pseudo: DeviceInfo = { index: 1, path: target.selector, vendorId: 0, productId: 0 };
    notice(`Restart the software key at ${target.selector} now: its power cycle stands in for unplugging it (for \`fido2-manage sim\`, kill -USR1 its process).`);
    await waitForReplug(pseudo, { ...watch, list: async () => ((await up(target.host, target.port)) ? [pseudo] : []) });
    return (log) => openDevice(target.selector, { ...base, ...(log ? { log } : {}) });
  }
  return (log) => openDevice('sim', { ...base, ...(log ? { log } : {}) });
}

function resetError(e: unknown, replugged: boolean): unknown {
  if (e instanceof CtapError && e.status === Status.CTAP2_ERR_NOT_ALLOWED) {
    return new Fido2Error(
      'reset-too-late',
      replugged
        ? 'The key refused the reset: it accepts one only in the first seconds after being plugged in. Run again and touch sooner after plugging in.'
        : 'The key refused the reset: it accepts one only in the first seconds after being plugged in. Run again without --no-replug and touch it soon after plugging it back in.',
      { cause: e },
    );
  }
  return explain(e);
}

/** `fido2-manage reset [--yes] [--no-replug]`. */
export async function runReset(o: ResetOptions, g: GlobalOptions, deps: ResetDeps = {}): Promise<void> {
  const target = await resolveTarget(g, deps);
  if (!(await confirmed(o.yes))) throw new Fido2Error('cancelled', 'Reset cancelled; nothing was changed.');
  // The in-process virtual key has just been powered up, so it needs no replug.
  const doReplug = o.replug !== false && target.kind !== 'sim';
  const identity = resetIdentity();
  if (doReplug) await identity.noteBefore(() => openDevice(target.kind === 'hid' ? target.device.path : target.selector, { ...deps, timeoutMs: timeoutMs(g) }));
  const open = doReplug ? await replugInterruptible(target, g, deps) : undefined;
  await withSession(
    g,
    async (s) => {
      // One getInfo (milliseconds) for `before`; the reset follows at once, well within any window.
      const before = await s.ctap.getInfo();
      await identity.check(before);
      try {
        await s.ctap.reset();
      } catch (e) {
        throw resetError(e, doReplug);
      }
      await identity.afterReset(before, s.label);
      report(g.json, { device: s.label, reset: true, ...beforeAfter(before, await s.ctap.getInfo()) }, 'The key was reset: no PIN, no passkeys, no fingerprints, default settings.');
    },
    open ? { open } : target.kind === 'hid' ? { open: (log) => openDevice(target.device.path, { ...deps, timeoutMs: timeoutMs(g), ...(log ? { log } : {}) }) } : {},
  );
}
