/**
 * `fingerprints add [--name NAME]`: enrolls a finger sample by sample
 * (CTAP 2.1 §6.7.2). Every capture waits for a touch; a bad sample is
 * explained and asked for again. Ctrl-C (or any failure) mid-way sends
 * cancelCurrentEnrollment so the key does not keep a half-made template.
 */
import type { BioEnrollment, SampleResult, Template } from '../../ctap/bio-enrollment.js';
import type { CborRequestOptions } from '../../ctap/ctap2.js';
import { CtapError } from '../../ctap/errors.js';
import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { notice, report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { authorisedBio, bio, checkName, describeTemplate, openBio, sensorInfo, templateJson, type BioSession } from './support.js';

/** What to tell a person about each lastEnrollSampleStatus (§6.7.2). */
export const SAMPLE_ADVICE: Readonly<Record<string, string>> = {
  'too-high': 'the finger was too high on the sensor; move it down a little',
  'too-low': 'the finger was too low on the sensor; move it up a little',
  'too-left': 'the finger was too far left; move it right a little',
  'too-right': 'the finger was too far right; move it left a little',
  'too-fast': 'the finger was lifted too fast; hold it still until asked again',
  'too-slow': 'the touch took too long; touch and lift in one movement',
  'poor-quality': 'the sample was of poor quality; clean and dry the finger and the sensor',
  'too-skewed': 'the finger was at an angle; lay it flat and straight',
  'too-short': 'the touch was too short; hold the finger on the sensor a moment longer',
  'merge-failure': 'the sample did not match the earlier ones; use the same finger',
  'already-enrolled': 'this finger is already enrolled; use another finger',
  'no-user-activity': 'no finger was felt; touch the sensor',
  'no-user-presence-transition': 'the finger stayed on the sensor; lift it and touch again',
};

export function sampleAdvice(r: SampleResult): string {
  return SAMPLE_ADVICE[r.statusName] ?? `the key reported sample status ${r.statusName}`;
}

export async function runFingerprintsAdd(o: { name?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const b = await openBio(s);
    const sensor = await sensorInfo(b);
    if (o.name !== undefined) checkName(o.name, sensor);
    const enrolled = await authorisedBio(s, b, g, io);
    const before = await bio(() => enrolled.enumerateEnrollments());
    const samples = await enroll(b, enrolled, sensor.samplesRequired);
    const id = samples.at(-1)!.templateId;
    if (o.name !== undefined) {
      const name = o.name;
      await bio(() => enrolled.setFriendlyName(id, name));
    }
    const after = await bio(() => enrolled.enumerateEnrollments());
    const added = after.find((t) => t.idHex === Buffer.from(id).toString('hex'));
    if (!added) throw new Fido2Error('not-confirmed', 'The key finished the enrollment but does not list the new fingerprint.');
    report(
      g.json,
      {
        device: s.label,
        added: templateJson(added),
        samples: samples.map((r) => ({ status: r.statusName, remainingSamples: r.remainingSamples })),
        before: before.map(templateJson),
        after: after.map(templateJson),
      },
      `Enrolled fingerprint ${describeTemplate(added)}.${addedHint(added)}`,
    );
  });
}

function addedHint(t: Template): string {
  return t.name === undefined ? ` Name it with \`fido2-manage fingerprints rename ${t.idHex} NAME\`.` : '';
}

/** The capture loop; the prompts replace the generic "Touch your security key". */
async function enroll(b: BioSession, enrolled: BioEnrollment, total: number | undefined): Promise<SampleResult[]> {
  const quiet: CborRequestOptions = { onKeepalive: () => undefined };
  const results: SampleResult[] = [];
  let good = 0;
  const prompt = (): void => notice(`Touch the sensor (sample ${good + 1}${total === undefined ? '' : ` of ${total}`})`);
  try {
    prompt();
    let r = await enrolled.enrollBegin(undefined, quiet);
    for (;;) {
      results.push(r);
      if (r.status === 0) good += 1;
      else notice(`That sample was not usable: ${sampleAdvice(r)}.`);
      if (r.remainingSamples === 0) return results;
      if (total === undefined) total = good + r.remainingSamples;
      prompt();
      r = await enrolled.enrollCaptureNextSample(r.templateId, undefined, quiet);
    }
  } catch (e) {
    await cancelEnrollment(b);
    if (isCancel(e)) throw new Fido2Error('cancelled', 'Enrollment cancelled; the key kept no new fingerprint.', { cause: e });
    return bio(() => Promise.reject(e));
  }
}

function isCancel(e: unknown): boolean {
  return (e instanceof CtapError && e.status === 0x2d) || (e instanceof Fido2Error && e.kind === 'cancelled');
}

/** Best effort, with a signal of its own: Ctrl-C has already aborted the session's. */
async function cancelEnrollment(b: BioSession): Promise<void> {
  await b.open.cancelCurrentEnrollment({ signal: new AbortController().signal }).catch(() => undefined);
}
