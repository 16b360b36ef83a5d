/**
 * What a client reads before it sends a PIN, so that no attempt is spent on a
 * key that would refuse it anyway (used by the CLI, `apply` and the library).
 */
import { Fido2Error } from '../errors.js';
import type { ClientPin } from './client-pin.js';

export interface PinGuardOptions {
  /** Refuse when this many attempts or fewer are left (`--min-retries`). */
  minRetries?: number;
  /** How the caller names that minimum in messages, e.g. `--min-retries`. */
  minRetriesName?: string;
  /** The transport label (`tcp:...`, `sim` or a HID path), for the power-cycle advice. */
  label?: string;
}

/** What "power cycle" means for this key: a software key is restarted, a USB key replugged. */
export function powerCycleAdvice(label = ''): string {
  return /^(tcp:|sim$)/.test(label) ? 'restart the software key' : 'unplug the key and plug it back in';
}

/**
 * getPINRetries needs no PIN (CTAP 2.1 §6.5.5.2). A key that demands a power
 * cycle, or has no attempts left, is refused here: some keys count an attempt
 * even while they demand a power cycle. The floor keeps a wrong PIN in a fleet
 * script from walking a key into the block. Returns the attempts left.
 */
export async function guardRetries(cp: ClientPin, o: PinGuardOptions = {}): Promise<number> {
  const { retries, powerCycleState } = await cp.getPinRetries();
  if (retries === 0) {
    throw new Fido2Error('pin-blocked', 'The PIN is blocked after too many wrong attempts; nothing was tried. Only a reset helps, and a reset erases every credential on the key.', { reason: 'pin-blocked' });
  }
  if (powerCycleState === true) {
    throw new Fido2Error('pin-blocked', `The key refuses PINs until it is power-cycled (too many wrong PINs in a row): ${powerCycleAdvice(o.label)}, then try again; nothing was tried.`, { reason: 'power-cycle-required' });
  }
  if (o.minRetries !== undefined && retries <= o.minRetries) {
    const name = o.minRetriesName ?? 'minRetries';
    throw new Fido2Error('pin-blocked', `Only ${retries} PIN attempts left (${name} ${o.minRetries}); nothing was tried. Check the PIN, then run again with a lower ${name}.`, { reason: 'retries-guard' });
  }
  return retries;
}
