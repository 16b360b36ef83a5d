import { readRetries } from '../../operations/pin.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { withSession } from '../session.js';

export async function runRetries(g: GlobalOptions): Promise<void> {
  await withSession(g, async (s) => {
    const r = await readRetries(s, cliAuthorizer(g));
    if (g.json) {
      printJson({ ok: true, device: s.label, ...r });
      return;
    }
    printLine(`PIN retries: ${r.pinRetries}${r.pinSet ? '' : ' (no PIN set)'}`);
    if (r.uvRetries !== undefined) printLine(`UV retries: ${r.uvRetries}`);
    if (r.pinRetries === 0) printLine('The PIN is blocked: only a reset helps, and a reset erases every credential on the key.');
    else printLine(r.powerCycleRequired ? 'Power cycle needed: unplug the key and plug it back in before the next PIN attempt.' : 'Power cycle needed: no');
  });
}
