import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { withSession } from '../session.js';

/** CTAPHID_WINK: the key blinks, so a person can tell which of several keys `--device N` is. */
export async function runWink(g: GlobalOptions): Promise<void> {
  await withSession(g, async (s) => {
    await s.device.wink();
    report(g.json, { device: s.label, winked: true }, 'The key should be blinking now.');
  });
}
