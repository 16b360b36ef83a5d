import { setPin } from '../../operations/pin.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runSetPin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await setPin(s, cliAuthorizer(g, io));
    report(g.json, { device: s.label, pinSet: true, ...beforeAfter(r.before, r.after) }, 'PIN set.');
  });
}
