import { setAlwaysUv } from '../../operations/config.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

const STATE = (on: boolean) => (on ? 'on' : 'off');

/** `uvs` (want = true) and `uvd` (want = false): src/operations/config.ts setAlwaysUv. */
export async function runAlwaysUv(want: boolean, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await setAlwaysUv(s, cliAuthorizer(g, io), want);
    const text = r.changed ? `Always-UV is now ${STATE(want)} (confirmed by the key).` : `Always-UV is already ${STATE(want)}; nothing to do.`;
    report(g.json, { device: s.label, alwaysUv: r.after.alwaysUv === true, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
