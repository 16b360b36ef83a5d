/** `apply` over many keys: open each target, run the policy under its locks, collect per-key results. */
import { openDevice, type DiscoveryDeps } from '../hid/discovery.js';
import { Fido2Error } from '../errors.js';
import { type ApplyKeyOptions, type ApplyKeyResult, applyToDevice, type KeyPins } from './apply.js';
import type { Policy } from './policy.js';
import type { KeyResult } from './results.js';
import { type KeyLock, type RunOptions, runOnKeys } from './runner.js';
import { withKeyLock } from './key-lock.js';
import type { Target } from './selection.js';

export interface ApplyManyOptions extends RunOptions, Omit<ApplyKeyOptions, 'pins'> {
  /** The PINs for one key (from a PIN table, or the same for all). */
  pinsFor?: (t: Target) => KeyPins;
  /** Per-transaction timeout. */
  timeoutMs?: number;
  deps?: DiscoveryDeps;
}

export async function applyToTargets(targets: readonly Target[], policy: Policy, opts: ApplyManyOptions = {}): Promise<KeyResult<ApplyKeyResult>[]> {
  // The same cross-process lock a single-key command takes, so `apply` and e.g. `uvs` never interleave on a key.
  const lock: KeyLock = (id, o, fn) => withKeyLock(id, o, fn);
  return runOnKeys(targets, { lock, ...opts }, async (t, ctx) => {
    const device = await openDevice(t.selector, { ...opts.deps, signal: ctx.signal, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
    try {
      if (ctx.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled before this key was started; nothing was changed on it.');
      const keyOpts: ApplyKeyOptions = { dryRun: opts.dryRun === true };
      const pins = opts.pinsFor?.(t);
      if (pins) keyOpts.pins = pins;
      if (opts.pinProtocol !== undefined) keyOpts.pinProtocol = opts.pinProtocol;
      if (opts.minRetries !== undefined) keyOpts.minRetries = opts.minRetries;
      return await applyToDevice(device, policy, keyOpts, ctx);
    } finally {
      await device.close().catch(() => undefined);
    }
  });
}
