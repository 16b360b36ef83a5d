import { Fido2Error } from '../../errors.js';
import { setMinPinLength } from '../../operations/config.js';
import type { Step } from '../../operations/settings-plan.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOneWay } from './one-way-setting.js';

export interface MinPinLengthOptions {
  rpId?: string[];
  forceChange?: boolean;
  complexity?: boolean;
  yes?: boolean;
}

export function parseLength(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 4 || n > 63) {
    throw new Fido2Error('usage', `The minimum PIN length must be a whole number from 4 to 63, not "${text}".`);
  }
  return n;
}

/** RP IDs are domain names (CTAP 2.1 §6.11.4 sends them as text strings); an empty one can never match a site. */
export function parseRpIds(rpIds: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const id of rpIds ?? []) {
    if (id.trim() === '' || id !== id.trim()) {
      throw new Fido2Error('usage', `--rp-id takes a site's domain such as example.com, not ${JSON.stringify(id)}; nothing was changed.`);
    }
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * `min-pin-length N [--rp-id ID ...] [--force-change] [--yes]`: src/operations/config.ts setMinPinLength.
 * Any raise is irreversible short of a reset, and the key does not say whether the current PIN is shorter
 * (which forces a PIN change), so a raise asks on a terminal and needs --yes without one; it is asked once
 * the key's minimum is known and before the PIN is used, so "no" spends nothing.
 */
export async function runMinPinLength(lengthText: string, o: MinPinLengthOptions, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const length = parseLength(lengthText);
  const rpIds = parseRpIds(o.rpId);
  await withSession(g, async (s) => {
    const confirm = async (steps: readonly Step[]): Promise<void> => {
      const raise = steps.find((st) => st.op === 'min-pin-length' && st.to > st.from);
      const complexity = steps.some((st) => st.op === 'pin-complexity');
      if (complexity) {
        return confirmOneWay(
          o.yes,
          `Turn on the key's PIN complexity policy${raise?.op === 'min-pin-length' ? ` and raise the minimum PIN length from ${raise.from} to ${length}` : ''}? No command turns the policy off again, and new PINs must then meet it.`,
          "Turning on the key's PIN complexity policy cannot be undone; pass --yes to confirm when not on a terminal. Nothing was changed.",
          'Not changed; nothing was changed.',
        )();
      }
      if (raise === undefined || raise.op !== 'min-pin-length') return;
      return confirmOneWay(
        o.yes,
        `Raise the minimum PIN length from ${raise.from} to ${length}? Only a reset, which erases the key, lowers it again; a PIN shorter than ${length} must then be changed before the key is used.`,
        'Raising the minimum PIN length cannot be undone (only a reset lowers it); pass --yes to confirm when not on a terminal. Nothing was changed.',
        'Not raised; nothing was changed.',
      )();
    };
    const r = await setMinPinLength(s, cliAuthorizer(g, io), { length, rpIds, forceChange: o.forceChange === true, complexity: o.complexity === true }, { confirm });
    const forced = r.after.forcePinChange;
    const text = r.changed
      ? `Minimum PIN length is now ${length}${rpIds.length ? `; sites allowed to read it: ${rpIds.join(', ')}` : ''}${r.after.pinComplexityPolicy ? "; the key's PIN complexity policy is on" : ''}${forced ? '; the key will ask for a new PIN before anything else (run change-pin)' : ''}.`
      : `The minimum PIN length is already ${length}${o.complexity ? " and the key's PIN complexity policy is on" : ''}; nothing to do.`;
    const complexity = r.after.pinComplexityPolicy === undefined ? {} : { pinComplexityPolicy: r.after.pinComplexityPolicy };
    report(g.json, { device: s.label, minPinLength: r.after.minPinLength, forcePinChange: forced, rpIds, ...complexity, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
