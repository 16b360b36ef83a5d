import { clientPinFor } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { withSession } from '../session.js';

/** getPINRetries and getUVRetries need no PIN (CTAP 2.1 §6.5.5.2, §6.5.5.3). */
export async function runRetries(g: GlobalOptions): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    const cp = clientPinFor(s, info, g);
    const pin = await cp.getPinRetries();
    const uvRetries = info.options.uv !== undefined ? await cp.getUvRetries() : undefined;
    const powerCycleRequired = pin.powerCycleState === true;
    if (g.json) {
      printJson({ ok: true, device: s.label, pinSet: info.options.clientPin === true, pinRetries: pin.retries, uvRetries, powerCycleRequired });
      return;
    }
    printLine(`PIN retries: ${pin.retries}${info.options.clientPin === true ? '' : ' (no PIN set)'}`);
    if (uvRetries !== undefined) printLine(`UV retries: ${uvRetries}`);
    if (pin.retries === 0) printLine('The PIN is blocked: only a reset helps, and a reset erases every credential on the key.');
    else printLine(powerCycleRequired ? 'Power cycle needed: unplug the key and plug it back in before the next PIN attempt.' : 'Power cycle needed: no');
  });
}

