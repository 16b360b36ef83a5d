/**
 * `fingerprints add [--name NAME]`: enrolls a finger sample by sample; the
 * operation (src/operations/fingerprints.ts) asks for each touch and reports
 * each sample, and cancels the enrollment on the key on Ctrl-C or failure.
 */
import type { Template } from '../../ctap/bio-enrollment.js';
import { enrollFingerprint } from '../../operations/fingerprints.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { notice, report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { describeTemplate, templateJson } from './support.js';

export async function runFingerprintsAdd(o: { name?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await enrollFingerprint(s, cliAuthorizer(g, io), {
      ...(o.name === undefined ? {} : { name: o.name }),
      // These replace the generic "Touch your security key".
      onCapture: (c) => notice(`Touch the sensor (sample ${c.sample}${c.total === undefined ? '' : ` of ${c.total}`})`),
      onSample: (e) => {
        if (e.status !== 'good') notice(`That sample was not usable: ${e.message}.`);
      },
    });
    report(
      g.json,
      { device: s.label, added: templateJson(r.added), samples: r.samples, before: r.before.map(templateJson), after: r.after.map(templateJson) },
      `Enrolled fingerprint ${describeTemplate(r.added)}.${addedHint(r.added)}`,
    );
  });
}

function addedHint(t: Template): string {
  return t.name === undefined ? ` Name it with \`fido2-manage fingerprints rename ${t.idHex} NAME\`.` : '';
}
