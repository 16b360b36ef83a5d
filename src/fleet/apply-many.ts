/** `apply` over many keys: open each target, run the policy under its locks, collect per-key results. */
import { openChannel, type DiscoveryDeps } from '../devices/discovery.js';
import { Fido2Error } from '../errors.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { pinAuthorizer } from '../operations/authorizer.js';
import { type ApplyKeyResult, applySettings } from '../operations/settings.js';
import type { Policy } from './policy.js';
import type { KeyResult } from './results.js';
import { type KeyLock, type RunOptions, runOnKeys } from './runner.js';
import { withKeyLock } from './key-lock.js';
import type { Target } from './selection.js';
import { provisionKey, type StationSetup } from './provision.js';
import { type Identify, KeyIdClaims, identifier, withIdentityLock } from './identity-lock.js';

export interface KeyPins {
  /** The PIN the key has now (for the token), if it has one. */
  current?: string;
  /** The PIN to set where the key has none (the current one serves when absent). */
  new?: string;
}

export interface ApplyManyOptions extends RunOptions {
  dryRun?: boolean;
  pinProtocol?: 1 | 2;
  /** Do not spend a PIN attempt when this many or fewer are left. */
  minRetries?: number;
  /** The PINs for one key (from a PIN table, or the same for all). */
  pinsFor?: (t: Target) => KeyPins;
  /** Per-transaction timeout. */
  timeoutMs?: number;
  deps?: DiscoveryDeps;
  /** A provisioning station's journal, policy digest and PIN generation: each key runs provisionKey (provision.ts). */
  station?: StationSetup;
  /** Names an open key by its own CTAP 2.3 identity (default: the user's kept persistent tokens). */
  identify?: Identify;
}

export async function applyToTargets(targets: readonly Target[], policy: Policy, opts: ApplyManyOptions = {}): Promise<KeyResult<ApplyKeyResult>[]> {
  // The same cross-process lock a single-key command takes, so `apply` and e.g. `uvs` never interleave on a key.
  const lock: KeyLock = (id, o, fn) => withKeyLock(id, o, fn);
  const identify = opts.identify ?? identifier();
  const claims = new KeyIdClaims();
  return runOnKeys(targets, { lock, ...opts }, async (t, ctx) => {
    const device = await openChannel(t.selector, { ...opts.deps, signal: ctx.signal, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
    try {
      if (ctx.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled before this key was started; nothing was changed on it.');
      const pins = opts.pinsFor?.(t) ?? {};
      const auth = pinAuthorizer(pins, {
        ...(opts.pinProtocol === undefined ? {} : { pinProtocol: opts.pinProtocol }),
        ...(opts.minRetries === undefined ? {} : { minRetries: opts.minRetries, minRetriesName: '--min-retries' }),
      });
      const ctap = new Ctap2(device, { signal: ctx.signal, onKeepalive: (s) => s === 'upneeded' && ctx.progress('touch') });
      const handle = { device, ctap, label: device.label };
      const so = { dryRun: opts.dryRun === true, onProgress: (d: string) => ctx.progress('working', d) };
      const keyId = await identify(ctap);
      // Two selectors that reach one key (USB and CCID, an old and a new path): worked on once, under the first.
      const earlier = keyId === undefined ? undefined : claims.claim(keyId, t.label);
      if (earlier !== undefined) return { device: device.label, dryRun: so.dryRun, steps: [], changed: false, keyId, sameKeyAs: earlier };
      const lockOpts = { timeoutMs: opts.lockTimeoutMs ?? 30_000, signal: ctx.signal, onWait: () => ctx.progress('waiting', 'another process is using this key') };
      return await withIdentityLock(keyId, lockOpts, async () => {
        const r = opts.station ? await provisionKey(handle, keyId ? { ...t, keyId } : t, policy, auth, opts.station, so) : await applySettings(handle, policy, auth, so);
        return keyId === undefined ? r : { ...r, keyId };
      });
    } finally {
      await device.close().catch(() => undefined);
    }
  });
}
