import { Fido2Error } from '../../errors.js';
import { configStep, openConfig, requireConfig } from './config-support.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';

export interface MinPinLengthOptions {
  rpId?: string[];
  forceChange?: boolean;
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
 * setMinPINLength (CTAP 2.1 §6.11.4): the minimum can only go up, so a lower one is refused before anything is sent.
 * Any raise is irreversible short of a reset, and the key does not say whether the current PIN is shorter (which
 * forces a PIN change), so every raise asks on a terminal and needs --yes without one.
 */
export async function runMinPinLength(lengthText: string, o: MinPinLengthOptions, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const length = parseLength(lengthText);
  const rpIds = parseRpIds(o.rpId);
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    requireConfig(info, 'Setting the minimum PIN length');
    if (info.options.setMinPINLength !== true) {
      throw new Fido2Error('unsupported', 'Setting the minimum PIN length is not supported by this key (option setMinPINLength is off).');
    }
    const current = info.minPINLength ?? 4;
    if (length < current) {
      throw new Fido2Error('pin-policy', `The key's minimum PIN length is ${current} and can only be raised; nothing was changed.`);
    }
    const maxRpIds = info.maxRPIDsForSetMinPINLength ?? 0;
    if (rpIds.length > maxRpIds) {
      throw new Fido2Error('usage', `This key accepts at most ${maxRpIds} --rp-id values for the minimum PIN length, not ${rpIds.length}.`);
    }
    if (length === current && rpIds.length === 0 && !o.forceChange) {
      report(g.json, { device: s.label, minPINLength: length, forcePINChange: info.forcePINChange === true, rpIds, changed: false, ...beforeAfter(info) }, `The minimum PIN length is already ${length}; nothing to do.`);
      return;
    }
    // Asked before the PIN is used, so a "no" spends nothing.
    if (length > current) {
      const ok = await confirmOnTerminal(
        o.yes,
        `Raise the minimum PIN length from ${current} to ${length}? Only a reset, which erases the key, lowers it again; a PIN shorter than ${length} must then be changed before the key is used.`,
        `Raising the minimum PIN length cannot be undone (only a reset lowers it); pass --yes to confirm when not on a terminal. Nothing was changed.`,
      );
      if (!ok) throw new Fido2Error('cancelled', 'Not raised; nothing was changed.');
    }
    const config = await openConfig(s, info, g, io);
    await configStep(
      () => config.setMinPinLength({ newMinPinLength: length, minPinLengthRpIds: rpIds.length ? rpIds : undefined, forceChangePin: o.forceChange || undefined }),
      info,
    );
    const after = await s.ctap.getInfo();
    if ((after.minPINLength ?? 4) !== length || (o.forceChange && after.forcePINChange !== true)) {
      throw new Fido2Error('not-confirmed', `The key accepted the change but reports minimum PIN length ${after.minPINLength ?? 4}${o.forceChange ? ` and force PIN change ${after.forcePINChange ? 'on' : 'off'}` : ''}.`);
    }
    const forced = after.forcePINChange === true;
    report(
      g.json,
      { device: s.label, minPINLength: length, forcePINChange: forced, rpIds, changed: true, ...beforeAfter(info, after) },
      `Minimum PIN length is now ${length}${rpIds.length ? `; sites allowed to read it: ${rpIds.join(', ')}` : ''}${forced ? '; the key will ask for a new PIN before anything else (run change-pin)' : ''}.`,
    );
  });
}
