import { changePin } from '../../operations/pin.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runChangePin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await changePin(s, cliAuthorizer(g, io));
    report(g.json, { device: s.label, pinChanged: true, ...beforeAfter(r.before, r.after) }, 'PIN changed.');
  });
}
