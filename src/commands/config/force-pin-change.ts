import { forcePinChange } from '../../operations/config.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runForcePinChange(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await forcePinChange(s, cliAuthorizer(g, io));
    const text = r.changed ? 'The key will require a new PIN before anything else (change-pin).' : 'A PIN change is already required; nothing to do.';
    report(g.json, { device: s.label, forcePinChange: true, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
