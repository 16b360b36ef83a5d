import { Fido2Error } from '../../errors.js';
import { configStep, openConfig, requireConfig } from './config-support.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

const STATE = (on: boolean) => (on ? 'on' : 'off');

/**
 * `uvs` (want = true) and `uvd` (want = false). toggleAlwaysUv flips the
 * option, so it is sent only when the key differs from what was asked, and
 * never twice: a key that does not read back the wanted state is reported,
 * not toggled again.
 */
export async function runAlwaysUv(want: boolean, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    requireConfig(info, 'Always-UV');
    if (info.options.alwaysUv === undefined) {
      throw new Fido2Error('unsupported', 'Always-UV is not supported by this key: its getInfo has no alwaysUv option.');
    }
    const before = info.options.alwaysUv === true;
    if (before === want) {
      report(g.json, { device: s.label, alwaysUv: want, changed: false, ...beforeAfter(info) }, `Always-UV is already ${STATE(want)}; nothing to do.`);
      return;
    }
    const config = await openConfig(s, info, g, io, 'toggle-always-uv');
    await configStep(() => config.toggleAlwaysUv(), info);
    const afterInfo = await s.ctap.getInfo();
    const after = afterInfo.options.alwaysUv === true;
    if (after !== want) {
      throw new Fido2Error('not-confirmed', `The key accepted the change but still reports always-UV ${STATE(after)}; it was not toggled again. Check the key with \`fido2-manage info\`.`);
    }
    report(g.json, { device: s.label, alwaysUv: after, changed: true, ...beforeAfter(info, afterInfo) }, `Always-UV is now ${STATE(after)} (confirmed by the key).`);
  });
}
