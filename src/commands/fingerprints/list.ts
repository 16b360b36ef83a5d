/** `fingerprints list`: the enrolled fingers (id, name) and the sensor's facts. */
import { listFingerprints } from '../../operations/fingerprints.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { templateJson } from './support.js';

export async function runFingerprintsList(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const { sensor, fingerprints: templates } = await listFingerprints(s, cliAuthorizer(g, io));
    if (g.json) {
      printJson({ ok: true, device: s.label, sensor, fingerprints: templates.map(templateJson) });
      return;
    }
    const samples = sensor.samplesRequired === undefined ? '' : `, ${sensor.samplesRequired} samples per finger`;
    const names = sensor.maxFriendlyNameBytes === undefined ? '' : `, names up to ${sensor.maxFriendlyNameBytes} bytes`;
    printLine(`Sensor: ${sensor.kind}${samples}${names}`);
    if (templates.length === 0) {
      printLine('No fingerprints enrolled; add one with `fido2-manage fingerprints add`.');
      return;
    }
    printLine(`${templates.length} ${templates.length === 1 ? 'fingerprint' : 'fingerprints'}:`);
    for (const t of templates) printLine(`  ${t.idHex}  ${t.name ?? '(no name)'}`);
  });
}
