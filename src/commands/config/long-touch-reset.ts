import { enableLongTouchForReset } from '../../operations/config.js';
import { Fido2Error } from '../../errors.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';

/**
 * `enable-long-touch-reset`: no authenticatorConfig subcommand turns it off again, so, like enterprise
 * attestation, it asks on a terminal and needs --yes without one; asked before the PIN is used.
 */
export async function runEnableLongTouchReset(g: GlobalOptions, o: { yes?: boolean } = {}, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const confirm = async (): Promise<void> => {
      const ok = await confirmOnTerminal(
        o.yes,
        'Make a reset of this key need a long touch (press and hold for about 5 seconds)? No command turns this off again.',
        'Enabling long touch for reset cannot be undone by any command; pass --yes to confirm when not on a terminal. Nothing was changed.',
      );
      if (!ok) throw new Fido2Error('cancelled', 'Not enabled; nothing was changed.');
    };
    const r = await enableLongTouchForReset(s, cliAuthorizer(g, io), { confirm });
    const text = r.changed ? 'A reset of this key now needs a long touch (confirmed by the key).' : 'This key already needs a long touch for a reset; nothing to do.';
    report(g.json, { device: s.label, longTouchForReset: true, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
