import { Fido2Error } from '../../errors.js';
import type { Authorizer } from '../../operations/authorizer.js';
import type { SettingOptions, SettingResult } from '../../operations/config.js';
import type { KeyHandle } from '../../operations/key-handle.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';

/**
 * The confirmation of a change no command undoes: asked on a terminal, `--yes`
 * without one; it runs once the plan is known and before the PIN is used, so a
 * "no" spends nothing.
 */
export function confirmOneWay(yes: boolean | undefined, question: string, withoutTerminal: string, refused: string): () => Promise<void> {
  return async () => {
    if (!(await confirmOnTerminal(yes, question, withoutTerminal))) throw new Fido2Error('cancelled', refused);
  };
}

export interface OneWaySetting {
  run: (key: KeyHandle, auth: Authorizer, o: SettingOptions) => Promise<SettingResult>;
  /** The JSON field that names the setting, reported as true. */
  field: string;
  question: string;
  withoutTerminal: string;
  done: string;
  already: string;
}

/** A setting that only a reset (or nothing) turns off: `enable-enterprise-attestation`, `enable-long-touch-reset`. */
export async function runOneWaySetting(s: OneWaySetting, g: GlobalOptions, o: { yes?: boolean }, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (key) => {
    const r = await s.run(key, cliAuthorizer(g, io), { confirm: confirmOneWay(o.yes, s.question, s.withoutTerminal, 'Not enabled; nothing was changed.') });
    report(g.json, { device: key.label, [s.field]: true, changed: r.changed, ...beforeAfter(r.before, r.after) }, r.changed ? s.done : s.already);
  });
}
